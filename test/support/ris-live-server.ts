// A RIS-Live-shaped WebSocket server on 127.0.0.1 for the adapter tests: it records what each client
// connection sent, answers `ping` with `pong` and `ris_subscribe` with `ris_subscribe_ok` unless told
// to be silent, and lets a test push frames, drop every connection or stop answering.
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'

export interface RisLiveTestServer {
  url: string
  /** Parsed client messages, one list per connection, in connection order. */
  received: unknown[][]
  connections(): number
  /** Sends a frame (an object is sent as JSON) to every open connection. */
  send(frame: unknown, options?: { binary?: boolean }): void
  /** No pong, no ris_subscribe_ok, no frame pushed by send(): a feed that went quiet with its socket open. */
  setSilent(silent: boolean): void
  /** Drops every connection without a close handshake, as a network failure would. */
  dropAll(): void
  close(): Promise<void>
}

export async function startRisLiveServer(): Promise<RisLiveTestServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const received: unknown[][] = []
  const sockets = new Set<WebSocket>()
  let silent = false
  server.on('connection', (socket) => {
    const messages: unknown[] = []
    received.push(messages)
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type?: string; data?: unknown }
      messages.push(message)
      if (silent) return
      if (message.type === 'ping') socket.send(JSON.stringify({ type: 'pong', data: null }))
      if (message.type === 'ris_subscribe') socket.send(JSON.stringify({ type: 'ris_subscribe_ok', data: { subscription: message.data, socketOptions: {} } }))
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `ws://127.0.0.1:${port}/v1/ws/?client=anycast-monitor-test`,
    received,
    connections: () => received.length,
    send(frame, options = {}) {
      if (silent) return
      const payload = typeof frame === 'string' ? frame : JSON.stringify(frame)
      for (const socket of sockets) socket.send(options.binary ? Buffer.from(payload) : payload, { binary: options.binary ?? false })
    },
    setSilent(value) {
      silent = value
    },
    dropAll() {
      for (const socket of sockets) socket.terminate()
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.terminate()
        server.close(() => resolve())
      }),
  }
}

/** Polls `condition` every few ms; fails with `what` after timeoutMs. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const POLL_MS = 10
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}
