// A monitor cycle with a `bgp` block, on the memory store, with a fake BGP source: what BGP says about
// the failing site decides between a confirmed black hole (with the path and community as evidence) and
// a failover; a source that cannot tell leaves the black hole "BGP not checked" and holds the BGP
// incidents instead of resolving them. Each cycle stores the target's latest BGP view for the status
// page, and a store that cannot save it does not fail the cycle.
import { describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../src/adapters/store/memory.ts'
import { createMemoryTransport, type MemoryReply } from '../../src/adapters/transport/memory.ts'
import { createBgpHistory } from '../../src/app/bgp-check.ts'
import { createLocalRunner } from '../../src/app/local-runner.ts'
import { runCycle, type CycleDeps } from '../../src/app/run-cycle.ts'
import { requiredBgpHistory } from '../../src/core/bgp/detectors/index.ts'
import type { BgpPeerRoute, BgpSourceResult } from '../../src/core/bgp/model.ts'
import { parseConfig, type Config } from '../../src/core/config.ts'
import { decodeMessage } from '../../src/core/dns/wire.ts'
import { evaluateCycle, requiredHistoryCycles } from '../../src/core/evaluate.ts'
import type { BgpSource } from '../../src/ports/bgp-source.ts'
import type { MonitorStore } from '../../src/ports/store.ts'
import type { VantageRunner } from '../../src/ports/vantage-runner.ts'
import { fresh, route, snapshot } from '../support/bgp.ts'
import { soaReply } from '../support/dns-replies.ts'

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0)
const INTERVAL_MS = 60_000
const PREFIX = '198.51.100.0/24'
const ORIGIN = 64500

function labConfig(): Config {
  const site = (id: string, identity: string, community: string) => ({ id, label: id, latitude: 50, longitude: 8, match: { exact: [identity] }, community })
  const parsed = parseConfig({
    targets: [
      {
        id: 'lab', label: 'Lab', addresses: ['198.51.100.53'], qname: 'example', transports: ['udp'],
        sites: [site('fra', 'fra-1', '64500:1'), site('ams', 'ams-1', '64500:3')],
      },
    ],
    vantages: ['par', 'ber', 'lon'].map((id) => ({ id, label: id, region: id, runner: { kind: 'local' } })),
    alerts: { routes: [{ name: 'oncall', kind: 'webhook', url: 'http://127.0.0.1:9/hook', secretEnv: 'HOOK_KEY' }] },
    bgp: {
      sources: { ripestat: { sourceapp: 'anycast-monitor-test', baseUrl: 'http://127.0.0.1:9' } },
      targets: [{ target: 'lab', prefixes: [{ prefix: PREFIX, originAsns: [ORIGIN] }] }],
    },
  })
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors))
  return parsed.config
}

type Script = Record<string, 'fra-1' | 'ams-1' | 'silent'>
const HEALTHY: Script = { par: 'fra-1', ber: 'fra-1', lon: 'ams-1' }
const FRA_SILENT: Script = { par: 'silent', ber: 'silent', lon: 'ams-1' }

function scriptedRunner(vantage: string, script: () => Script, clock: { now: number }): VantageRunner {
  const respond = (bytes: Uint8Array): MemoryReply => {
    const node = script()[vantage]
    const decoded = decodeMessage(bytes)
    if (!decoded.ok || node === undefined || node === 'silent') return { kind: 'silence' }
    return { kind: 'replies', replies: [soaReply({ id: decoded.message.id, question: decoded.message.questions[0]! }, { nsid: node })], rttMs: 20 }
  }
  return createLocalRunner(vantage, {
    transports: { udp: createMemoryTransport('udp', respond) },
    clock: { nowMs: () => clock.now, monotonicMs: () => 0 },
    random: () => 0.5,
  })
}

/** What the fake BGP source says this cycle. */
type BgpScript = 'fra and ams announced' | 'fra withdrawn' | 'few peers' | 'unavailable' | 'hangs'

const fraRoutes: BgpPeerRoute[] = [
  route(`64496 64510 ${ORIGIN}`, { peer: '10.0.0.1', communities: ['64500:1'] }),
  route(`64497 64510 ${ORIGIN}`, { peer: '10.0.0.2', communities: ['64500:1'] }),
]
const amsRoutes: BgpPeerRoute[] = [
  route(`64498 64513 ${ORIGIN}`, { peer: '10.0.0.3', communities: ['64500:3'] }),
  route(`64499 64513 ${ORIGIN}`, { peer: '10.0.0.4', communities: ['64500:3'] }),
]

