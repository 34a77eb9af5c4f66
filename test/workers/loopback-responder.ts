// Runs in Node (the workers project's global setup), never in workerd: a TCP DNS responder on
// 127.0.0.1 that misbehaves on purpose, one scenario per query name (see ResponderScenario).
import net from 'node:net'
import { unusedTcpPort } from '../support/ports.ts'
import dnsPacket from 'dns-packet'
import { RESPONDER_NSID, type ResponderScenario } from './fixtures.ts'

const LOOPBACK_ADDRESS = '127.0.0.1'
const LENGTH_PREFIX_BYTES = 2
const NSID_OPTION_CODE = 3
const AUTHORITATIVE_ANSWER_FLAG = 1 << 10
const DRIP_INTERVAL_MS = 1
const OVERSIZE_BYTES = 4096
const GARBAGE_BYTES = 20
const SCENARIOS: readonly ResponderScenario[] = ['answer', 'drip', 'stray-first', 'stall', 'oversize', 'garbage', 'close', 'reset']

export interface LoopbackResponder {
  port: number
  stop(): Promise<void>
}

export async function startLoopbackResponder(address: '127.0.0.1' | '::1' = LOOPBACK_ADDRESS): Promise<LoopbackResponder> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    socket.setNoDelay(true)
    serve(socket)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: address, port: 0 }, resolve)
  })
  const { port } = server.address() as net.AddressInfo
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    })
  return { port, stop }
}

/** A loopback port with no listener: bound, then released. */
export const findClosedPort = unusedTcpPort

/** The first of the loopback addresses the silent listeners take: 127.0.1.1, 127.0.1.2, ... */
const SILENT_NETWORK = '127.0.1.'
const SILENT_PORT_ATTEMPTS = 5

export interface SilentListeners {
  addresses: string[]
  port: number
  stop(): Promise<void>
}

/**
 * A silent DNS server on `count` loopback addresses (127.0.1.1 ... 127.0.1.<count>), all on one port: it
 * accepts every connection, reads the query and never answers, so that each probe ends at its timeout.
 * Linux routes all of 127.0.0.0/8 to the loopback interface; elsewhere this rejects.
 */
export async function startSilentListeners(count: number): Promise<SilentListeners> {
  const addresses = Array.from({ length: count }, (_, index) => `${SILENT_NETWORK}${index + 1}`)
  let lastError: unknown = null
  for (let attempt = 0; attempt < SILENT_PORT_ATTEMPTS; attempt += 1) {
    const servers: net.Server[] = []
    const sockets = new Set<net.Socket>()
    // Connections first: a server's close() waits for its open connections.
    const stop = async (): Promise<void> => {
      for (const socket of sockets) socket.destroy()
      await Promise.allSettled(servers.filter((server) => server.listening).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))))
    }
    try {
      let port = 0
      for (const address of addresses) {
        const server = net.createServer((socket) => {
          sockets.add(socket)
          socket.on('close', () => sockets.delete(socket))
          socket.on('error', () => {})
          socket.on('data', () => {})
        })
        servers.push(server)
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject)
          server.listen({ host: address, port }, resolve)
        })
        port = (server.address() as net.AddressInfo).port
      }
      return { addresses, port, stop }
    } catch (error) {
      // The port the first address got was taken on another one: try again with a new port.
      lastError = error
      await stop()
    }
  }
  throw lastError
}

function serve(socket: net.Socket): void {
  let received = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk])
    if (received.length < LENGTH_PREFIX_BYTES) return
    const length = received.readUInt16BE(0)
    if (received.length < LENGTH_PREFIX_BYTES + length) return
    socket.removeAllListeners('data')
    const query = dnsPacket.decode(received.subarray(LENGTH_PREFIX_BYTES, LENGTH_PREFIX_BYTES + length))
    respond(socket, query, scenarioOf(query))
  })
}

function scenarioOf(query: dnsPacket.Packet): ResponderScenario {
  const label = query.questions?.[0]?.name.split('.')[0]?.toLowerCase()
  return SCENARIOS.find((scenario) => scenario === label) ?? 'answer'
}

function respond(socket: net.Socket, query: dnsPacket.Packet, scenario: ResponderScenario): void {
  const id = query.id ?? 0
  switch (scenario) {
    case 'answer':
      socket.write(framed(answerTo(query, id)))
      return
    case 'drip':
      drip(socket, framed(answerTo(query, id)))
      return
    case 'stray-first':
      socket.write(Buffer.concat([framed(answerTo(query, (id + 1) & 0xffff)), framed(answerTo(query, id))]))
      return
    case 'stall':
      socket.write(Buffer.from([0xff, 0xff]))
      return
    case 'oversize':
      socket.write(Buffer.concat([lengthPrefix(OVERSIZE_BYTES), Buffer.alloc(OVERSIZE_BYTES)]))
      return
    case 'garbage':
      socket.end(framed(Buffer.alloc(GARBAGE_BYTES, 0xff)))
      return
    case 'close':
      socket.end()
      return
    case 'reset':
      socket.resetAndDestroy()
      return
  }
}

function answerTo(query: dnsPacket.Packet, id: number): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id,
    flags: AUTHORITATIVE_ANSWER_FLAG,
    questions: query.questions ?? [],
    answers: [],
    additionals: [
      { type: 'OPT', name: '.', udpPayloadSize: 1232, options: [{ code: NSID_OPTION_CODE, data: Buffer.from(RESPONDER_NSID) }] },
    ],
    // @types/dns-packet lists only a few option codes; dns-packet itself encodes any code with raw data.
  } as unknown as dnsPacket.Packet)
}

function drip(socket: net.Socket, bytes: Buffer): void {
  let sent = 0
  const next = (): void => {
    if (socket.destroyed) return
    socket.write(bytes.subarray(sent, sent + 1))
    sent += 1
    if (sent < bytes.length) setTimeout(next, DRIP_INTERVAL_MS)
  }
  next()
}

function framed(message: Buffer): Buffer {
  return Buffer.concat([lengthPrefix(message.length), message])
}

function lengthPrefix(length: number): Buffer {
  const prefix = Buffer.alloc(LENGTH_PREFIX_BYTES)
  prefix.writeUInt16BE(length)
  return prefix
}
