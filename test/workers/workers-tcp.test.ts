// Runs inside workerd (@cloudflare/vitest-pool-workers). The DNS daemons and the scripted responder
// run in Node (global-setup.ts); the tests reach them over real loopback TCP through connect().
import { connect } from 'cloudflare:sockets'
import { describe, expect, inject, it } from 'vitest'
import { createWorkersTcpTransport } from '../../src/adapters/transport/workers-tcp.ts'
import { runProbe, type ProbeRequest } from '../../src/app/probe.ts'
import { judgeReply } from '../../src/core/dns/decode.ts'
import { buildIdentityQuery } from '../../src/core/dns/query.ts'
import type { Clock } from '../../src/ports/clock.ts'
import type { DnsTransport, ExchangeResult } from '../../src/ports/transport.ts'
import { RESPONDER_NSID, scenarioQname, type ResponderScenario } from './fixtures.ts'

const LOOPBACK_ADDRESS = '127.0.0.1'
const PROBE_TIMEOUT_MS = 2_000
const SHORT_DEADLINE_MS = 300
// How late a deadline may fire on a loaded CI machine before we call it a hang.
const DEADLINE_SLACK_MS = 700

const clock: Clock = { nowMs: () => Date.now(), monotonicMs: () => performance.now() }

function probe(transport: DnsTransport, request: Partial<ProbeRequest> & { port: number; qname: string }) {
  return runProbe(
    { transports: { tcp: transport }, clock, random: Math.random },
    { vantage: 'workerd-test', address: LOOPBACK_ADDRESS, transport: 'tcp', timeoutMs: PROBE_TIMEOUT_MS, ...request },
  )
}

/** One exchange with the responder, outside runProbe, so the transport's own result is visible. */
async function exchangeWith(
  scenario: ResponderScenario,
  options: { transport?: DnsTransport; timeoutMs?: number; address?: string; port?: number } = {},
): Promise<{ result: ExchangeResult; elapsedMs: number }> {
  const transport = options.transport ?? createWorkersTcpTransport()
  const query = buildIdentityQuery({ id: 0x1234, qname: scenarioQname(scenario) })
  const startedAt = performance.now()
  const result = await transport.exchange({
    address: options.address ?? LOOPBACK_ADDRESS,
    port: options.port ?? inject('responderPort'),
    query: query.bytes,
    judge: (reply) => judgeReply(reply, query),
    signal: AbortSignal.timeout(options.timeoutMs ?? PROBE_TIMEOUT_MS),
  })
  return { result, elapsedMs: performance.now() - startedAt }
}

function nsidText(result: ExchangeResult): string | null {
  return result.kind === 'answer' && result.answer.nsid ? new TextDecoder().decode(result.answer.nsid) : null
}

/** A connect() that remembers the sockets it opened, to check how the transport left them. */
function recordingConnect(): { connect: typeof connect; sockets: ReturnType<typeof connect>[] } {
  const sockets: ReturnType<typeof connect>[] = []
  return {
    sockets,
    connect: (address, options) => {
      const socket = connect(address, options)
      sockets.push(socket)
      return socket
    },
  }
}

describe('The Workers transport passes the same identity test inside workerd', () => {
  for (const server of inject('dnsServers')) {
    it(`reads the ${server.available ? server.expectedIdentity.source : 'expected'} identity of ${server.kind} over TCP`, async (context) => {
      if (!server.available) return context.skip(server.reason)
      const observation = await probe(createWorkersTcpTransport(), { port: server.port, qname: server.zone })
      expect(observation).toMatchObject({
        outcome: 'ok',
        transport: 'tcp',
        rcode: 0,
        error: null,
        identity: { source: server.expectedIdentity.source, text: server.expectedIdentity.text },
      })
      expect(observation.connectMs).toEqual(expect.any(Number))
      expect(observation.rttMs).toEqual(expect.any(Number))
    })
  }
})

