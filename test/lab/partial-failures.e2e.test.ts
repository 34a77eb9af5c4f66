// Partial failures end to end on the anycast lab (lab/README.md, "Partial failures"): `anycast-monitor
// serve` as a child process on lab/monitor.config.json (5 s cycles, default detection and incident
// settings, the lab's BGP feed), alert routes to receivers on 127.0.0.1, the same frame as
// monitor.e2e.test.ts and bgp.e2e.test.ts (lab-monitor-suite.ts). Each fault is one of the lab's
// partial-failure commands (lab/faults.ts), applied between two cycles and undone in a `finally`:
//
// - block s1 --family 6: s1 silently drops DNS over IPv6 while both its routes stay announced: a
//   black hole at s1 over IPv6 only, nothing about IPv4;
// - block s3 --transport tcp: TCP/53 filtered at s3: a transport divergence naming s3 and TCP;
// - withdraw s2 --family 6: s2's IPv6 route leaves BGP, IPv4 stays: v2 moves over IPv6 only;
// - silence v3: the netns runner cannot enter v3, the vantage reports nothing: vantage-silent.
//
// Each scenario prints the seconds from the fault to the incident's opening and from the repair to its
// resolution (cycle starts, as the incident records them, and when the cycle was logged). "Within N
// cycles" counts the cycles started after the action, as in monitor.e2e.test.ts.
//
// Needs root, `ip netns`, nft and the lab's Debian packages (npm run lab -- deps); skipped with the
// reason otherwise, when a lab is already up, or while something else holds the lab lock. ~3 min.
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { parseFaultCommand } from '../../lab/fault-rules.ts'
import { runFault } from '../../lab/faults.ts'
import { VANTAGES, VIP4, VIP6, vantageById } from '../../lab/topology.ts'
import type { FindingPaths, Incident } from '../../src/core/findings.ts'
import type { Observation } from '../../src/core/model.ts'
import { eventually, labSkipReason, probeUntil } from './lab-harness.ts'
import { useLabMonitor } from './lab-monitor-suite.ts'
import { slackMessages, TARGET_ID, type ServeHandle } from './monitor-harness.ts'

function skipReason(): string | undefined {
  const lab = labSkipReason()
  if (lab) return lab
  if (spawnSync('sh', ['-c', 'command -v nft']).status !== 0) return 'nft is not installed (npm run lab -- deps)'
  return undefined
}

const reason = skipReason()

const INTERVAL_SECONDS = 5
const STEADY_CYCLES = 2
const ACTION_MARGIN_MS = 2_000
const DELIVERY_WAIT_MS = 5_000
/** The default detection settings: TCP must fail for 6 cycles in a row (transport-divergence windowCycles), a vantage be silent for 3. */
const DIVERGENCE_CYCLES = 6
const SILENT_CYCLES = 3

const pathsOf = (incident: Incident): FindingPaths | undefined => incident.lastFinding.paths
const describeIncidents = (incidents: readonly Incident[]): string =>
  JSON.stringify(incidents.map((i) => ({ key: i.key, status: i.status, openedAt: i.openedAt, resolvedAt: i.resolvedAt, summary: i.lastFinding.summary, paths: pathsOf(i) })))

/** Runs a lab fault command as `npm run lab -- ...` would (without the CLI's probes), and logs what it printed. */
async function fault(command: string, ...args: string[]): Promise<number> {
  const at = Date.now()
  const lines = await runFault(parseFaultCommand(command, args), { probes: false })
  console.log(lines.join('\n'))
  return at
}

interface Seen {
  incident: Incident
  /** 1 = the first cycle started after `sinceMs`. */
  index: number
  /** When serve logged that cycle. */
  loggedAt: number
}

/**
 * Waits, cycle by cycle, for an incident opened (or, with `resolved`, resolved) at or after `sinceMs`
 * that `match` accepts, over at most `maxCycles` cycles started after `sinceMs`.
 */
