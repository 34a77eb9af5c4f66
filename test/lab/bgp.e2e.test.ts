// The monitor joined with BGP, end to end on the anycast lab: `anycast-monitor serve` on the shipped
// lab/monitor.config.json, whose `bgp` block reads the lab's route collector through its BGP feed
// (lab/bgp-feed: the collector's live RIB and update log as the RIPEstat Data API and RIS Live, on
// 127.0.0.1:8179). Nothing BGP here is canned: every path, community and update comes from BIRD,
// FRR and ExaBGP reacting to the scenario.
//
// - `anycast-monitor bgp --prefix P --config lab/monitor.config.json --json` prints the joined view;
// - stop-dns on the FRR site: a black hole whose evidence shows the route still announced by that
//   site (its community and AS path, in the incident, the page and the Slack post); start-dns resolves it;
// - kill-bgp on the FRR site: a failover whose evidence shows the withdrawal and where the peers
//   route now, no black hole; start-bgp resolves it;
// - flap on the ExaBGP site: a BGP flapping finding from the RIS Live stream, resolved once the
//   flap leaves the detector's window (1 minute in the lab config).
//
// Needs root, `ip netns` and the lab's Debian packages; skipped with the reason otherwise; waits for
// the other lab test files of the run (lab-harness.ts's lock). ~2.5 min.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { collectorUpdateLog, killBgp, startBgpScenario, startDnsScenario, stopDns } from '../../lab/lab.ts'
import { VIP4_PREFIX, VIP6_PREFIX, vantageById } from '../../lab/topology.ts'
import type { Incident } from '../../src/core/findings.ts'
import { eventually, labSkipReason, probeUntil } from './lab-harness.ts'
import { useLabMonitor } from './lab-monitor-suite.ts'
import { flapOneStepPerCycle, pagerDutyEvents, slackMessages, TARGET_ID, type CycleLog } from './monitor-harness.ts'

const reason = labSkipReason()

const CLI = fileURLToPath(new URL('../../bin/anycast-monitor.js', import.meta.url))
const LAB_CONFIG = fileURLToPath(new URL('../../lab/monitor.config.json', import.meta.url))
const STEADY_CYCLES = 2
const ACTION_MARGIN_MS = 2_000
const DELIVERY_WAIT_MS = 5_000

const BLACK_HOLE_KEY = `${TARGET_ID}/black-hole/site:s1`
const FAILOVER_KEY = `${TARGET_ID}/failover/site:s1`
const FLAPPING_KEY = `${TARGET_ID}/bgp-flapping/prefix:${VIP4_PREFIX}`
/** The lab collector's peers (lab/topology.ts): r1, r2, r3 over their collector links. */
const PEER = { r1: '10.53.41.2', r2: '10.53.42.2', r3: '10.53.43.2' }

const findingsOf = (cycles: readonly CycleLog[]): string[] => cycles.flatMap((cycle) => cycle.findings)

interface BgpViewPeer {
  peerIp: string
  peerAsn: number
  asPath: string
  communities: string[]
  site: string | null
  siteMatchedBy: string | null
}
interface BgpViewSource {
  source: string
  result: string
  collectors: string[]
  sites: Record<string, string>
  peers: BgpViewPeer[]
  rpki: { originAsn: number; status: string }[] | null
  detection: { findings: unknown[] }
}

function bgpCommand(prefix: string): { prefixes: { prefix: string; target: string; sources: BgpViewSource[] }[] } {
  const result = spawnSync(process.execPath, [CLI, 'bgp', '--prefix', prefix, '--config', LAB_CONFIG, '--json'], { encoding: 'utf8', timeout: 60_000 })
  if (result.status !== 0) throw new Error(`bgp exited ${result.status}: ${result.stderr}`)
  return JSON.parse(result.stdout) as ReturnType<typeof bgpCommand>
}

