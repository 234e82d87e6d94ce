import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

// The reader's script is bundled once when render starts (esbuild, in memory) and stored in
// the HTML cache under a content-addressed path, so pages name it by its hash and browsers
// and nginx may keep it for a year.

export interface ReaderScript {
  /** `/assets/reader-<hash>.js` */
  path: string
  body: string
}

const ENTRY = fileURLToPath(new URL('./reader.ts', import.meta.url))

export async function bundleReaderScript(): Promise<ReaderScript> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
  })
  const body = result.outputFiles[0]?.text ?? ''
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16)
  return { path: `/assets/reader-${hash}.js`, body }
}
