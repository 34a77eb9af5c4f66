// The RIPEstat source against a RIPEstat-shaped HTTP server on 127.0.0.1. Nothing leaves the machine.
// Every failure mode ends within a bound, as 'stale' or 'unavailable', and never reads as a withdrawal.
import { afterEach, describe, expect, it } from 'vitest'
import { createRipestatSource, type RipestatSourceOptions } from '../../../src/adapters/bgp/ripestat.ts'
import { bgpSiteStatus } from '../../../src/core/bgp/attribution.ts'
import { BgpDetectionSettingsSchema, runBgpDetectors } from '../../../src/core/bgp/detectors/index.ts'
import type { BgpSourceResult } from '../../../src/core/bgp/model.ts'
import type { BgpSource } from '../../../src/ports/bgp-source.ts'
import { input, PREFIX, RULES, T0 } from '../../support/bgp.ts'
import { startHttpReceiver, type HttpReceiver, type ReceivedRequest, type ScriptedAnswer } from '../../support/http-receiver.ts'
import { dataCallOf, envelope, lookingGlassData, queryOf, ripestatScript, SOURCEAPP, type DataCall } from '../../support/ripestat-server.ts'

/** Generous, so that a loaded test machine does not turn a slow answer into a retry; the hung-server test uses HUNG_TIMEOUT_MS. */
const REQUEST_TIMEOUT_MS = 2_000
const HUNG_TIMEOUT_MS = 200
const MINUTE_MS = 60_000

const receivers: HttpReceiver[] = []
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()))
})

async function ripestat(script: (request: ReceivedRequest, index: number) => ScriptedAnswer): Promise<HttpReceiver> {
  const receiver = await startHttpReceiver(script)
  receivers.push(receiver)
  return receiver
}

const clock = { now: T0 }
afterEach(() => {
  clock.now = T0
})

function source(server: HttpReceiver, options: Partial<RipestatSourceOptions> = {}): BgpSource {
  return createRipestatSource({
    baseUrl: server.url,
    sourceapp: SOURCEAPP,
    nowMs: () => clock.now,
    random: () => 0,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    ...options,
  })
}

const ask = (bgp: BgpSource, prefix = PREFIX) => bgp.snapshot(prefix, new AbortController().signal)
const requestsTo = (server: HttpReceiver, call: DataCall) => server.received.filter((request) => dataCallOf(request) === call)
const failing = (call: DataCall, answer: ScriptedAnswer) => ripestatScript((asked) => (asked === call ? answer : undefined))

/** What the monitor would conclude from the result: no withdrawn site, no finding. */
function expectNoWithdrawal(result: BgpSourceResult): void {
  expect(result.kind).not.toBe('snapshot')
  expect(Object.values(bgpSiteStatus(result, RULES))).toEqual(['unknown', 'unknown', 'unknown'])
  expect(runBgpDetectors(input([result]), BgpDetectionSettingsSchema.parse({})).findings).toEqual([])
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; elapsedMs: number }> {
  const started = performance.now()
  const value = await work()
  return { value, elapsedMs: performance.now() - started }
}

