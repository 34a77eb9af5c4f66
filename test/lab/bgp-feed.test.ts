// The lab's BGP feed (lab/bgp-feed) without the lab: its answers are read back with the monitor's own
// RIPEstat and RIS Live parsers, and its server runs on loopback over a collector log written here.
// The feed on the real collector is in bgp.e2e.test.ts.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCollectorLog, type CollectorRoute, type CollectorSession, collectorPeer } from '../../lab/collector.ts'
import {
  bgpUpdatesData,
  lookingGlassData,
  ripestatEnvelope,
  ripestatError,
  routingStatusData,
  rpkiValidationData,
} from '../../lab/bgp-feed/ripestat.ts'
import { parseClientMessage, risMessageOf, subscriptionMatches, type Subscription } from '../../lab/bgp-feed/ris-live.ts'
import { startBgpFeed, type BgpFeed } from '../../lab/bgp-feed/server.ts'
import { LAB_ROAS } from '../../lab/topology.ts'
import { createRipestatSource } from '../../src/adapters/bgp/ripestat.ts'
import { createRisLiveSource } from '../../src/adapters/bgp/ris-live.ts'
import type { BgpSnapshot, BgpSourceResult, BgpUpdateEvent } from '../../src/core/bgp/model.ts'
import { parseRisLiveFrame, RIS_PING_MESSAGE, risSubscribeMessage, routeChangesOfRisMessage } from '../../src/core/bgp/ris-live.ts'
import { dumpVisibilityOf, lookingGlassView, parseRipestatBody, rpkiCheckOf, updatesOf } from '../../src/core/bgp/ripestat-normalise.ts'

const VIP = '198.51.100.53/32'
const NOW = Date.UTC(2026, 10, 22, 6, 0, 0)

function collectorRoute(protocol: string, prefix: string, asPath: number[], communities: string[], sinceMs: number): CollectorRoute {
  const peer = collectorPeer(protocol)
  return {
    prefix,
    protocol,
    peerRouter: protocol.split('_')[0] ?? '',
    peerIp: peer?.ip ?? null,
    peerAsn: peer?.asn ?? null,
    best: false,
    asPath,
    communities,
    origin: 'IGP',
    nextHop: peer?.ip ?? null,
    since: '',
    sinceMs,
  }
}

const ROUTES = [
  collectorRoute('r1_v4', VIP, [65101, 65001], ['65000:1'], NOW - 60_000),
  collectorRoute('r2_v4', VIP, [65102, 65103, 65003], ['65000:3'], NOW - 5_000),
  collectorRoute('r3_v6', '2001:db8:53::53/128', [65103, 65003], ['65000:3'], NOW - 60_000),
]
const SESSIONS: CollectorSession[] = ['r1_v4', 'r2_v4', 'r3_v4', 'r1_v6', 'r3_v6'].map((protocol) => ({
  protocol,
  peer: collectorPeer(protocol),
  established: protocol !== 'r3_v4',
}))

