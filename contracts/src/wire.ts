import type { Static } from 'typebox'
import { COMIC_COMMANDS, ComicCommand, type ComicCommandType } from './commands.ts'
import { Commit } from './events.ts'
import {
  CatalogReply,
  CatalogRequest,
  PageQuery,
  PageQueryReply,
  RenderImageReply,
  RenderImageRequest,
} from './queries.ts'
import { CommandReply, RenderPathReply, RenderPathRequest } from './replies.ts'
import { upcastCommit } from './upcast.ts'
import { type Contract, contract } from './validate.ts'

type CommandContracts = {
  [K in ComicCommandType]: Contract<(typeof COMIC_COMMANDS)[K]>
}

const commands = Object.fromEntries(
  Object.entries(COMIC_COMMANDS).map(([type, schema]) => [
    type,
    contract(schema, `${type} command`),
  ]),
) as unknown as CommandContracts

// Compiled validators for every message on the wire; both ends use these.
export const wire = {
  commit: contract(Commit, 'commit'),
  command: contract(ComicCommand, 'command'),
  commands,
  commandReply: contract(CommandReply, 'command reply'),
  renderPathRequest: contract(RenderPathRequest, 'render request'),
  renderPathReply: contract(RenderPathReply, 'render reply'),
  renderImageRequest: contract(RenderImageRequest, 'image request'),
  renderImageReply: contract(RenderImageReply, 'image reply'),
  catalogRequest: contract(CatalogRequest, 'catalog query'),
  catalogReply: contract(CatalogReply, 'catalog reply'),
  pageQuery: contract(PageQuery, 'page query'),
  pageQueryReply: contract(PageQueryReply, 'page query reply'),
}

/** Reads a stored commit: JSON, upcast, then validated against the current schemas. */
export function readCommit(data: Uint8Array): Commit {
  const raw: unknown = JSON.parse(new TextDecoder().decode(data))
  return wire.commit.parse(upcastCommit(raw))
}

/** The codec of the COMICS stream for the chassis' generic event store and projections. */
export const commitCodec = {
  encode: (commit: Commit): Uint8Array => wire.commit.encode(commit),
  decode: readCommit,
}
export type CommitCodec = typeof commitCodec
export type AnyCommand = Static<typeof ComicCommand>

/** The COMICS stream as the chassis' EventStore and projections take it. */
export function comicsLog(n: { comicsStream: string; allEvents: string }) {
  return {
    stream: n.comicsStream,
    subjects: [n.allEvents],
    codec: commitCodec,
    idOf: (commit: Commit) => commit.commandId,
  }
}
