import { randomUUID } from 'node:crypto'
import { type Migration, type Pool, sql } from '@inkstream/chassis'
import { generatePassword, hashPassword } from './passwords.ts'
import { TOKEN_MIGRATION } from './tokens.ts'

export const EDITOR_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'users',
    up: [
      `CREATE TABLE IF NOT EXISTS editor_users (
        id CHAR(36) CHARACTER SET ascii NOT NULL PRIMARY KEY,
        email VARCHAR(254) NOT NULL,
        password_hash VARCHAR(255) CHARACTER SET ascii NOT NULL,
        role VARCHAR(16) CHARACTER SET ascii NOT NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        UNIQUE KEY editor_users_email (email)
      )`,
    ],
  },
  TOKEN_MIGRATION,
]

export type Role = 'owner' | 'editor'

export interface User {
  id: string
  email: string
  passwordHash: string
  role: Role
}

/** Emails compare case-insensitively; they are stored normalised. */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase()

export async function findUserByEmail(pool: Pool, email: string): Promise<User | undefined> {
  const rows = await sql<{ id: string; email: string; password_hash: string; role: Role }[]>(
    pool,
    'SELECT id, email, password_hash, role FROM editor_users WHERE email = ?',
    [normaliseEmail(email)],
  )
  const row = rows[0]
  return row && { id: row.id, email: row.email, passwordHash: row.password_hash, role: row.role }
}

export interface BootstrapOwnerResult {
  created: boolean
  /** Set only when this call created the owner with a generated password: show it once. */
  generatedPassword?: string
}

/**
 * Creates the owner on first start. Replicas starting together race on the unique email:
 * exactly one insert wins, and only the winner reports a generated password.
 */
export async function bootstrapOwner(
  pool: Pool,
  options: { email: string; password?: string | undefined },
): Promise<BootstrapOwnerResult> {
  const existing = await sql<unknown[]>(
    pool,
    "SELECT 1 FROM editor_users WHERE role = 'owner' LIMIT 1",
  )
  if (existing.length > 0) return { created: false }
  const password = options.password ?? generatePassword()
  const result = await sql<{ affectedRows: number }>(
    pool,
    "INSERT IGNORE INTO editor_users (id, email, password_hash, role) VALUES (?, ?, ?, 'owner')",
    [randomUUID(), normaliseEmail(options.email), await hashPassword(password)],
  )
  if (result.affectedRows !== 1) return { created: false }
  return options.password === undefined
    ? { created: true, generatedPassword: password }
    : { created: true }
}