/** A collector log line as BIRD writes it, at local time `ms`. */
function logTime(ms: number): string {
  const date = new Date(ms)
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`
}
const announceLine = (ms: number, protocol: string, prefix: string, path: string, community: string): string =>
  `${logTime(ms)} <INFO> UPDATE ${protocol} ${prefix} as-path (path ${path}) communities (clist (${community}))\n`
const withdrawLine = (ms: number, protocol: string, prefix: string): string => `${logTime(ms)} <TRACE> ${protocol}.ipv4 > removed [sole] ${prefix} unicast\n`

describe('the feed in RIPEstat shapes, read back by the monitor', () => {
  it('looking-glass: every collector route inside the resource, one RRC, times in UTC', () => {
    const parsed = parseRipestatBody('looking-glass', ripestatEnvelope('looking-glass', lookingGlassData(VIP, ROUTES, NOW), NOW))
    if (!parsed.ok) throw new Error(parsed.error)
    const view = lookingGlassView(parsed.data)
    expect(view.collectors).toEqual(['rrclab'])
    expect(view.dataAt).toBe(NOW)
    expect(view.routes).toEqual([
      { collector: 'rrclab', peerIp: '10.53.41.2', peerAsn: 65101, asPath: [65101, 65001], originAsn: 65001, communities: ['65000:1'], largeCommunities: [], changedAt: NOW - 60_000 },
      { collector: 'rrclab', peerIp: '10.53.42.2', peerAsn: 65102, asPath: [65102, 65103, 65003], originAsn: 65003, communities: ['65000:3'], largeCommunities: [], changedAt: NOW - 5_000 },
    ])
  })

  it('looking-glass of a prefix nobody announces has no RRC, as RIPEstat answers it', () => {
    expect(lookingGlassData('203.0.113.0/24', ROUTES, NOW)).toMatchObject({ rrcs: [] })
  })

  it('routing-status: peers seeing the prefix out of the established sessions of its family', () => {
    const parsed = parseRipestatBody('routing-status', ripestatEnvelope('routing-status', routingStatusData(VIP, ROUTES, SESSIONS, [], NOW), NOW))
    if (!parsed.ok) throw new Error(parsed.error)
    expect(dumpVisibilityOf(parsed.data, VIP)).toEqual({ peersSeeing: 2, peersTotal: 2, at: NOW })
    expect(parsed.data.origins?.map((origin) => origin.origin)).toEqual([65001, 65003])
    const v6 = routingStatusData('2001:db8:53::/48', ROUTES, SESSIONS, [], NOW)
    expect(v6).toMatchObject({ visibility: { v6: { ris_peers_seeing: 1, total_ris_peers: 2 } }, more_specifics: [{ prefix: '2001:db8:53::53/128' }] })
  })

  it('bgp-updates: announcements and withdrawals of the window, with RIS source ids', () => {
    const events = parseCollectorLog(
      announceLine(NOW - 120_000, 'r2_v4', VIP, '65102 65002', '65000,2') +
        withdrawLine(NOW - 30_000, 'r2_v4', VIP) +
        announceLine(NOW - 20_000, 'r2_v4', VIP, '65102 65103 65003', '65000,3') +
        announceLine(NOW - 10_000, 'r1_v4', '203.0.113.0/24', '65101 64999', '64999,1'),
    )
    const parsed = parseRipestatBody('bgp-updates', ripestatEnvelope('bgp-updates', bgpUpdatesData(VIP, events, NOW - 60_000, NOW), NOW))
    if (!parsed.ok) throw new Error(parsed.error)
    expect(updatesOf(parsed.data, { from: 0, until: 0 })).toEqual({
      from: NOW - 60_000,
      until: NOW,
      events: [
        { at: NOW - 30_000, type: 'withdraw', prefix: VIP, collector: 'rrclab', peerIp: '10.53.42.2', asPath: [], communities: [] },
        { at: NOW - 20_000, type: 'announce', prefix: VIP, collector: 'rrclab', peerIp: '10.53.42.2', asPath: [65102, 65103, 65003], communities: ['65000:3'] },
      ],
    })
  })

  it('rpki-validation: RFC 6811 against the lab ROAs', () => {
    const status = (asn: number, prefix: string) => rpkiCheckOf(rpkiValidationData(asn, prefix, LAB_ROAS) as never, asn)
    expect(status(65002, VIP)).toMatchObject({ status: 'valid', detail: 'valid' })
    expect(status(64999, VIP)).toMatchObject({ status: 'invalid', detail: 'invalid_asn' })
    expect(rpkiValidationData(65001, '198.51.100.0/24', [{ prefix: '198.51.100.0/22', maxLength: 23, asn: 65001 }])).toMatchObject({ status: 'invalid_length' })
    expect(status(65001, '203.0.113.0/24')).toMatchObject({ status: 'unknown', detail: 'unknown' })
  })

  it('an error envelope is an error to the monitor, with the message', () => {
    const parsed = parseRipestatBody('looking-glass', ripestatError('looking-glass', 400, 'resource "x" is not a prefix', NOW))
    expect(parsed).toEqual({ ok: false, error: 'looking-glass: status "error" (status_code 400): error: resource "x" is not a prefix' })
  })
})

describe('the feed in RIS Live shapes', () => {
  it('an announcement is a ris_message the monitor turns into the peer\'s new route', () => {
    const [event] = parseCollectorLog(announceLine(NOW, 'r2_v4', VIP, '65102 65103 65003', '65000,3'))
    const frame = parseRisLiveFrame(JSON.stringify(risMessageOf(event!, 7)))
    if (frame.kind !== 'message') throw new Error(JSON.stringify(frame))
    expect(routeChangesOfRisMessage(frame.message)).toEqual([
      {
        event: { at: NOW, type: 'announce', prefix: VIP, collector: 'rrclab', peerIp: '10.53.42.2', asPath: [65102, 65103, 65003], communities: ['65000:3'] },
        route: { collector: 'rrclab', peerIp: '10.53.42.2', peerAsn: 65102, asPath: [65102, 65103, 65003], originAsn: 65003, communities: ['65000:3'], largeCommunities: [], changedAt: NOW },
      },
    ])
  })

  it('a withdrawal is a ris_message withdrawing the prefix', () => {
    const [event] = parseCollectorLog(withdrawLine(NOW, 'r1_v4', VIP))
    const frame = parseRisLiveFrame(JSON.stringify(risMessageOf(event!, 8)))
    if (frame.kind !== 'message') throw new Error(JSON.stringify(frame))
    expect(routeChangesOfRisMessage(frame.message).map((change) => [change.event.type, change.event.peerIp, change.route])).toEqual([['withdraw', '10.53.41.2', null]])
  })

  it('reads the monitor\'s subscription and ping, and names what it cannot read', () => {
    expect(parseClientMessage(JSON.stringify(risSubscribeMessage(VIP)))).toEqual({
      kind: 'subscribe',
      subscription: { prefix: VIP, moreSpecific: true, lessSpecific: false, acknowledge: true },
    })
    expect(parseClientMessage(JSON.stringify(RIS_PING_MESSAGE))).toEqual({ kind: 'ping' })
    expect(parseClientMessage('{nope')).toEqual({ kind: 'invalid', reason: 'not JSON' })
    expect(parseClientMessage(JSON.stringify({ type: 'ris_subscribe', data: { prefix: '300.1.2.3/8' } }))).toEqual({ kind: 'invalid', reason: 'invalid prefix "300.1.2.3/8"' })
    expect(parseClientMessage(JSON.stringify({ type: 'hello' }))).toEqual({ kind: 'invalid', reason: 'unknown message type "hello"' })
  })

  it('matches the prefix and its more-specifics; less-specifics only when asked', () => {
    const subscription = (prefix: string, fields: Partial<Subscription> = {}): Subscription => ({ prefix, moreSpecific: true, lessSpecific: false, acknowledge: false, ...fields })
    expect(subscriptionMatches(subscription(VIP), VIP)).toBe(true)
    expect(subscriptionMatches(subscription('198.51.100.0/24'), VIP)).toBe(true)
    expect(subscriptionMatches(subscription('198.51.100.0/24', { moreSpecific: false }), VIP)).toBe(false)
    expect(subscriptionMatches(subscription(VIP), '198.51.100.0/24')).toBe(false)
    expect(subscriptionMatches(subscription(VIP, { lessSpecific: true }), '198.51.100.0/24')).toBe(true)
    expect(subscriptionMatches(subscription('2001:db8:53::/48'), '2001:db8:53::53/128')).toBe(true)
    expect(subscriptionMatches(subscription('2001:db8:53::/48'), VIP)).toBe(false)
  })
})

describe('the feed server on loopback, over a collector log written by the test', () => {
  let dir = ''
  let logPath = ''
  let feed: BgpFeed | undefined
  const started = Date.now()
  const url = (path: string): string => `${feed?.url ?? ''}${path}`

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bgp-feed-'))
    logPath = join(dir, 'bird.log')
    writeFileSync(logPath, announceLine(started - 1_000, 'r2_v4', VIP, '65102 65002', '65000,2'))
    // No BIRD behind this socket: RIB questions fail, the log still feeds bgp-updates and RIS Live.
    feed = await startBgpFeed({ birdSocket: join(dir, 'no-bird.ctl'), logPath }, { host: '127.0.0.1', port: 0 })
  })

  afterAll(async () => {
    await feed?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('answers bgp-updates from the log it tails', async () => {
    const body = (await (await fetch(url(`/data/bgp-updates/data.json?resource=${encodeURIComponent(VIP)}&starttime=${Math.floor(started / 1000) - 60}`))).json()) as unknown
    const parsed = parseRipestatBody('bgp-updates', body)
    if (!parsed.ok) throw new Error(parsed.error)
    expect(parsed.data.updates.map((update) => [update.type, update.attrs.source_id])).toEqual([['A', 'rrclab-10.53.42.2']])
  })

  it('answers a bad resource with a 400 error envelope, an unknown call with 404', async () => {
    const bad = await fetch(url('/data/looking-glass/data.json?resource=nonsense'))
    expect(bad.status).toBe(400)
    expect(parseRipestatBody('looking-glass', await bad.json())).toMatchObject({ ok: false, error: expect.stringContaining('is not a prefix') })
    expect((await fetch(url('/data/whois/data.json?resource=AS65001'))).status).toBe(404)
  })

  it('a collector it cannot ask is a 500, which the monitor reports as an unavailable source, not as a withdrawal', async () => {
    const source = createRipestatSource({ sourceapp: 'test', baseUrl: feed?.url ?? '', retry: { maxAttempts: 1 } })
    const result = await source.snapshot(VIP, AbortSignal.timeout(10_000))
    expect(result.kind).toBe('unavailable')
    expect(result.kind === 'unavailable' ? result.reason : '').toMatch(/500/)
  })

  it('streams each line BIRD appends as RIS Live, and the monitor\'s RIS Live source follows it', async () => {
    const seedRoute = { collector: 'rrclab', peerIp: '10.53.41.2', peerAsn: 65101, asPath: [65101, 65001], originAsn: 65001, communities: ['65000:1'], largeCommunities: [], changedAt: started - 60_000 }
    const seedSnapshot: BgpSnapshot = {
      source: 'seed',
      prefix: VIP,
      fetchedAt: started,
      dataAt: started,
      collectors: ['rrclab'],
      routes: [seedRoute],
      totals: { peersSeeing: 1, peersTotal: null, byCollector: [] },
      dumpVisibility: null,
      updates: null,
      rpki: null,
      gaps: [],
    }
    const seed = { name: 'seed', snapshot: async (): Promise<BgpSourceResult> => ({ kind: 'snapshot', snapshot: { ...seedSnapshot, dataAt: Date.now() - 1 } }) }
    const source = createRisLiveSource({ url: `${(feed?.url ?? '').replace('http', 'ws')}/v1/ws/?client=test`, prefixes: [VIP], seed, silenceMs: 5_000 })
    const received: BgpUpdateEvent[] = []
    source.onUpdate((event) => received.push(event))
    try {
      const first = await source.snapshot(VIP, AbortSignal.timeout(10_000))
      expect(first.kind).toBe('snapshot')
      await waitFor(() => source.health().state === 'open', 'the socket to open')
      const at = Date.now() + 5
      appendFileSync(logPath, withdrawLine(at, 'r1_v4', VIP) + announceLine(at + 1, 'r3_v4', '203.0.113.0/24', '65103 64999', '64999,1'))
      await waitFor(() => received.length > 0, 'the withdrawal to arrive')
      expect(received).toEqual([{ at, type: 'withdraw', prefix: VIP, collector: 'rrclab', peerIp: '10.53.41.2', asPath: [], communities: [] }])
      const after = await source.snapshot(VIP, AbortSignal.timeout(10_000))
      expect(after.kind === 'snapshot' ? after.snapshot.routes : after).toEqual([])
      expect(source.health()).toMatchObject({ malformedFrames: 0, serverErrors: 0 })
    } finally {
      await source.close()
    }
  })
})

async function waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
