export { buildApp, type GatewayDeps, SERVER_OPTIONS } from './app.ts'
export {
  type Gateway,
  GatewayConfig,
  type GatewaySettings,
  type StartGatewayOptions,
  startGateway,
} from './gateway.ts'
export type { ImageStore, StoredImage } from './image-store.ts'
export { type CachedPage, createPageCache, type Lookup, type PageCache } from './page-cache.ts'
