// @inkstream/tools: the dev runner as a library, for end-to-end tests and scripts.
export * from './infra/index.ts'
export {
  INSTRUMENT,
  type PortName,
  SERVICES,
  type ServiceSpec,
  type Stack,
  type StackOptions,
  type StackPorts,
  type StackUrls,
  startStack,
  stopStack,
} from './stack.ts'
