export * from './config.ts'
export * from './search-index.ts'
export * from './service.ts'
