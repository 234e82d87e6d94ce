import { configureSharp, encode, probe } from './encode.ts'
import type { EncoderReply, EncoderRequest } from './encoder.ts'

// The encoder process (forked by encoder.ts): takes jobs over IPC, answers each by id, and
// exits when its parent disconnects (idle, or shutting down).

configureSharp()

const reply = (message: EncoderReply) => {
  if (process.connected) process.send?.(message)
}

process.on('message', (message: EncoderRequest) => {
  const work =
    message.op === 'probe'
      ? probe(message.bytes)
      : encode(message.bytes, message.width, message.format)
  work.then(
    (result) => reply({ id: message.id, ok: true, result }),
    (error: unknown) =>
      reply({
        id: message.id,
        ok: false,
        message: error instanceof Error ? error.message : String(error),
      }),
  )
})
process.on('disconnect', () => process.exit(0))
