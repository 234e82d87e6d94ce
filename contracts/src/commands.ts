import { type Static, type TSchema, Type } from 'typebox'
import { Body, Id, ImageContentType, ImageHash, Slug, Title } from './common.ts'

// Commands are requests, imperative. Every command carries a `commandId` (a retried command is
// appended once: it becomes the JetStream `Nats-Msg-Id`) and, except for creations, the
// `expectedVersion` of the aggregate it was decided against (optimistic concurrency).

const ExpectedVersion = Type.Integer({ minimum: 0 })

const command = <T extends string, D extends Record<string, TSchema>>(type: T, data: D) =>
  Type.Object({ type: Type.Literal(type), commandId: Id, ...data }, { additionalProperties: false })

export const CreateSeries = command('CreateSeries', {
  seriesId: Id,
  slug: Slug,
  title: Title,
  description: Type.Optional(Body),
})

export const DraftPage = command('DraftPage', {
  pageId: Id,
  seriesId: Id,
  slug: Slug,
  title: Title,
  body: Type.Optional(Body),
})

export const EditPage = command('EditPage', {
  pageId: Id,
  expectedVersion: ExpectedVersion,
  slug: Type.Optional(Slug),
  title: Type.Optional(Title),
  body: Type.Optional(Body),
})

export const AttachPageImage = command('AttachPageImage', {
  pageId: Id,
  expectedVersion: ExpectedVersion,
  hash: ImageHash,
  contentType: ImageContentType,
  width: Type.Integer({ minimum: 1, maximum: 20_000 }),
  height: Type.Integer({ minimum: 1, maximum: 20_000 }),
  alt: Type.String({ maxLength: 2_000 }),
})

export const PublishPage = command('PublishPage', {
  pageId: Id,
  expectedVersion: ExpectedVersion,
})

export const UnpublishPage = command('UnpublishPage', {
  pageId: Id,
  expectedVersion: ExpectedVersion,
})

export const PageCommand = Type.Union([
  DraftPage,
  EditPage,
  AttachPageImage,
  PublishPage,
  UnpublishPage,
])
export const ComicCommand = Type.Union([
  CreateSeries,
  DraftPage,
  EditPage,
  AttachPageImage,
  PublishPage,
  UnpublishPage,
])

export type CreateSeries = Static<typeof CreateSeries>
export type DraftPage = Static<typeof DraftPage>
export type EditPage = Static<typeof EditPage>
export type AttachPageImage = Static<typeof AttachPageImage>
export type PublishPage = Static<typeof PublishPage>
export type UnpublishPage = Static<typeof UnpublishPage>
export type PageCommand = Static<typeof PageCommand>
export type ComicCommand = Static<typeof ComicCommand>
export type ComicCommandType = ComicCommand['type']

/** Every command type, for subscribing one handler per subject. */
export const COMIC_COMMAND_TYPES = [
  'CreateSeries',
  'DraftPage',
  'EditPage',
  'AttachPageImage',
  'PublishPage',
  'UnpublishPage',
] as const satisfies readonly ComicCommandType[]

/** Page state as the write side knows it; returned with conflicts so a client can rebase. */
export const PageSnapshot = Type.Object({
  pageId: Id,
  seriesId: Id,
  slug: Slug,
  title: Title,
  body: Body,
  status: Type.Union([Type.Literal('draft'), Type.Literal('published')]),
  image: Type.Union([
    Type.Null(),
    Type.Object({
      hash: ImageHash,
      contentType: ImageContentType,
      width: Type.Integer(),
      height: Type.Integer(),
      alt: Type.String(),
    }),
  ]),
})
export type PageSnapshot = Static<typeof PageSnapshot>