describe('the RIPEstat source', () => {
  it('builds a snapshot from looking-glass, routing-status, bgp-updates and rpki-validation', async () => {
    const server = await ripestat(ripestatScript())
    const result = await ask(source(server))
    if (result.kind !== 'snapshot') throw new Error(`expected a snapshot, got ${JSON.stringify(result)}`)
    const { snapshot } = result
    expect(snapshot).toMatchObject({ source: 'ripestat', prefix: PREFIX, fetchedAt: T0, dataAt: T0 - 30_000, collectors: ['rrc00', 'rrc01'], gaps: [] })
    expect(snapshot.totals).toEqual({
      peersSeeing: 5,
      peersTotal: null,
      byCollector: [
        { collector: 'rrc00', peersSeeing: 3, peersTotal: null },
        { collector: 'rrc01', peersSeeing: 2, peersTotal: null },
      ],
    })
    expect(snapshot.routes.map((route) => [route.peerIp, route.peerAsn, route.originAsn, route.communities, route.largeCommunities])).toEqual([
      ['10.0.0.1', 65001, 64500, ['65001:100', '64500:1'], []],
      ['10.0.0.2', 65002, 64500, ['64500:1'], ['64500:1:1']],
      ['2001:db8::3', 65003, 64500, ['64500:1'], []],
      ['10.1.0.1', 65011, 64500, [], []],
      ['10.1.0.2', 65012, 64500, [], []],
    ])
    expect(snapshot.dumpVisibility).toEqual({ peersSeeing: 300, peersTotal: 320, at: T0 - 4 * 3_600_000 })
    expect(snapshot.updates?.events.map((event) => event.type)).toEqual(['withdraw', 'announce'])
    expect(snapshot.rpki).toEqual([{ originAsn: 64500, status: 'valid', detail: 'valid', validator: 'routinator' }])
    expect(bgpSiteStatus(result, RULES)).toEqual({ fra: 'announced', ber: 'announced', ams: 'withdrawn' })
  })

  it('sends sourceapp on every request, and asks each data call about exactly the prefix', async () => {
    const server = await ripestat(ripestatScript())
    await ask(source(server))
    expect(server.received.map(dataCallOf).sort()).toEqual(['bgp-updates', 'looking-glass', 'routing-status', 'rpki-validation'])
    for (const request of server.received) expect(queryOf(request).get('sourceapp')).toBe(SOURCEAPP)
    expect(Object.fromEntries(queryOf(requestsTo(server, 'looking-glass')[0] as ReceivedRequest))).toEqual({
      resource: PREFIX,
      look_back_limit: '86400',
      sourceapp: SOURCEAPP,
    })
    expect(queryOf(requestsTo(server, 'rpki-validation')[0] as ReceivedRequest).get('resource')).toBe('64500')
    expect(queryOf(requestsTo(server, 'bgp-updates')[0] as ReceivedRequest).get('starttime')).toBe(String((T0 - 2 * 3_600_000) / 1000))
  })

  it('reuses each answer for its own freshness time', async () => {
    const server = await ripestat(ripestatScript())
    const bgp = source(server)
    await ask(bgp)
    await ask(bgp)
    expect(server.received).toHaveLength(4)
    clock.now = T0 + MINUTE_MS + 1
    await ask(bgp)
    expect(server.received.map(dataCallOf).slice(4)).toEqual(['looking-glass'])
    clock.now = T0 + 16 * MINUTE_MS
    await ask(bgp)
    expect(server.received.map(dataCallOf).slice(5).sort()).toEqual(['bgp-updates', 'looking-glass', 'rpki-validation'])
  })

  it('reports an error envelope as unavailable with its messages, without retrying it', async () => {
    const errorEnvelope = envelope('looking-glass', {}, { status: 'error', status_code: 400, messages: [['error', 'The resource is of unsupported type.']] })
    const server = await ripestat(failing('looking-glass', errorEnvelope))
    const result = await ask(source(server))
    expect(result).toEqual({
      kind: 'unavailable',
      source: 'ripestat',
      prefix: PREFIX,
      reason: 'looking-glass: status "error" (status_code 400): error: The resource is of unsupported type.',
    })
    expect(requestsTo(server, 'looking-glass')).toHaveLength(1)
    expectNoWithdrawal(result)
  })

  it('waits out a 429 with Retry-After, then gets the snapshot', async () => {
    let lookingGlassAsked = 0
    const server = await ripestat(
      ripestatScript((call) => {
        if (call !== 'looking-glass') return undefined
        lookingGlassAsked += 1
        return lookingGlassAsked === 1 ? { status: 429, body: 'Too Many Requests', headers: { 'Retry-After': '1' } } : undefined
      }),
    )
    const { value, elapsedMs } = await timed(() => ask(source(server)))
    expect(value.kind).toBe('snapshot')
    expect(requestsTo(server, 'looking-glass').map((request) => request.answeredStatus)).toEqual([429, 200])
    expect(elapsedMs).toBeGreaterThanOrEqual(1000)
  })

  it('gives up at once on a Retry-After longer than it waits, and asks nothing more until then', async () => {
    const server = await ripestat(failing('looking-glass', { status: 429, body: 'slow down', headers: { 'Retry-After': '120' } }))
    const bgp = source(server)
    const { value, elapsedMs } = await timed(() => ask(bgp))
    expect(value).toMatchObject({ kind: 'unavailable', reason: 'looking-glass: HTTP 429: slow down; Retry-After 120 s is longer than this source waits' })
    expect(elapsedMs).toBeLessThan(1000)
    expectNoWithdrawal(value)
    const before = server.received.length
    const again = await ask(bgp)
    expect(again).toMatchObject({ kind: 'unavailable' })
    expect(again.kind === 'unavailable' && again.reason).toMatch(/^looking-glass: not asking until .*the server asked for 120 s of quiet/)
    expect(server.received.length).toBe(before)
  })

  it('retries a 500 with backoff, then reports unavailable', async () => {
    const server = await ripestat(failing('looking-glass', { status: 500, body: 'Internal Server Error' }))
    const { value, elapsedMs } = await timed(() => ask(source(server)))
    expect(value).toMatchObject({ kind: 'unavailable', reason: 'looking-glass: HTTP 500: Internal Server Error (after 3 attempts)' })
    expect(requestsTo(server, 'looking-glass')).toHaveLength(3)
    expect(elapsedMs).toBeLessThan(2000)
    expectNoWithdrawal(value)
  })

  it('treats a body that is not JSON (a proxy error page) as an outage: retried, then unavailable', async () => {
    const server = await ripestat(failing('looking-glass', { status: 200, body: '<html><body>502 Bad Gateway</body></html>' }))
    const result = await ask(source(server))
    expect(result).toMatchObject({ kind: 'unavailable', reason: 'looking-glass: malformed JSON: <html><body>502 Bad Gateway</body></html> (after 3 attempts)' })
    expectNoWithdrawal(result)
  })

  it('treats JSON that is not a RIPEstat answer as unavailable', async () => {
    const server = await ripestat(failing('looking-glass', { status: 200, body: '{"rrcs": []}' }))
    const result = await ask(source(server))
    expect(result.kind === 'unavailable' && result.reason).toMatch(/^looking-glass: not a RIPEstat envelope/)
    expectNoWithdrawal(result)
  })

  it('cuts off a server that never answers after the request timeout, every attempt bounded', async () => {
    const server = await ripestat(failing('looking-glass', 'never'))
    const { value, elapsedMs } = await timed(() => ask(source(server, { requestTimeoutMs: HUNG_TIMEOUT_MS })))
    expect(value).toMatchObject({ kind: 'unavailable', reason: `looking-glass: no response within ${HUNG_TIMEOUT_MS} ms (after 3 attempts)` })
    expect(requestsTo(server, 'looking-glass')).toHaveLength(3)
    expect(elapsedMs).toBeLessThan(3 * HUNG_TIMEOUT_MS + 1000)
    expectNoWithdrawal(value)
  })

  it('stops asking after failed requests in a row (circuit breaker)', async () => {
    const server = await ripestat(() => ({ status: 503, body: 'unavailable' }))
    const bgp = source(server, { retry: { maxAttempts: 1 }, breaker: { failureThreshold: 3, cooldownMs: MINUTE_MS } })
    await ask(bgp)
    const before = server.received.length
    const result = await ask(bgp)
    expect(result.kind === 'unavailable' && result.reason).toMatch(/not asking until .*failed requests in a row/)
    expect(server.received.length).toBe(before)
    clock.now = T0 + MINUTE_MS
    await ask(bgp)
    expect(server.received.length).toBeGreaterThan(before)
  })

  it('shows the last good data as stale, not as a snapshot, when the looking glass fails later', async () => {
    let broken = false
    const server = await ripestat(ripestatScript((call) => (broken && call === 'looking-glass' ? { status: 500, body: 'down' } : undefined)))
    const bgp = source(server)
    expect((await ask(bgp)).kind).toBe('snapshot')
    broken = true
    clock.now = T0 + 2 * MINUTE_MS
    const result = await ask(bgp)
    expect(result).toMatchObject({ kind: 'stale', snapshot: { fetchedAt: T0 } })
    expect(result.kind === 'stale' && result.reason).toBe(`looking-glass: HTTP 500: down (after 3 attempts); last good data from ${new Date(T0 - 30_000).toISOString()}`)
    expectNoWithdrawal(result)
  })

  it('calls data stale when RIS lags behind by more than maxDataAgeMs', async () => {
    const server = await ripestat(failing('looking-glass', envelope('looking-glass', lookingGlassData(T0 - 40 * MINUTE_MS))))
    const result = await ask(source(server))
    expect(result).toMatchObject({ kind: 'stale', reason: 'RIS data is 40 min old' })
    expectNoWithdrawal(result)
  })

  it('keeps the snapshot when an optional call fails, and says which part is missing and why', async () => {
    const server = await ripestat(
      ripestatScript((call) => {
        if (call === 'routing-status') return { status: 500, body: 'oops' }
        if (call === 'rpki-validation') return envelope(call, {}, { status: 'error', messages: [['error', 'bad ASN']] })
        return undefined
      }),
    )
    const result = await ask(source(server, { retry: { maxAttempts: 1 } }))
    if (result.kind !== 'snapshot') throw new Error(`expected a snapshot, got ${result.kind}`)
    expect(result.snapshot.dumpVisibility).toBeNull()
    expect(result.snapshot.rpki).toBeNull()
    expect(result.snapshot.gaps).toEqual([
      { part: 'dump-visibility', reason: 'routing-status: HTTP 500: oops' },
      { part: 'rpki', reason: 'rpki-validation: status "error" (status_code 200): error: bad ASN' },
    ])
    expect(runBgpDetectors(input([result]), BgpDetectionSettingsSchema.parse({})).notChecked).toEqual([
      { kind: 'bgp-rpki-invalid', reason: 'ripestat: rpki-validation: status "error" (status_code 200): error: bad ASN' },
    ])
  })

  it('never has more than 8 requests in flight, however many prefixes are asked at once', async () => {
    let inFlight = 0
    let mostInFlight = 0
    const server = await ripestat((request) => {
      inFlight += 1
      mostInFlight = Math.max(mostInFlight, inFlight)
      setTimeout(() => (inFlight -= 1), 30)
      return { ...(ripestatScript()(request, 0) as Exclude<ScriptedAnswer, 'never'>), delayMs: 30 }
    })
    const bgp = source(server)
    const prefixes = Array.from({ length: 12 }, (_, index) => `198.51.${index}.0/24`)
    const results = await Promise.all(prefixes.map((prefix) => ask(bgp, prefix)))
    expect(results.every((result) => result.kind === 'snapshot')).toBe(true)
    expect(server.received.length).toBe(48)
    expect(mostInFlight).toBe(8)
  })
})