describe('workers-tcp framing and endings against a scripted loopback responder', () => {
  it('answers with connect time and query round trip kept apart', async () => {
    const { result } = await exchangeWith('answer')
    expect(result).toMatchObject({ kind: 'answer', ignoredReplies: 0, connectMs: expect.any(Number), rttMs: expect.any(Number) })
    expect(nsidText(result)).toBe(RESPONDER_NSID)
  })

  it('reassembles an answer written one byte at a time', async () => {
    const { result } = await exchangeWith('drip')
    expect(result.kind).toBe('answer')
    expect(nsidText(result)).toBe(RESPONDER_NSID)
  })

  it('ignores and counts a reply with the wrong id, then takes the answer behind it', async () => {
    const { result } = await exchangeWith('stray-first')
    expect(result).toMatchObject({ kind: 'answer', ignoredReplies: 1 })
  })

  it('times out within the deadline when a 65535-byte length prefix is followed by silence', async () => {
    const { result, elapsedMs } = await exchangeWith('stall', { timeoutMs: SHORT_DEADLINE_MS })
    expect(result).toMatchObject({ kind: 'no-answer', outcome: 'timeout', error: 'no answer before the deadline' })
    expect(result.connectMs).toEqual(expect.any(Number))
    expect(elapsedMs).toBeLessThan(SHORT_DEADLINE_MS + DEADLINE_SLACK_MS)
  })

  it('reports a length prefix above maxMessageBytes as malformed without buffering the message', async () => {
    const transport = createWorkersTcpTransport({ maxMessageBytes: 512 })
    const { result } = await exchangeWith('oversize', { transport })
    expect(result).toMatchObject({ kind: 'no-answer', outcome: 'malformed', ignoredReplies: 1 })
  })

  it('reports a framed message that is not DNS, then a close, as malformed', async () => {
    const { result } = await exchangeWith('garbage')
    expect(result).toMatchObject({ kind: 'no-answer', outcome: 'malformed', ignoredReplies: 1 })
  })

  it('reports a connection closed before the answer as a network error, not ok', async () => {
    const { result } = await exchangeWith('close')
    expect(result).toMatchObject({ kind: 'no-answer', outcome: 'network-error', error: 'connection closed before an answer' })
  })

  it('reports a connection reset before the answer as a network error', async () => {
    const { result } = await exchangeWith('reset')
    expect(result).toMatchObject({ kind: 'no-answer', outcome: 'network-error' })
  })

  it('connects to an IPv6 literal, which connect() only accepts in brackets', async (context) => {
    const v6 = inject('responderV6')
    if (!('port' in v6)) return context.skip(v6.reason)
    const { result } = await exchangeWith('answer', { address: '::1', port: v6.port })
    expect(nsidText(result)).toBe(RESPONDER_NSID)
  })

  it('reports a refused connection as a network error without a connect time', async () => {
    const { result } = await exchangeWith('answer', { port: inject('closedPort') })
    expect(result).toMatchObject({ kind: 'no-answer', outcome: 'network-error', connectMs: null })
  })

  it('does not connect when the deadline has already passed', async () => {
    const recorder = recordingConnect()
    const transport = createWorkersTcpTransport({ connect: recorder.connect })
    const result = await transport.exchange({
      address: LOOPBACK_ADDRESS,
      port: inject('responderPort'),
      query: buildIdentityQuery({ id: 1, qname: scenarioQname('answer') }).bytes,
      judge: () => ({ accepted: false, reason: 'mismatch', detail: 'unused' }),
      signal: AbortSignal.abort(),
    })
    expect(result).toMatchObject({ kind: 'no-answer', outcome: 'timeout', connectMs: null })
    expect(recorder.sockets).toHaveLength(0)
  })

  it('returns a connect() that throws as a network error', async () => {
    const transport = createWorkersTcpTransport({
      connect: () => {
        throw new TypeError('invalid address')
      },
    })
    const { result } = await exchangeWith('answer', { transport })
    expect(result).toEqual({ kind: 'no-answer', outcome: 'network-error', error: 'invalid address', connectMs: null, ignoredReplies: 0 })
  })

  for (const scenario of ['answer', 'stall', 'close', 'reset'] as const) {
    it(`releases both stream locks and closes the socket after the ${scenario} scenario`, async () => {
      const recorder = recordingConnect()
      const transport = createWorkersTcpTransport({ connect: recorder.connect })
      await exchangeWith(scenario, { transport, timeoutMs: SHORT_DEADLINE_MS })
      const [socket] = recorder.sockets
      expect(socket?.readable.locked).toBe(false)
      expect(socket?.writable.locked).toBe(false)
      await expect(socket?.closed).resolves.toBeUndefined()
    })
  }
})

type Socket = ReturnType<typeof connect>

/** A socket made of plain web streams: nothing arrives unless the test says so. */
function scriptedSocket(script: { opened?: Promise<unknown>; write?: () => Promise<void> }) {
  const happened: string[] = []
  const socket = {
    opened: script.opened ?? Promise.resolve({}),
    closed: Promise.resolve(),
    readable: new ReadableStream<Uint8Array>({ cancel: () => void happened.push('read cancelled') }),
    writable: new WritableStream<Uint8Array>({ write: script.write ?? (() => Promise.resolve()) }),
    close: async () => void happened.push('socket closed'),
  }
  return { socket, happened, connect: (() => socket as unknown as Socket) as typeof connect }
}

function exchangeOver(socketConnect: typeof connect, signal: AbortSignal): Promise<ExchangeResult> {
  const query = buildIdentityQuery({ id: 1, qname: 'example' })
  return createWorkersTcpTransport({ connect: socketConnect }).exchange({
    address: LOOPBACK_ADDRESS,
    port: 53,
    query: query.bytes,
    judge: (reply) => judgeReply(reply, query),
    signal,
  })
}

describe('workers-tcp leaves nothing behind on a scripted socket', () => {
  it('cancels the pending read at the deadline before it returns the timeout', async () => {
    const scripted = scriptedSocket({})
    const result = await exchangeOver(scripted.connect, AbortSignal.timeout(50))
    expect(result).toMatchObject({ kind: 'no-answer', outcome: 'timeout', error: 'no answer before the deadline' })
    expect(scripted.happened).toEqual(['read cancelled', 'socket closed'])
    expect(scripted.socket.readable.locked).toBe(false)
    expect(scripted.socket.writable.locked).toBe(false)
  })

  it('gives up on a connection that never opens at the deadline and closes it', async () => {
    const scripted = scriptedSocket({ opened: new Promise(() => {}) })
    const result = await exchangeOver(scripted.connect, AbortSignal.timeout(50))
    expect(result).toEqual({
      kind: 'no-answer',
      outcome: 'timeout',
      error: 'connection not established before the deadline',
      connectMs: null,
      ignoredReplies: 0,
    })
    expect(scripted.happened).toEqual(['socket closed'])
  })

  it('reports a failed write as a network error without waiting for the deadline', async () => {
    const scripted = scriptedSocket({ write: () => Promise.reject(new Error('write failed')) })
    const result = await exchangeOver(scripted.connect, AbortSignal.timeout(PROBE_TIMEOUT_MS))
    expect(result).toMatchObject({ kind: 'no-answer', outcome: 'network-error', error: 'write failed' })
    expect(scripted.happened).toEqual(['read cancelled', 'socket closed'])
  })
})
