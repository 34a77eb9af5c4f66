// A scriptable misbehaving DNS server on 127.0.0.1, UDP and TCP on one ephemeral port. For every query
// it receives, a behaviour says what to do, step by step: send bytes (a datagram on UDP, a raw stream
// write on TCP, where framing is the behaviour's business), pause, close. An empty script is silence.
// Scripts are iterables, so a generator can drip bytes for as long as the connection stays open.
import dgram from 'node:dgram'
import net from 'node:net'
import dnsPacket from 'dns-packet'
import type { AskedQuery, AskedQuestion } from './dns-replies.ts'

export type HostileStep = { kind: 'send'; bytes: Uint8Array } | { kind: 'pause'; ms: number } | { kind: 'close' }

export interface ReceivedQuery extends AskedQuery {
  transport: 'udp' | 'tcp'
  /** The query as received, without the TCP length prefix. */
  bytes: Uint8Array
}

export type HostileBehaviour = (query: ReceivedQuery) => Iterable<HostileStep>

export interface HostileResponder {
  port: number
  /** How many well-formed queries arrived, over both transports. */
  received(): number
  queries(): readonly ReceivedQuery[]
  stop(): Promise<void>
}

const LOOPBACK = '127.0.0.1'
const MAX_PORT_TRIES = 20
const TCP_LENGTH_PREFIX_BYTES = 2

export const send = (bytes: Uint8Array | readonly number[]): HostileStep => ({ kind: 'send', bytes: Uint8Array.from(bytes) })
export const pause = (ms: number): HostileStep => ({ kind: 'pause', ms })
export const close = (): HostileStep => ({ kind: 'close' })

/** RFC 1035 TCP framing: a 2-byte big-endian length, then the message. */
export function framed(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(TCP_LENGTH_PREFIX_BYTES + message.length)
  out[0] = message.length >> 8
  out[1] = message.length & 0xff
  out.set(message, TCP_LENGTH_PREFIX_BYTES)
  return out
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts))
}

/** Each message as it should travel on the query's transport: one datagram each, or one framed write each. */
export function answer(query: ReceivedQuery, ...messages: Uint8Array[]): HostileStep[] {
  return messages.map((message) => send(query.transport === 'tcp' ? framed(message) : message))
}

/** The bytes as writes of pieceBytes each, with a pause before every piece after the first. */
export function dribble(bytes: Uint8Array, pieceBytes: number, pauseMs: number): HostileStep[] {
  const steps: HostileStep[] = []
  for (let offset = 0; offset < bytes.length; offset += pieceBytes) {
    if (offset > 0) steps.push(pause(pauseMs))
    steps.push(send(bytes.subarray(offset, offset + pieceBytes)))
  }
  return steps
}

export async function startHostileResponder(behaviour: HostileBehaviour, options: { address?: string } = {}): Promise<HostileResponder> {
  const queries: ReceivedQuery[] = []
  const connections = new Set<net.Socket>()
  const pauses = new Set<{ timer: NodeJS.Timeout; wake: () => void }>()
  let stopped = false

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const entry = { timer: setTimeout(() => wake(), ms), wake: () => wake() }
      function wake(): void {
        clearTimeout(entry.timer)
        pauses.delete(entry)
        resolve()
      }
      pauses.add(entry)
    })

  async function play(query: ReceivedQuery, io: { write(bytes: Uint8Array): void; close(): void; open(): boolean }): Promise<void> {
    queries.push(query)
    for (const step of behaviour(query)) {
      if (stopped || !io.open()) return
      if (step.kind === 'pause') await sleep(step.ms)
      else if (step.kind === 'send') io.write(step.bytes)
      else return io.close()
    }
  }

  const { tcp, udp, port } = await listenOnOnePort(options.address ?? LOOPBACK)

  udp.on('error', () => {})
  udp.on('message', (message, from) => {
    const query = decodeQuery(message, 'udp')
    if (!query) return
    void play(query, {
      write: (bytes) => udp.send(bytes, from.port, from.address, () => {}),
      close: () => {},
      open: () => !stopped,
    })
  })

  tcp.on('connection', (socket) => {
    connections.add(socket)
    socket.setNoDelay(true)
    socket.on('error', () => {})
    socket.on('close', () => connections.delete(socket))
    let pending = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk])
      while (pending.length >= TCP_LENGTH_PREFIX_BYTES) {
        const length = pending.readUInt16BE(0)
        if (pending.length < TCP_LENGTH_PREFIX_BYTES + length) break
        const message = pending.subarray(TCP_LENGTH_PREFIX_BYTES, TCP_LENGTH_PREFIX_BYTES + length)
        pending = pending.subarray(TCP_LENGTH_PREFIX_BYTES + length)
        const query = decodeQuery(message, 'tcp')
        if (!query) continue
        void play(query, {
          write: (bytes) => socket.write(bytes),
          close: () => socket.end(),
          open: () => !socket.destroyed && socket.writable,
        })
      }
    })
  })

  return {
    port,
    received: () => queries.length,
    queries: () => queries,
    async stop() {
      if (stopped) return
      stopped = true
      for (const entry of [...pauses]) entry.wake()
      for (const socket of connections) socket.destroy()
      await Promise.all([
        new Promise<void>((resolve) => tcp.close(() => resolve())),
        new Promise<void>((resolve) => udp.close(() => resolve())),
      ])
    },
  }
}

function decodeQuery(message: Buffer, transport: 'udp' | 'tcp'): ReceivedQuery | null {
  try {
    const decoded = dnsPacket.decode(message)
    const [question] = decoded.questions ?? []
    if (decoded.id === undefined || !question) return null
    const asked: AskedQuestion = { name: question.name, type: question.type, class: question.class ?? 'IN' }
    return { transport, id: decoded.id, question: asked, bytes: Uint8Array.from(message) }
  } catch {
    return null
  }
}

/** A TCP listener on an ephemeral port, then a UDP socket on the same number (retried if UDP has it taken). */
async function listenOnOnePort(address: string): Promise<{ tcp: net.Server; udp: dgram.Socket; port: number }> {
  let lastError: unknown = null
  for (let attempt = 0; attempt < MAX_PORT_TRIES; attempt += 1) {
    const tcp = net.createServer()
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject)
      tcp.listen(0, address, () => resolve())
    })
    const port = (tcp.address() as net.AddressInfo).port
    const udp = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4')
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject)
        udp.bind(port, address, () => resolve())
      })
      return { tcp, udp, port }
    } catch (error) {
      lastError = error
      try {
        udp.close()
      } catch {
        // never bound
      }
      await new Promise<void>((resolve) => tcp.close(() => resolve()))
    }
  }
  throw new Error(`hostile responder: no port free for both UDP and TCP after ${MAX_PORT_TRIES} tries`, { cause: lastError })
}