async function waitForIncident(serve: ServeHandle, sinceMs: number, maxCycles: number, match: (incident: Incident) => boolean, what: string): Promise<Seen> {
  for (;;) {
    const cycles = serve.cyclesSince(sinceMs)
    const incidents = await serve.incidents()
    const hit = incidents.find(match)
    if (hit) {
      const at = hit.status === 'resolved' && hit.resolvedAt !== null && hit.resolvedAt >= sinceMs ? hit.resolvedAt : hit.openedAt
      const cycle = cycles.find((candidate) => candidate.startedAt === at)
      return { incident: hit, index: cycle?.index ?? Number.NaN, loggedAt: cycle?.loggedAt ?? Date.now() }
    }
    if (cycles.length >= maxCycles) {
      throw new Error(`${what}: not within ${maxCycles} cycles; incidents: ${describeIncidents(incidents)}; cycles: ${JSON.stringify(cycles)}`)
    }
    await serve.nextCycle()
  }
}

const openedSince = (sinceMs: number) => (incident: Incident): boolean => incident.openedAt >= sinceMs

/** The index (1-based, cycles started after sinceMs) of the first cycle in which the vantage had a failing observation that `which` selects. */
async function firstFailingCycle(serve: ServeHandle, vantage: string, sinceMs: number, which: (observation: Observation) => boolean): Promise<number | undefined> {
  const cycles = serve.cyclesSince(sinceMs)
  const { observations } = await serve.get<{ observations: Observation[] }>(`/api/v1/targets/${TARGET_ID}/observations?vantage=${vantage}&since=${sinceMs}`)
  return cycles.find((cycle, i) => {
    const end = cycles[i + 1]?.startedAt ?? Number.POSITIVE_INFINITY
    return observations.some((o) => o.observedAt >= cycle.startedAt && o.observedAt < end && which(o) && o.outcome !== 'ok')
  })?.index
}

function report(name: string, faultAt: number, opened: Seen, repairAt: number, resolved: Seen): void {
  const s = (ms: number): string => (ms / 1000).toFixed(1)
  console.log(
    `[timing] ${name}: fault → incident open ${s(opened.incident.openedAt - faultAt)} s (cycle ${opened.index}, logged after ${s(opened.loggedAt - faultAt)} s); ` +
      `repair → resolved ${s((resolved.incident.resolvedAt ?? Number.NaN) - repairAt)} s (cycle ${resolved.index}, logged after ${s(resolved.loggedAt - repairAt)} s)`,
  )
}

/** Every incident opened during a scenario has resolved (the next scenario starts from a clean slate). */
async function settle(serve: ServeHandle, sinceMs: number, maxCycles: number): Promise<void> {
  for (let i = 0; ; i++) {
    const open = (await serve.incidents('open')).filter(openedSince(sinceMs))
    if (open.length === 0) return
    if (i >= maxCycles) throw new Error(`still open after ${maxCycles} cycles: ${describeIncidents(open)}`)
    await serve.nextCycle()
  }
}

