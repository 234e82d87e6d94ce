import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { SERVICE_WORKER_PATH } from '@inkstream/contracts'
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
const SW_ENTRY = fileURLToPath(new URL('./push-sw.ts', import.meta.url))

const bundle = async (entry: string): Promise<string> => {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
  })
  return result.outputFiles[0]?.text ?? ''
}

export async function bundleReaderScript(): Promise<ReaderScript> {
  const body = await bundle(ENTRY)
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16)
  return { path: `/assets/reader-${hash}.js`, body }
}

/**
 * The web push service worker (push-sw.ts), stored in the HTML cache at `/sw.js`: a stable
 * address (a registration is bound to its script's URL), which the gateway serves uncached.
 */
export async function bundleServiceWorker(): Promise<ReaderScript> {
  return { path: SERVICE_WORKER_PATH, body: await bundle(SW_ENTRY) }
}
