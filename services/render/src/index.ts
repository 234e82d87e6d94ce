export { createHtmlStore, etagOf, HTML_CONTENT_TYPE, type HtmlStore } from './html-store.ts'
export { MIGRATIONS } from './migrations.ts'
export { PROJECTION_NAME, renderProjection } from './projection.ts'
export { createPurge, type Purge } from './purge.ts'
export { CHECKPOINT_TABLE } from './read-model.ts'
export { createRenderer, type Renderer } from './renderer.ts'
export {
  RenderConfig,
  type RenderService,
  type RenderSettings,
  type StartRenderOptions,
  startRender,
} from './service.ts'