describe.skipIf(reason !== undefined)('partial failures on the lab (e2e)', () => {
  const { monitor, alerts } = useLabMonitor({
    name: 'anycast-monitor-partial',
    lockTimeoutMs: 240_000,
    config: { intervalSeconds: INTERVAL_SECONDS },
  })

  it('steady state: every path answers, no finding, no alert', async () => {
    const serve = monitor()
    const cycles = await serve.waitForCyclesSince(0, STEADY_CYCLES)
    for (const cycle of cycles) {
      expect(cycle.observations, JSON.stringify(cycle)).toBe(VANTAGES.length * 4)
      expect(cycle.ok, JSON.stringify(cycle)).toBe(cycle.observations)
      expect(cycle.missingVantages).toEqual([])
      expect(cycle.findings).toEqual([])
      expect(cycle.notifications).toEqual([])
    }
    expect(await serve.incidents()).toEqual([])
    expect(alerts().pagerDuty.received).toEqual([])
    expect(alerts().slack.received).toEqual([])
  }, 60_000)

  it('block s1 --family 6: a black hole at s1 over IPv6 only, within 2 cycles of its first failing cycle; unblock resolves it', async () => {
    const serve = monitor()
    await serve.betweenCycles(ACTION_MARGIN_MS)
    const postsBefore = alerts().slack.received.length
    const faultAt = await fault('block', 's1', '--family', '6')
    let repairAt = 0
    let opened: Seen | undefined
    try {
      opened = await waitForIncident(serve, faultAt, 4, (i) => openedSince(faultAt)(i) && i.kind === 'black-hole' && i.scope === 'site:s1', 'black hole at s1')
      const firstFailing = await firstFailingCycle(serve, 'v1', faultAt, (o) => o.address === VIP6)
      expect(firstFailing, 'v1 over IPv6 never failed').toBeDefined()
      expect(opened.index - (firstFailing as number)).toBeLessThanOrEqual(1) // its 2nd failing cycle at the latest
      expect(pathsOf(opened.incident)?.families).toEqual(['ipv6'])
      expect(opened.incident.lastFinding.summary).toMatch(/over IPv6/)
      expect(opened.incident.lastFinding.evidence.sites).toEqual(['s1'])
      // v1 still answers over IPv4, from s1, in every cycle.
      const { observations } = await serve.get<{ observations: Observation[] }>(`/api/v1/targets/${TARGET_ID}/observations?vantage=v1&since=${faultAt}`)
      const v4 = observations.filter((o) => o.address === VIP4)
      expect(v4.length).toBeGreaterThan(0)
      expect(v4.every((o) => o.outcome === 'ok' && o.site === 's1'), JSON.stringify(v4)).toBe(true)
      await eventually(() => slackMessages(alerts()).slice(postsBefore).some((post) => /black-hole/.test(post.text) && /IPv6/.test(post.text)), DELIVERY_WAIT_MS, 'the Slack message')
    } finally {
      repairAt = await fault('unblock', 's1')
    }
    const resolved = await waitForIncident(serve, repairAt, 4, (i) => i.key === opened?.incident.key && i.status === 'resolved', 'the black hole resolved')
    expect(resolved.index).toBeLessThanOrEqual(2)
    const ipv4 = (await serve.incidents()).filter(openedSince(faultAt)).filter((i) => pathsOf(i)?.families.includes('ipv4'))
    expect(ipv4, describeIncidents(ipv4)).toEqual([])
    report('block s1 --family 6 (black hole over IPv6)', faultAt, opened!, repairAt, resolved)
    await settle(serve, faultAt, 6)
  }, 120_000)

  it('block s3 --transport tcp: a transport divergence naming s3 and TCP; unblock resolves it', async () => {
    const serve = monitor()
    await serve.betweenCycles(ACTION_MARGIN_MS)
    const faultAt = await fault('block', 's3', '--transport', 'tcp')
    let repairAt = 0
    let opened: Seen | undefined
    try {
      opened = await waitForIncident(serve, faultAt, DIVERGENCE_CYCLES + 2, (i) => openedSince(faultAt)(i) && i.kind === 'transport-divergence' && i.scope === 'site:s3', 'transport divergence at s3')
      expect(pathsOf(opened.incident)?.transports).toEqual(['tcp'])
      expect(opened.incident.lastFinding.summary).toMatch(/\bs3\b/)
      expect(opened.incident.lastFinding.summary).toMatch(/\bTCP\b/)
      // UDP answers from s3 in every cycle: nothing about UDP, and no black hole at s3.
      const { observations } = await serve.get<{ observations: Observation[] }>(`/api/v1/targets/${TARGET_ID}/observations?vantage=v3&since=${faultAt}`)
      const udp = observations.filter((o) => o.transport === 'udp')
      expect(udp.every((o) => o.outcome === 'ok' && o.site === 's3'), JSON.stringify(udp)).toBe(true)
    } finally {
      repairAt = await fault('unblock', 's3')
    }
    const resolved = await waitForIncident(serve, repairAt, 4, (i) => i.key === opened?.incident.key && i.status === 'resolved', 'the divergence resolved')
    const during = (await serve.incidents()).filter(openedSince(faultAt))
    expect(during.filter((i) => pathsOf(i)?.transports.includes('udp') || (i.kind === 'black-hole' && i.scope === 'site:s3')), describeIncidents(during)).toEqual([])
    report('block s3 --transport tcp (transport divergence)', faultAt, opened!, repairAt, resolved)
    await settle(serve, faultAt, 6)
  }, 120_000)

  it('withdraw s2 --family 6: v2 moves over IPv6 only (catchment shift or failover), nothing on IPv4; announce resolves it', async () => {
    const serve = monitor()
    await serve.betweenCycles(ACTION_MARGIN_MS)
    const faultAt = await fault('withdraw', 's2', '--family', '6')
    let repairAt = 0
    let opened: Seen | undefined
    try {
      opened = await waitForIncident(
        serve,
        faultAt,
        6,
        (i) => openedSince(faultAt)(i) && ((i.kind === 'catchment-shift' && i.scope === 'vantage:v2') || (i.kind === 'failover' && i.scope === 'site:s2')),
        'an IPv6 catchment shift of v2 or a failover of s2',
      )
      expect(pathsOf(opened.incident)?.families).toEqual(['ipv6'])
      const openedAt = opened.incident.openedAt
      const { observations } = await serve.get<{ observations: Observation[] }>(`/api/v1/targets/${TARGET_ID}/observations?vantage=v2&since=${faultAt}`)
      expect(observations.filter((o) => o.address === VIP4).every((o) => o.outcome === 'ok' && o.site === 's2')).toBe(true)
      expect(observations.filter((o) => o.address === VIP6 && o.observedAt >= openedAt).every((o) => o.site === 's3')).toBe(true)
    } finally {
      repairAt = await fault('announce', 's2', '--family', '6')
    }
    const resolved = await waitForIncident(serve, repairAt, 8, (i) => i.key === opened?.incident.key && i.status === 'resolved', 'the IPv6 move resolved')
    const ipv4 = (await serve.incidents()).filter(openedSince(faultAt)).filter((i) => pathsOf(i)?.families.includes('ipv4'))
    expect(ipv4, describeIncidents(ipv4)).toEqual([])
    report(`withdraw s2 --family 6 (${opened!.incident.kind})`, faultAt, opened!, repairAt, resolved)
    await settle(serve, faultAt, 8)
  }, 150_000)

  it('silence v3: the vantage reports nothing and is recorded missing with the runner error: vantage-silent; unsilence resolves it', async () => {
    const serve = monitor()
    await serve.betweenCycles(ACTION_MARGIN_MS)
    const faultAt = await fault('silence', 'v3')
    let repairAt = 0
    let opened: Seen | undefined
    try {
      opened = await waitForIncident(serve, faultAt, SILENT_CYCLES + 2, (i) => openedSince(faultAt)(i) && i.kind === 'vantage-silent' && i.scope === 'vantage:v3', 'v3 silent')
      const during = serve.cyclesSince(faultAt)
      expect(during.length).toBeGreaterThan(0)
      for (const cycle of during) {
        expect(cycle.missingVantages, JSON.stringify(cycle)).toEqual(['v3'])
        expect(cycle.observations).toBe((VANTAGES.length - 1) * 4)
      }
      // The catchment shows v3 missing, with the netns runner's error as the reason.
      const catchment = await serve.get<{ vantages: { vantage: string; status: string; missingReason: string | null }[] }>(`/api/v1/targets/${TARGET_ID}/catchment`)
      const v3 = catchment.vantages.find((state) => state.vantage === 'v3')
      expect(v3?.status, JSON.stringify(v3)).toBe('missing')
      expect(v3?.missingReason).toMatch(/^runner:netns:v3: probe-plan exited 255: Cannot open network namespace "aml-v3"/)
      // A silent vantage is not a failing site: nothing about s3.
      const silentKey = opened.incident.key
      const others = (await serve.incidents()).filter(openedSince(faultAt)).filter((i) => i.key !== silentKey)
      expect(others, describeIncidents(others)).toEqual([])
    } finally {
      repairAt = await fault('unsilence', 'v3')
    }
    const resolved = await waitForIncident(serve, repairAt, 4, (i) => i.key === opened?.incident.key && i.status === 'resolved', 'v3 back')
    report('silence v3 (vantage-silent)', faultAt, opened!, repairAt, resolved)
    await probeUntil(vantageById('v3'), (result) => result.outcome === 'ok' && result.site === 's3', 10_000)
  }, 120_000)
})

if (reason !== undefined) {
  describe('partial failures on the lab (e2e)', () => {
    it.skip(`skipped: ${reason}`, () => undefined)
  })
}
