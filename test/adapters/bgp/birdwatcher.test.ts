// The birdwatcher source against a birdwatcher-shaped HTTP server on 127.0.0.1 serving the constructed
// fixtures in test/fixtures/bgp/birdwatcher (see the README there for where their shape comes from).
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { createBirdwatcherSource, type BirdwatcherSourceOptions } from '../../../src/adapters/bgp/birdwatcher.ts'
import { bgpSiteStatus } from '../../../src/core/bgp/attribution.ts'
import { BgpDetectionSettingsSchema, runBgpDetectors } from '../../../src/core/bgp/detectors/index.ts'
import type { BgpSourceResult } from '../../../src/core/bgp/model.ts'
import { input, PREFIX, RULES, T0 } from '../../support/bgp.ts'
import { startHttpReceiver, type HttpReceiver, type ReceivedRequest, type ScriptedAnswer } from '../../support/http-receiver.ts'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/bgp/birdwatcher')
const routesBody = JSON.parse(readFileSync(join(FIXTURES, 'routes-prefix.constructed.json'), 'utf8')) as { routes: unknown[] }
const protocolsBody = readFileSync(join(FIXTURES, 'protocols-bgp.constructed.json'), 'utf8')
const TOKEN = 'Bearer lg-shim-token'

const json = (body: unknown): ScriptedAnswer => ({ status: 200, body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'Content-Type': 'application/json' } })
const pathOf = (request: ReceivedRequest): string => new URL(request.path, 'http://127.0.0.1').pathname

type Override = (path: string, request: ReceivedRequest) => ScriptedAnswer | undefined

function birdwatcherScript(override: Override = () => undefined) {
  return (request: ReceivedRequest): ScriptedAnswer => {
    const path = pathOf(request)
    const answer = override(path, request)
    if (answer !== undefined) return answer
    if (path === '/routes/prefix') return json(routesBody)
    if (path === '/protocols/bgp') return json(protocolsBody)
    return { status: 404, body: '404 page not found' }
  }
}

const receivers: HttpReceiver[] = []
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()))
})

async function lookingGlass(override?: Override): Promise<HttpReceiver> {
  const receiver = await startHttpReceiver(birdwatcherScript(override))
  receivers.push(receiver)
  return receiver
}

function ask(server: HttpReceiver, options: Partial<BirdwatcherSourceOptions> = {}): Promise<BgpSourceResult> {
  const source = createBirdwatcherSource({
    name: 'lg1',
    baseUrl: server.url,
    headers: { Authorization: TOKEN },
    nowMs: () => T0,
    random: () => 0,
    requestTimeoutMs: 2_000,
    ...options,
  })
  return source.snapshot(PREFIX, new AbortController().signal)
}

function snapshotOf(result: BgpSourceResult) {
  if (result.kind !== 'snapshot') throw new Error(`expected a snapshot, got ${JSON.stringify(result)}`)
  return result.snapshot
}

function expectNoWithdrawal(result: BgpSourceResult): void {
  expect(result.kind).not.toBe('snapshot')
  expect(Object.values(bgpSiteStatus(result, RULES))).toEqual(['unknown', 'unknown', 'unknown'])
  expect(runBgpDetectors(input([result]), BgpDetectionSettingsSchema.parse({})).findings).toEqual([])
}