function fakeBgpSource(script: () => BgpScript, clock: { now: number }): BgpSource {
  const answer = (routes: BgpPeerRoute[]): BgpSourceResult => fresh(snapshot(routes, { prefix: PREFIX, fetchedAt: clock.now, dataAt: clock.now - 30_000 }))
  return {
    name: 'ripestat',
    snapshot: (prefix, signal) => {
      switch (script()) {
        case 'fra and ams announced':
          return Promise.resolve(answer([...fraRoutes, ...amsRoutes]))
        case 'fra withdrawn':
          return Promise.resolve(answer(amsRoutes))
        case 'few peers':
          return Promise.resolve(answer(fraRoutes.slice(0, 1)))
        case 'unavailable':
          return Promise.resolve({ kind: 'unavailable', source: 'ripestat', prefix, reason: 'looking-glass: HTTP 500 (after 3 attempts)' })
        case 'hangs':
          return new Promise(() => void signal)
      }
    },
  }
}

function monitor(store: MonitorStore = createMemoryStore()) {
  const config = labConfig()
  const bgpSettings = config.bgp!
  const clock = { now: T0 }
  let dns: Script = HEALTHY
  let bgp: BgpScript = 'fra and ams announced'
  const deps: CycleDeps = {
    config,
    store,
    runners: ['par', 'ber', 'lon'].map((vantage) => scriptedRunner(vantage, () => dns, clock)),
    clock: { nowMs: () => clock.now, monotonicMs: () => 0 },
    evaluate: (input) => evaluateCycle({ ...input, params: { detection: config.detection, incidents: config.incidents } }),
    routesFor: () => ['oncall'],
    historyCycles: requiredHistoryCycles(config.detection),
    bgp: { settings: bgpSettings, sources: [fakeBgpSource(() => bgp, clock)], history: createBgpHistory(requiredBgpHistory(bgpSettings.detection)) },
  }
  const cycle = async (next: { dns?: Script; bgp?: BgpScript; signal?: AbortSignal } = {}) => {
    dns = next.dns ?? dns
    bgp = next.bgp ?? bgp
    const report = await runCycle(deps, next.signal)
    clock.now += INTERVAL_MS
    return report
  }
  return { store, cycle }
}

const kinds = (report: { findings: { kind: string }[] }) => report.findings.map((finding) => finding.kind)
const pages = (report: { notifications: { event: string; incident: { key: string } }[] }) =>
  report.notifications.map((notification) => `${notification.event} ${notification.incident.key}`)

