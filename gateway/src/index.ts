export { GatewayConfig, type GatewaySettings } from './config.ts'
export { createDerivatives, type DerivativeLookup, type Derivatives } from './derivatives.ts'
export { type ImageStore, natsImageStore, type StoredImage } from './image-store.ts'
export { type CachedPage, createPageCache, type Lookup, type PageCache } from './page-cache.ts'
export { type ReaderPath, readerPath } from './reader-paths.ts'
export { type BeaconStats, newBeaconStats, PIXEL } from './routes/beacon.ts'
export {
  buildApp,
  type Gateway,
  type GatewayDeps,
  SERVER_OPTIONS,
  type StartGatewayOptions,
  startGateway,
} from './service.ts'
