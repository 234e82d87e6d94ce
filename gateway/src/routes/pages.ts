import { HOME_PATH, pagePath, SLUG_PATTERN } from '@inkstream/contracts'
import type { FastifyInstance } from 'fastify'

const slugParams = {
  type: 'object',
  properties: { slug: { type: 'string', pattern: SLUG_PATTERN, minLength: 1, maxLength: 80 } },
  required: ['slug'],
  additionalProperties: false,
} as const

/** The reader's HTML: home and comic pages, straight from the HTML cache. HEAD comes free. */
export default async function pageRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', (request, reply) => app.servePath(request, reply, HOME_PATH))
  app.get<{ Params: { slug: string } }>(
    '/comic/:slug',
    { schema: { params: slugParams } },
    (request, reply) => app.servePath(request, reply, pagePath(request.params.slug)),
  )
}
