export * from './config.ts'
export * from './mail.ts'
export * from './service.ts'
export * from './tokens.ts'
