/// <reference lib="dom" />
import type {
  ChapterSummary,
  ImageContentType,
  PageDetails,
  PageSummary,
  SeriesSummary,
} from '@inkstream/contracts'

// The editor's HTTP API under /admin/api, same origin (the session cookie rides along).

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  constructor(status: number, code: string, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: {} }
  if (body instanceof FormData) init.body = body
  else if (body !== undefined) {
    init.body = JSON.stringify(body)
    init.headers = { 'content-type': 'application/json' }
  }
  const res = await fetch(path, init)
  if (res.status === 204) return undefined as T
  let json: unknown
  try {
    json = await res.json()
  } catch {
    throw new ApiError(res.status, 'INK_ERR_INTERNAL', `${method} ${path}: ${res.status}, not JSON`)
  }
  if (!res.ok || (json as { ok?: unknown }).ok === false) {
    const error = (json as { error?: { code?: string; message?: string } }).error
    throw new ApiError(
      res.status,
      error?.code ?? 'INK_ERR_INTERNAL',
      error?.message ?? `${method} ${path}: ${res.status}`,
    )
  }
  return json as T
}

const query = (params: Record<string, string | number | undefined>) => {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v))
  const s = q.toString()
  return s ? `?${s}` : ''
}

export interface Catalog {
  seq: number
  series: SeriesSummary[]
  chapters: ChapterSummary[]
  pages: PageSummary[]
}

const CATALOG_PAGE = 500

/** Every series, chapter and page (pages in story order), as of at least `minSeq`. */
export async function fetchCatalog(minSeq: number): Promise<Catalog> {
  const out: Catalog = { seq: 0, series: [], chapters: [], pages: [] }
  for (let offset = 0; ; offset += CATALOG_PAGE) {
    const part = await call<Catalog & { totalPages: number }>(
      'GET',
      `/admin/api/catalog${query({ minSeq: minSeq || undefined, limit: CATALOG_PAGE, offset: offset || undefined })}`,
    )
    out.seq = Math.max(out.seq, part.seq)
    if (offset === 0) {
      out.series = part.series
      out.chapters = part.chapters
    }
    out.pages.push(...part.pages)
    if (part.pages.length < CATALOG_PAGE || out.pages.length >= part.totalPages) return out
  }
}

export async function fetchPage(pageId: string, minSeq: number): Promise<PageDetails> {
  const reply = await call<{ page: PageDetails }>(
    'GET',
    `/admin/api/pages/${encodeURIComponent(pageId)}${query({ minSeq: minSeq || undefined })}`,
  )
  return reply.page
}

export interface Upload {
  hash: string
  width: number
  height: number
  contentType: ImageContentType
  color?: string
}

export function uploadImage(file: File): Promise<Upload> {
  const form = new FormData()
  form.append('file', file, file.name)
  return call<Upload>('POST', '/admin/api/uploads', form)
}

export interface ApiToken {
  id: string
  name: string
  createdAt: string
  lastUsedAt?: string | null
  /** Set once revoked: the token no longer works, listed for the record. */
  revokedAt?: string | null
}

export async function listTokens(): Promise<ApiToken[]> {
  const reply = await call<ApiToken[] | { tokens: ApiToken[] }>('GET', '/admin/api/tokens')
  return Array.isArray(reply) ? reply : reply.tokens
}

export const createToken = (name: string) =>
  call<ApiToken & { token: string }>('POST', '/admin/api/tokens', { name })

export const revokeToken = (id: string) =>
  call<void>('DELETE', `/admin/api/tokens/${encodeURIComponent(id)}`)

export const logIn = (email: string, password: string) =>
  call<{ ok: true }>('POST', '/admin/login', { email, password })

export const logOut = () => call<void>('POST', '/admin/logout')