describe.skipIf(reason !== undefined)('the monitor with the lab\'s BGP feed (e2e)', () => {
  const { monitor, alerts } = useLabMonitor({
    name: 'anycast-monitor-bgp-e2e',
    lockTimeoutMs: 420_000,
    config: { pagerDutyMinSeverity: 'error' },
    // The collector peers with converged routers (lab.ts up): one announcement per session, no path
    // exploration that the BGP flapping detector would count.
    afterUp: async () => {
      expect((await collectorUpdateLog()).map((event) => `${event.protocol} ${event.kind}`).sort()).toEqual(
        ['r1_v4', 'r1_v6', 'r2_v4', 'r2_v6', 'r3_v4', 'r3_v6'].map((protocol) => `${protocol} update`),
      )
    },
  })

  it('`anycast-monitor bgp` prints the joined view of the lab collector: each peer\'s path, community and site', () => {
    for (const prefix of [VIP4_PREFIX, VIP6_PREFIX]) {
      const view = bgpCommand(prefix)
      expect(view.prefixes.map((entry) => [entry.target, entry.prefix])).toEqual([[TARGET_ID, prefix]])
      const [ripestat] = view.prefixes[0]?.sources ?? []
      expect(ripestat).toMatchObject({ source: 'ripestat', result: 'snapshot', collectors: ['rrclab'], sites: { s1: 'announced', s2: 'announced', s3: 'announced' } })
      const bySite = Object.fromEntries((ripestat?.peers ?? []).map((peer) => [peer.site, [peer.peerAsn, peer.asPath, peer.communities, peer.siteMatchedBy]]))
      expect(bySite).toEqual({
        s1: [65101, '65101 65001', ['65000:1'], 'community'],
        s2: [65102, '65102 65002', ['65000:2'], 'community'],
        s3: [65103, '65103 65003', ['65000:3'], 'community'],
      })
      expect(ripestat?.rpki?.map((check) => [check.originAsn, check.status])).toEqual([
        [65001, 'valid'],
        [65002, 'valid'],
        [65003, 'valid'],
      ])
      expect(ripestat?.detection.findings).toEqual([])
    }
    expect(bgpCommand(VIP4_PREFIX).prefixes[0]?.sources[0]?.peers.map((peer) => peer.peerIp).sort()).toEqual(Object.values(PEER).sort())
  }, 120_000)

  it('steady state with BGP: every source answers, no finding, no alert', async () => {
    const cycles = await monitor().waitForCyclesSince(0, STEADY_CYCLES)
    for (const cycle of cycles) expect(cycle.findings, JSON.stringify(cycle)).toEqual([])
    expect(alerts().pagerDuty.received).toEqual([])
    expect(alerts().slack.received).toEqual([])
  }, 60_000)

  it('stop-dns on the FRR site: a black hole confirmed by BGP, with the community and AS path of the announcement still out there; start-dns resolves it', async () => {
    const serve = monitor()
    await serve.betweenCycles(ACTION_MARGIN_MS)
    const pagesBefore = alerts().pagerDuty.received.length
    const postsBefore = alerts().slack.received.length
    await stopDns('s1')
    const faultAt = Date.now()
    let recoveredAt = 0
    try {
      const trigger = await serve.waitForNotification(`trigger ${BLACK_HOLE_KEY}`, faultAt, 4)
      expect(trigger, JSON.stringify(serve.cyclesSince(faultAt))).not.toBeNull()
      expect(trigger?.index).toBeLessThanOrEqual(2)
      const incident = (await serve.incidents('open')).find((candidate) => candidate.key === BLACK_HOLE_KEY) as Incident
      expect(incident.severity).toBe('critical')
      expect(incident.lastFinding.summary).toMatch(/^black hole at s1: v1 gets no answer .*; its route is still announced \(named by community 65000:1\)$/)
      expect(incident.lastFinding.evidence.details).toMatchObject({
        bgp: 'announced',
        confirmed: true,
        bgpCommunity: '65000:1',
        // The IPv4 and the IPv6 route of r1, the one peer whose best path leads to s1.
        bgpPaths: ['65101 65001 (community 65000:1), 2 peers'],
        bgpPeersSeeing: 2,
        bgpPeersTotal: 6,
      })
      expect(findingsOf(serve.cyclesSince(faultAt)).filter((finding) => finding.includes('failover'))).toEqual([])

      await eventually(() => alerts().pagerDuty.received.length > pagesBefore, DELIVERY_WAIT_MS, 'the page')
      await eventually(() => alerts().slack.received.length > postsBefore, DELIVERY_WAIT_MS, 'the Slack post')
      const page = pagerDutyEvents(alerts()).slice(pagesBefore)[0]
      expect(page?.payload?.custom_details).toMatchObject({
        bgp: { route: 'announced', as_paths: ['65101 65001 (community 65000:1), 2 peers'], community: '65000:1', peers_routing_to_site: 2 },
      })
      const post = slackMessages(alerts()).slice(postsBefore).find((message) => message.text.startsWith('Triggered: black-hole'))
      expect(JSON.stringify(post?.blocks)).toContain('65101 65001 (community 65000:1), 2 peers')
    } finally {
      await startDnsScenario('s1')
      recoveredAt = Date.now()
    }
    const resolve = await serve.waitForNotification(`resolve ${BLACK_HOLE_KEY}`, recoveredAt, 4)
    expect(resolve, JSON.stringify(serve.cyclesSince(recoveredAt))).not.toBeNull()
    await eventually(() => pagerDutyEvents(alerts()).some((event) => event.event_action === 'resolve' && event.dedup_key === BLACK_HOLE_KEY), DELIVERY_WAIT_MS, 'the PagerDuty resolve')
    await probeUntil(vantageById('v1'), (result) => result.outcome === 'ok' && result.site === 's1', 10_000)
  }, 90_000)

  it('kill-bgp on the FRR site: a failover whose evidence shows the withdrawal and where the peers route now, not a black hole; start-bgp resolves it', async () => {
    const serve = monitor()
    await serve.betweenCycles(ACTION_MARGIN_MS)
    await killBgp('s1')
    const faultAt = Date.now()
    let recoveredAt = 0
    try {
      const trigger = await serve.waitForNotification(`trigger ${FAILOVER_KEY}`, faultAt, 5)
      const during = serve.cyclesSince(faultAt)
      expect(trigger, JSON.stringify(during)).not.toBeNull()
      expect(trigger?.index).toBeLessThanOrEqual(3)
      expect(findingsOf(during).filter((finding) => finding.includes('black-hole'))).toEqual([])
      const incident = (await serve.incidents('open')).find((candidate) => candidate.key === FAILOVER_KEY) as Incident
      expect(incident.severity).toBe('warning')
      expect(incident.lastFinding.summary).toMatch(/^s1 is withdrawn from BGP \(no peer routes to it; last seen announced in data of \d{4}-.*\).*v1.*s2/)
      const details = incident.lastFinding.evidence.details as Record<string, unknown>
      expect(details).toMatchObject({ bgp: 'withdrawn', bgpCommunity: '65000:1', bgpPeersSeeing: 0 })
      // r1 now routes to s2 through r2; r2 and r3 keep their own sites: 2 peers per family to s2, 1 to s3.
      expect(details.bgpCatchment).toEqual(['s2: 4 peers', 's3: 2 peers'])
      // RIS Live saw the withdrawal as it happened; the looking glass answer cached before it is superseded.
      expect(JSON.stringify(details.bgpSources)).toMatch(/ris-live 198\.51\.100\.53\/32: 0 of 3 peers route to s1/)
    } finally {
      await startBgpScenario('s1')
      recoveredAt = Date.now()
    }
    const resolve = await serve.waitForNotification(`resolve ${FAILOVER_KEY}`, recoveredAt, 5)
    expect(resolve, JSON.stringify(serve.cyclesSince(recoveredAt))).not.toBeNull()
    await probeUntil(vantageById('v1'), (result) => result.outcome === 'ok' && result.site === 's1', 20_000)
  }, 120_000)

  it('flap on the ExaBGP site: a BGP flapping finding from the RIS Live stream, resolved once the flap has left the window', async () => {
    const serve = monitor()
    let flap: { startedAt: number; settledAt: number }
    try {
      flap = await flapOneStepPerCycle(serve, 's2', 2, ACTION_MARGIN_MS)
    } finally {
      await startBgpScenario('s2')
    }
    const trigger = await serve.waitForNotification(`trigger ${FLAPPING_KEY}`, flap.startedAt, 8)
    expect(trigger, JSON.stringify(serve.cyclesSince(flap.startedAt))).not.toBeNull()
    const incident = (await serve.incidents()).find((candidate) => candidate.key === FLAPPING_KEY) as Incident
    expect(incident.lastFinding.evidence.details).toMatchObject({ source: 'ris-live', flappingPeers: 1 })
    // r2's route moved from s2 to s3 (through r3) and back, twice: the other peers kept their own sites.
    expect(JSON.stringify(incident.lastFinding.evidence.details.peers)).toContain(`rrclab|${PEER.r2}`)
    expect(incident.lastFinding.evidence.sites).toEqual(expect.arrayContaining(['s2', 's3']))
    await eventually(() => slackMessages(alerts()).some((post) => post.text.startsWith('Triggered: bgp-flapping')), DELIVERY_WAIT_MS, 'the Slack post')

    // The window is 1 minute: the finding stops a minute after the last move, the incident 2 cycles later.
    const resolve = await serve.waitForNotification(`resolve ${FLAPPING_KEY}`, flap.settledAt, 24)
    expect(resolve, JSON.stringify(serve.cyclesSince(flap.settledAt).map((cycle) => cycle.findings))).not.toBeNull()
  }, 240_000)
})

if (reason !== undefined) {
  describe('the monitor with the lab\'s BGP feed (e2e)', () => {
    it.skip(`skipped: ${reason}`, () => undefined)
  })
}
