import { runService } from '@inkstream/chassis'
import { EditorConfig } from './config.ts'
import { startEditorService } from './service.ts'

// The editor process: the admin edge (login, studio, socket, authoring API, uploads).
await runService({ name: 'editor', config: EditorConfig, start: startEditorService })