describe('a monitor cycle joined with BGP', () => {
  it('confirms a black hole when BGP still sees the failing site announced, with the path and community as evidence', async () => {
    const { cycle } = monitor()
    await cycle()
    await cycle({ dns: FRA_SILENT })
    const report = await cycle()
    expect(pages(report)).toEqual(['trigger lab/black-hole/site:fra'])
    const { lastFinding } = report.notifications[0]!.incident
    expect(lastFinding.summary).toBe(
      'black hole at fra: ber and par get no answer (timeout) while 1 other vantage does; its route is still announced (named by community 64500:1)',
    )
    expect(lastFinding.evidence.details).toMatchObject({
      bgp: 'announced',
      confirmed: true,
      bgpPaths: ['64496 64510 64500 (community 64500:1), 1 peer', '64497 64510 64500 (community 64500:1), 1 peer'],
      bgpCommunity: '64500:1',
      bgpPeersSeeing: 2,
      bgpPeersTotal: 4,
      bgpSources: [`ripestat ${PREFIX}: 2 of 4 peers route to fra`],
    })
  })

  it('calls it a failover, not a black hole, when BGP shows the failing site withdrawn, and carries the withdrawal', async () => {
    const { cycle } = monitor()
    await cycle()
    await cycle({ dns: FRA_SILENT, bgp: 'fra withdrawn' })
    const report = await cycle()
    expect(kinds(report)).toContain('failover')
    expect(kinds(report)).not.toContain('black-hole')
    expect(pages(report)).toContain('trigger lab/failover/site:fra')
    const failover = report.findings.find((finding) => finding.kind === 'failover')
    expect(failover?.evidence.details).toMatchObject({
      bgp: 'withdrawn',
      bgpPeersSeeing: 0,
      bgpCatchment: ['ams: 2 peers'],
      bgpLastAnnouncedAt: new Date(T0 - 30_000).toISOString(),
    })
  })

  it('says "BGP not checked" when the source is unavailable, and resolves no BGP incident meanwhile', async () => {
    const { cycle, store } = monitor()
    await cycle()
    await cycle({ bgp: 'few peers' })
    const lossOpened = await cycle()
    expect(pages(lossOpened)).toContain(`trigger lab/bgp-visibility-loss/prefix:${PREFIX}`)
    await cycle({ dns: FRA_SILENT, bgp: 'unavailable' })
    const blind = [await cycle(), await cycle(), await cycle()]
    const blackHole = blind[2]!.findings.find((finding) => finding.kind === 'black-hole')
    expect(blackHole?.summary).toMatch(/; BGP not checked \(ripestat unavailable: looking-glass: HTTP 500 \(after 3 attempts\)\)$/)
    expect(blackHole?.evidence.details).toMatchObject({ bgp: 'not checked', confirmed: false })
    expect(blind.flatMap(pages).filter((page) => page.startsWith('resolve'))).toEqual([])
    const open = await store.outbox({})
    expect(open.map((item) => `${item.notification.event} ${item.notification.incident.kind}`)).toEqual([
      'trigger bgp-visibility-loss',
      'trigger black-hole',
    ])
    await cycle({ dns: HEALTHY, bgp: 'fra and ams announced' })
    const recovered = await cycle()
    expect(pages(recovered).sort()).toEqual([`resolve lab/bgp-visibility-loss/prefix:${PREFIX}`, 'resolve lab/black-hole/site:fra'])
  })

  it('finishes the cycle when the BGP source never answers, as not checked', async () => {
    const { cycle } = monitor()
    await cycle()
    // Cut the cycle shortly after the probes' 2 s timeouts instead of waiting for its own deadline.
    const report = await cycle({ dns: FRA_SILENT, bgp: 'hangs', signal: AbortSignal.timeout(2_500) })
    expect(report.cycles[0]?.observations).toHaveLength(3)
    const blackHole = report.findings.find((finding) => finding.kind === 'black-hole')
    expect(blackHole?.summary).toMatch(/BGP not checked \(ripestat unavailable: no answer before the cycle deadline\)$/)
  }, 15_000)

  it('stores the latest BGP view of the target each cycle, for the status page', async () => {
    const { cycle, store } = monitor()
    expect(await store.bgpView('lab')).toBeNull()
    await cycle()
    const first = await store.bgpView('lab')
    expect(first?.checkedAt).toBe(T0)
    expect(first?.prefixes.map((prefix) => [prefix.prefix, prefix.expectedOriginAsns])).toEqual([[PREFIX, [ORIGIN]]])
    expect(first?.prefixes[0]?.sources).toMatchObject([{
      source: 'ripestat',
      result: 'snapshot',
      reason: null,
      dataAt: new Date(T0 - 30_000).toISOString(),
      totals: { peersSeeing: 4 },
      origins: [{ originAsn: ORIGIN, peers: 4, expected: true }],
      sites: { fra: 'announced', ams: 'announced' },
      catchment: { fra: 2, ams: 2 },
      peersLeftOut: 0,
    }])
    expect(first?.prefixes[0]?.sources[0]?.peers.map((peer) => [peer.peerIp, peer.asPath, peer.communities, peer.site, peer.siteMatchedBy])).toEqual([
      ['10.0.0.1', `64496 64510 ${ORIGIN}`, ['64500:1'], 'fra', 'community'],
      ['10.0.0.2', `64497 64510 ${ORIGIN}`, ['64500:1'], 'fra', 'community'],
      ['10.0.0.3', `64498 64513 ${ORIGIN}`, ['64500:3'], 'ams', 'community'],
      ['10.0.0.4', `64499 64513 ${ORIGIN}`, ['64500:3'], 'ams', 'community'],
    ])
    await cycle({ bgp: 'unavailable' })
    expect((await store.bgpView('lab'))?.checkedAt).toBe(T0 + INTERVAL_MS)
    expect((await store.bgpView('lab'))?.prefixes[0]?.sources).toMatchObject([
      { source: 'ripestat', result: 'unavailable', reason: 'looking-glass: HTTP 500 (after 3 attempts)', dataAt: null, peers: [], catchment: {} },
    ])
  })

  it('finishes the cycle when the BGP view cannot be saved, and reports why', async () => {
    const failing: MonitorStore = { ...createMemoryStore(), saveBgpView: () => Promise.reject(new Error('disk full')) }
    const { cycle, store } = monitor(failing)
    await cycle()
    await cycle({ dns: FRA_SILENT })
    const report = await cycle()
    expect(report.problems).toEqual([{ target: 'lab', step: 'save-bgp-view', error: 'disk full' }])
    expect(report.cycles[0]?.observations).toHaveLength(3)
    expect(pages(report)).toEqual(['trigger lab/black-hole/site:fra'])
    expect(await store.recentCycles('lab', 10)).toHaveLength(3)
    expect((await store.loadPolicyState('lab')).version).toBe(3)
    expect(await store.bgpView('lab')).toBeNull()
  })
})