describe('the birdwatcher source', () => {
  it('turns /routes/prefix and /protocols/bgp into a snapshot: one peer per BGP session, the looking glass as collector', async () => {
    const snapshot = snapshotOf(await ask(await lookingGlass()))
    expect(snapshot).toMatchObject({
      source: 'lg1',
      prefix: PREFIX,
      collectors: ['lg1'],
      dataAt: Date.UTC(2026, 0, 5, 11, 59, 30, 123),
      dumpVisibility: null,
      updates: null,
      rpki: null,
      gaps: [],
      totals: { peersSeeing: 2, peersTotal: 2, byCollector: [{ collector: 'lg1', peersSeeing: 2, peersTotal: 2 }] },
    })
    expect(snapshot.routes.map((route) => [route.peerIp, route.peerAsn, route.asPath, route.originAsn, route.communities])).toEqual([
      ['198.51.100.1', 64496, [64496, 64510, 64500], 64500, ['64500:1', '64496:3000']],
      ['198.51.100.9', 64497, [64497, 64511, 64500, 64500], 64500, ['64500:2']],
    ])
  })

  it('asks for exactly the prefix, with the configured headers', async () => {
    const server = await lookingGlass()
    await ask(server)
    const routes = server.received.find((request) => pathOf(request) === '/routes/prefix')
    expect(new URL(routes?.path ?? '', 'http://127.0.0.1').searchParams.get('prefix')).toBe(PREFIX)
    expect(server.received.map((request) => request.headers.authorization)).toEqual([TOKEN, TOKEN])
  })

  it("says which sites the looking glass's sessions route to, and a site no session routes to is withdrawn", async () => {
    expect(bgpSiteStatus(await ask(await lookingGlass()), RULES)).toEqual({ fra: 'announced', ber: 'announced', ams: 'withdrawn' })
    const onlyFra = await lookingGlass((path) => (path === '/routes/prefix' ? json({ ...routesBody, routes: routesBody.routes.slice(0, 1) }) : undefined))
    expect(bgpSiteStatus(await ask(onlyFra), RULES)).toEqual({ fra: 'announced', ber: 'withdrawn', ams: 'withdrawn' })
  })

  it('reports a prefix no session carries as a fresh snapshot nobody sees: unknown per site, a critical visibility finding', async () => {
    const result = await ask(await lookingGlass((path) => (path === '/routes/prefix' ? json({ ...routesBody, routes: [] }) : undefined)))
    expect(snapshotOf(result).totals.peersSeeing).toBe(0)
    expect(Object.values(bgpSiteStatus(result, RULES))).toEqual(['unknown', 'unknown', 'unknown'])
    const { findings } = runBgpDetectors(input([result]), BgpDetectionSettingsSchema.parse({}))
    expect(findings.map((finding) => [finding.kind, finding.severity])).toEqual([['bgp-visibility-loss', 'critical']])
  })

  it('keeps the snapshot when /protocols/bgp fails: peers by gateway, total unknown, the gap said', async () => {
    const snapshot = snapshotOf(await ask(await lookingGlass((path) => (path === '/protocols/bgp' ? { status: 403, body: 'not allowed' } : undefined))))
    expect(snapshot.routes.map((route) => [route.peerIp, route.peerAsn])).toEqual([
      ['198.51.100.1', 64496],
      ['198.51.100.9', 64497],
    ])
    expect(snapshot.totals.peersTotal).toBeNull()
    expect(snapshot.gaps).toEqual([{ part: 'totals', reason: '/protocols/bgp: HTTP 403: not allowed' }])
  })

  it('retries while birdwatcher answers 429 (its parser busy)', async () => {
    let routesAsked = 0
    const server = await lookingGlass((path) => {
      if (path !== '/routes/prefix') return undefined
      routesAsked += 1
      return routesAsked === 1 ? { status: 429 } : undefined
    })
    expect((await ask(server)).kind).toBe('snapshot')
    expect(routesAsked).toBe(2)
  })

  it('reports BIRD unreachable (500) as unavailable, never as a withdrawal', async () => {
    const result = await ask(await lookingGlass((path) => (path === '/routes/prefix' ? { status: 500, body: '{"error":"bird unreachable"}' } : undefined)))
    expect(result).toMatchObject({ kind: 'unavailable', source: 'lg1', reason: '/routes/prefix: HTTP 500: {"error":"bird unreachable"} (after 3 attempts)' })
    expectNoWithdrawal(result)
  })

  it('reports a query birdwatcher rejected (200 with error) as unavailable', async () => {
    const rejected = json({ api: { Version: '2.2.5' }, error: 'need a prefix as single query parameter' })
    const result = await ask(await lookingGlass((path) => (path === '/routes/prefix' ? rejected : undefined)))
    expect(result).toMatchObject({ kind: 'unavailable', reason: '/routes/prefix: birdwatcher says "need a prefix as single query parameter"' })
    expectNoWithdrawal(result)
  })

  it('cuts off a looking glass that never answers, within the request timeouts', async () => {
    const started = performance.now()
    const result = await ask(await lookingGlass((path) => (path === '/routes/prefix' ? 'never' : undefined)), { requestTimeoutMs: 200 })
    expect(result).toMatchObject({ kind: 'unavailable', reason: '/routes/prefix: no response within 200 ms (after 3 attempts)' })
    expect(performance.now() - started).toBeLessThan(1600)
    expectNoWithdrawal(result)
  })

  it('calls old data (cached_at far behind) stale', async () => {
    const result = await ask(await lookingGlass(), { nowMs: () => T0 + 20 * 60_000 })
    expect(result).toMatchObject({ kind: 'stale', reason: 'looking glass data is 20 min old' })
    expectNoWithdrawal(result)
  })
})
