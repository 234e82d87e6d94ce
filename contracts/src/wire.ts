import {
  AttachPageImage,
  ComicCommand,
  CreateSeries,
  DraftPage,
  EditPage,
  PublishPage,
  UnpublishPage,
} from './commands.ts'
import { Commit } from './events.ts'
import { CommandReply, RenderPathReply, RenderPathRequest } from './replies.ts'
import { upcastCommit } from './upcast.ts'
import { contract } from './validate.ts'

// Compiled validators for every message on the wire; both ends use these.
export const wire = {
  commit: contract(Commit, 'commit'),
  command: contract(ComicCommand, 'command'),
  commands: {
    CreateSeries: contract(CreateSeries, 'CreateSeries command'),
    DraftPage: contract(DraftPage, 'DraftPage command'),
    EditPage: contract(EditPage, 'EditPage command'),
    AttachPageImage: contract(AttachPageImage, 'AttachPageImage command'),
    PublishPage: contract(PublishPage, 'PublishPage command'),
    UnpublishPage: contract(UnpublishPage, 'UnpublishPage command'),
  },
  commandReply: contract(CommandReply, 'command reply'),
  renderPathRequest: contract(RenderPathRequest, 'render request'),
  renderPathReply: contract(RenderPathReply, 'render reply'),
}

/** Reads a stored commit: JSON, upcast, then validated against the current schemas. */
export function readCommit(data: Uint8Array): Commit {
  const raw: unknown = JSON.parse(new TextDecoder().decode(data))
  return wire.commit.parse(upcastCommit(raw))
}
