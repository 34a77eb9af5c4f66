// The monitor end to end on the anycast lab (lab/README.md), without BGP (bgp.e2e.test.ts has the
// same scenarios joined with the lab's BGP feed): `anycast-monitor serve` as a child
// process on lab/monitor.config.json (its own store in a temp dir, any free API port), alert routes to
// HTTP receivers on 127.0.0.1 standing in for PagerDuty and Slack. The lab's failure scenarios are
// played between two cycles, and each one is checked through what an operator sees: the serve log
// (one JSON line per cycle, which is how cycles are counted), the JSON API and the receivers.
//
// The config is the shipped one with its 5 s interval (the schema's minimum) and default detection
// and incident settings: incidents open after 2 cycles with the finding and resolve after 2 clean
// ones. The catchment shift keeps its default confirmCycles of 3: its finding comes in the 3rd cycle
// after kill-bgp and its incident, where the finding's evidence (RTT before and after) is stored and
// shown by the API, in the 4th; lowering it would save one cycle and test a config nobody ships.
// PagerDuty gets severity error and up (black hole, site down), Slack everything (a clean failover is a warning).
//
// "Within N cycles" counts the cycles started after the action (the action is taken between two
// cycles, see ServeHandle.betweenCycles): 2 means the second cycle that saw the fault made the alert.
//
// Needs root, `ip netns` and the lab's Debian packages (npm run lab -- deps); skipped with the reason
// otherwise, when a lab is already up, or while bench/detection.ts uses the lab; waits for the other
// lab test file of the run (lab-harness.ts's lock). ~1.5 min, of which the lab's up ~5 s.
import { describe, expect, it } from 'vitest'
import { killBgp, startBgpScenario, startDnsScenario, stopDns } from '../../lab/lab.ts'
import { failoverCatchment, routerById, siteById, steadyCatchment, vantageById, VANTAGES } from '../../lab/topology.ts'
import { createSqliteStore } from '../../src/adapters/store/sqlite.ts'
import type { Incident } from '../../src/core/findings.ts'
import { medianMs } from '../../src/core/catchment.ts'
import type { Observation } from '../../src/core/model.ts'
import { eventually, labSkipReason, probeUntil, sleep } from './lab-harness.ts'
import { useLabMonitor } from './lab-monitor-suite.ts'
import {
  flapOneStepPerCycle,
  pagerDutyEvents,
  PAGERDUTY_ROUTE,
  PAGERDUTY_ROUTING_KEY,
  sitesPerCycle,
  slackMessages,
  SLACK_ROUTE,
  TARGET_ID,
  type CycleLog,
} from './monitor-harness.ts'

const reason = labSkipReason()

const INTERVAL_SECONDS = 5
/** Steady-state cycles before the first scenario (the catchment shift needs 3 on the old site). */
const STEADY_CYCLES = 3
/** How long the receivers may take to get a notification after the cycle that made it. */
const DELIVERY_WAIT_MS = 5_000
/** A lab action is taken when the next cycle is at least this far away, so that cycle sees its result. */
const ACTION_MARGIN_MS = 2_000
/** Extra RTT the probe may add over the links' delays on a busy machine (as in anycast-lab.e2e.test.ts). */
const RTT_SLACK_MS = 12

const BLACK_HOLE_KEY = `${TARGET_ID}/black-hole/site:s1`

const notificationsOf = (cycles: readonly CycleLog[]): string[] => cycles.flatMap((cycle) => cycle.notifications)
const findingsOf = (cycles: readonly CycleLog[]): string[] => cycles.flatMap((cycle) => cycle.findings)

describe.skipIf(reason !== undefined)('the monitor on the lab (e2e)', () => {
  // Another lab test file of this run may hold the lab: wait for it to bring it down.
  const { monitor, alerts, storePath: storePathOf } = useLabMonitor({
    name: 'anycast-monitor-e2e',
    lockTimeoutMs: 240_000,
    config: { intervalSeconds: INTERVAL_SECONDS, pagerDutyMinSeverity: 'error', bgp: false },
  })

  it('steady state: every vantage answers from its own site, no finding, no alert', async () => {
    const serve = monitor()
    const cycles = await serve.waitForCyclesSince(0, STEADY_CYCLES)
    for (const cycle of cycles) {
      expect(cycle.observations, JSON.stringify(cycle)).toBe(VANTAGES.length * 4) // 2 addresses x 2 transports
      expect(cycle.ok, JSON.stringify(cycle)).toBe(cycle.observations)
      expect(cycle.missingVantages).toEqual([])
      expect(cycle.findings).toEqual([])
      expect(cycle.notifications).toEqual([])
    }
    expect(alerts().pagerDuty.received).toEqual([])
    expect(alerts().slack.received).toEqual([])

    const { targets, vantages } = await serve.get<{ targets: { id: string }[]; vantages: { id: string }[] }>('/api/v1/targets')
    expect(targets.map((target) => target.id)).toEqual([TARGET_ID])
    expect(vantages.map((vantage) => vantage.id)).toEqual(VANTAGES.map((vantage) => vantage.id))
    const catchment = await serve.get<{ vantages: { vantage: string; status: string; sites: string[]; rttMs: number }[] }>(
      `/api/v1/targets/${TARGET_ID}/catchment`,
    )
    const { observations } = await serve.get<{ observations: Observation[] }>(`/api/v1/targets/${TARGET_ID}/observations?since=0`)
    expect(observations.length).toBeGreaterThanOrEqual(STEADY_CYCLES * VANTAGES.length * 4)
    expect(observations.every((observation) => observation.outcome === 'ok')).toBe(true)
    for (const vantage of VANTAGES) {
      const expected = steadyCatchment(vantage)
      const state = catchment.vantages.find((candidate) => candidate.vantage === vantage.id)
      expect(state).toMatchObject({ status: 'answering', sites: [expected.site] })
      // The links' delay is a floor no answer can beat; the ceiling is checked on the median of every steady
      // cycle's answers, since one cycle's 4 answers can all come while the machine is busy (other test files).
      expect(state?.rttMs).toBeGreaterThanOrEqual(expected.rttMs - 0.5)
      const rtts = observations.filter((observation) => observation.vantage === vantage.id).map((observation) => observation.rttMs ?? Infinity)
      expect(medianMs(rtts)).toBeLessThan(expected.rttMs + RTT_SLACK_MS)
    }
    expect(await serve.incidents('open')).toEqual([])
  }, 60_000)

  it('stop-dns on the FRR site: a black-hole incident naming s1 and v1 within 2 cycles, paged and posted; start-dns resolves it within 2 cycles', async () => {
    const serve = monitor()
    const site = siteById('s1')
    const vantage = vantageById(routerById(site.router).vantage)
    await serve.betweenCycles(ACTION_MARGIN_MS)
    const pagesBefore = alerts().pagerDuty.received.length
    const postsBefore = alerts().slack.received.length
    await stopDns(site.id)
    const faultAt = Date.now()
    let recoveredAt: number | undefined
    try {
      const trigger = await serve.waitForNotification(`trigger ${BLACK_HOLE_KEY}`, faultAt, 4)
      const during = serve.cyclesSince(faultAt)
      expect(trigger, JSON.stringify(during)).not.toBeNull()
      expect(trigger?.index).toBeLessThanOrEqual(2)
      // The first cycle after the stop already has the finding; the policy opens the incident on the second.
      expect(during[0]?.findings).toContain(BLACK_HOLE_KEY)
      expect(findingsOf(during).filter((finding) => finding !== BLACK_HOLE_KEY)).toEqual([])
      expect(notificationsOf(during)).toEqual([`trigger ${BLACK_HOLE_KEY}`])

      const open = await serve.incidents('open')
      expect(open.map((incident) => incident.key)).toEqual([BLACK_HOLE_KEY])
      const incident = open[0] as Incident
      expect(incident).toMatchObject({ kind: 'black-hole', scope: `site:${site.id}`, severity: 'critical', status: 'open', flapping: false })
      expect(incident.lastFinding.evidence.sites).toEqual([site.id])
      expect(incident.lastFinding.evidence.vantages).toEqual([vantage.id])
      expect(incident.lastFinding.summary).toMatch(/black hole at s1: v1 gets no answer/)
      const catchment = await serve.get<{ vantages: { vantage: string; status: string }[] }>(`/api/v1/targets/${TARGET_ID}/catchment`)
      expect(catchment.vantages.find((state) => state.vantage === vantage.id)?.status).toBe('failing')
      const { observations } = await serve.get<{ observations: Observation[] }>(
        `/api/v1/targets/${TARGET_ID}/observations?vantage=${vantage.id}&since=${faultAt}`,
      )
      expect(observations.length).toBeGreaterThan(0)
      expect(observations.filter((observation) => observation.outcome === 'ok')).toEqual([])

      await eventually(() => alerts().pagerDuty.received.length > pagesBefore, DELIVERY_WAIT_MS, 'the PagerDuty trigger')
      await eventually(() => alerts().slack.received.length > postsBefore, DELIVERY_WAIT_MS, 'the Slack message')
      const [page] = pagerDutyEvents(alerts()).slice(pagesBefore)
      expect(page).toMatchObject({ routing_key: PAGERDUTY_ROUTING_KEY, event_action: 'trigger', dedup_key: BLACK_HOLE_KEY })
      expect(page?.payload).toMatchObject({ severity: 'critical', class: 'black-hole' })
      expect(page?.payload?.custom_details).toMatchObject({ sites: [site.id], vantages: [vantage.id] })
      expect(alerts().pagerDuty.received.at(-1)?.path).toBe('/v2/enqueue')
      const [post] = slackMessages(alerts()).slice(postsBefore)
      expect(post?.text).toMatch(/^Triggered: black-hole on Lab anycast DNS: .*black hole at s1: v1 gets no answer/)
      expect(JSON.stringify(post?.blocks)).toMatch(/\bs1\b/)
      expect(JSON.stringify(post?.blocks)).toMatch(/\bv1\b/)
    } finally {
      await startDnsScenario(site.id)
      recoveredAt = Date.now()
    }
    const resolve = await serve.waitForNotification(`resolve ${BLACK_HOLE_KEY}`, recoveredAt, 4)
    expect(resolve, JSON.stringify(serve.cyclesSince(recoveredAt))).not.toBeNull()
    expect(resolve?.index).toBeLessThanOrEqual(2)
    expect(serve.cyclesSince(recoveredAt).every((cycle) => cycle.ok === cycle.observations)).toBe(true)
    expect(await serve.incidents('open')).toEqual([])
    const [resolved] = await serve.incidents('resolved')
    expect(resolved).toMatchObject({ key: BLACK_HOLE_KEY, status: 'resolved' })

    await eventually(() => alerts().pagerDuty.received.length >= pagesBefore + 2, DELIVERY_WAIT_MS, 'the PagerDuty resolve')
    await eventually(() => alerts().slack.received.length >= postsBefore + 2, DELIVERY_WAIT_MS, 'the Slack resolve message')
    const pages = pagerDutyEvents(alerts()).slice(pagesBefore)
    expect(pages.map((page) => [page.event_action, page.dedup_key])).toEqual([
      ['trigger', BLACK_HOLE_KEY],
      ['resolve', BLACK_HOLE_KEY],
    ])
    expect(pages[1]).toEqual({ routing_key: PAGERDUTY_ROUTING_KEY, event_action: 'resolve', dedup_key: BLACK_HOLE_KEY })
    expect(slackMessages(alerts()).slice(postsBefore).map((post) => post.text.split(':')[0])).toEqual(['Triggered', 'Resolved'])
    await probeUntil(vantage, (result) => result.outcome === 'ok' && result.site === site.id, 10_000)
  }, 90_000)

  it('flap on the ExaBGP site: exactly one flapping incident (posted, not paged), nothing else', async () => {
    const serve = monitor()
    const site = siteById('s2')
    const vantage = vantageById(routerById(site.router).vantage)
    const failover = failoverCatchment(vantage)
    const flappingKey = `${TARGET_ID}/catchment-flapping/vantage:${vantage.id}`
    const pagesBefore = alerts().pagerDuty.received.length
    const postsBefore = alerts().slack.received.length
    let flap: { startedAt: number; settledAt: number }
    try {
      flap = await flapOneStepPerCycle(serve, site.id, 2, ACTION_MARGIN_MS)
    } finally {
      await startBgpScenario(site.id)
    }
    const trigger = await serve.waitForNotification(`trigger ${flappingKey}`, flap.startedAt, 8)
    await serve.nextCycle()
    const during = serve.cyclesSince(flap.startedAt)
    const seen = await sitesPerCycle(serve, vantage.id, flap.startedAt)
    const diagnosis = JSON.stringify({ seen, during })
    expect(trigger, diagnosis).not.toBeNull()
    // Every cycle got an answer; the vantage went to the failover site, back, there again and back.
    expect(seen.every((sites) => sites === site.id || sites === failover.site), diagnosis).toBe(true)
    const changeCycles = seen.flatMap((sites, index) => (index > 0 && sites !== seen[index - 1] ? [index + 1] : []))
    expect(seen[0]).toBe(failover.site)
    expect(changeCycles.length + 1, diagnosis).toBe(4) // the first cycle is a change from the steady state
    // The 3rd change makes the finding (minChanges 3); the next cycle with it opens the incident.
    const thirdChange = changeCycles[1] as number
    expect(trigger?.index, diagnosis).toBe(thirdChange + 1)
    expect(notificationsOf(during), diagnosis).toEqual([`trigger ${flappingKey}`])
    // No black hole or outage; no failover or shift incident either: s2's clean failovers (every vantage
    // it served moved) are found, but stop counting once the flapping finding covers the vantage.
    expect(findingsOf(during).filter((finding) => /black-hole|outage/.test(finding))).toEqual([])

    const flapping = (await serve.incidents()).filter((incident) => incident.kind === 'catchment-flapping')
    expect(flapping.map((incident) => incident.key)).toEqual([flappingKey])
    expect(flapping[0]).toMatchObject({ status: 'open', severity: 'info', scope: `vantage:${vantage.id}` })
    expect(flapping[0]?.lastFinding.evidence.sites).toEqual([site.id, failover.site].sort())
    expect(flapping[0]?.lastFinding.evidence.details.changes).toBeGreaterThanOrEqual(3)
    expect((await serve.incidents('open')).map((incident) => incident.key)).toEqual([flappingKey])

    await eventually(() => alerts().slack.received.length > postsBefore, DELIVERY_WAIT_MS, 'the Slack message')
    await sleep(500)
    expect(slackMessages(alerts()).slice(postsBefore).map((post) => post.text)).toEqual([
      expect.stringMatching(/^Triggered: catchment-flapping on Lab anycast DNS: v2 changed site [34] times/),
    ])
    expect(alerts().pagerDuty.received.length).toBe(pagesBefore) // info: Slack only
  }, 120_000)

  it('kill-bgp on the FRR site: one clean-failover incident (a warning: Slack, not PagerDuty) carrying the shift and its RTT change, no black hole', async () => {
    const serve = monitor()
    const site = siteById('s1')
    const vantage = vantageById(routerById(site.router).vantage)
    const steady = steadyCatchment(vantage)
    const failover = failoverCatchment(vantage)
    const shiftKey = `${TARGET_ID}/catchment-shift/vantage:${vantage.id}`
    const failoverKey = `${TARGET_ID}/failover/site:${site.id}`
    const pagesBefore = alerts().pagerDuty.received.length
    await serve.betweenCycles(ACTION_MARGIN_MS)
    await killBgp(site.id)
    const faultAt = Date.now()
    try {
      const opened = await serve.waitForNotification(`trigger ${failoverKey}`, faultAt, 4)
      expect(opened?.index, JSON.stringify(serve.cyclesSince(faultAt))).toBeLessThanOrEqual(2)
      // The shift is found once the vantage has been 3 cycles (confirmCycles) on s2; it is the failover's evidence.
      await serve.waitForCyclesSince(faultAt, 5)
      const during = serve.cyclesSince(faultAt)
      expect(during.find((cycle) => cycle.findings.includes(shiftKey))?.index, JSON.stringify(during)).toBe(3)
      // Every vantage answered in every cycle: the failover lost nothing, and nothing is a black hole.
      expect(during.every((cycle) => cycle.ok === cycle.observations)).toBe(true)
      expect(findingsOf(during).filter((finding) => /black-hole|outage|site-down/.test(finding))).toEqual([])
      expect(notificationsOf(during)).toEqual([`trigger ${failoverKey}`])

      const incidents = await serve.incidents()
      expect(incidents.filter((incident) => incident.kind === 'black-hole' && incident.status === 'open')).toEqual([])
      expect(incidents.filter((incident) => incident.key === shiftKey)).toEqual([])
      const open = incidents.find((incident) => incident.key === failoverKey && incident.status === 'open')
      expect(open).toMatchObject({ severity: 'warning', lastFinding: { evidence: { details: { movedVantages: [vantage.id], movedToSites: [failover.site] } } } })
      expect(open?.lastFinding.summary).toBe(`${site.id} answers none of the vantages it served and its vantages moved: ${vantage.id} to ${failover.site}: clean failover (BGP not checked)`)
      const shift = (open?.lastFinding.evidence.details['alsoFound'] as string[] | undefined)?.find((text) => text.startsWith('catchment-shift: '))
      const rtts = /^catchment-shift: v1 moved from s1 to s2 \(RTT ([\d.]+) ms → ([\d.]+) ms\)/.exec(shift ?? '')
      expect(rtts, shift).not.toBeNull()
      const [rttBeforeMs, rttAfterMs] = [Number(rtts?.[1]), Number(rtts?.[2])]
      expect(rttBeforeMs).toBeGreaterThanOrEqual(steady.rttMs - 0.5)
      expect(rttBeforeMs).toBeLessThan(steady.rttMs + RTT_SLACK_MS)
      expect(rttAfterMs).toBeGreaterThanOrEqual(failover.rttMs - 0.5)
      expect(rttAfterMs).toBeLessThan(failover.rttMs + RTT_SLACK_MS)

      // A clean failover is a warning: Slack hears of it, PagerDuty (error and up) is not paged.
      await eventually(
        () => slackMessages(alerts()).some((post) => post.text.startsWith('Triggered: failover') && /clean failover/.test(post.text)),
        DELIVERY_WAIT_MS,
        'the Slack message about the failover',
      )
      expect(alerts().pagerDuty.received.length).toBe(pagesBefore)
    } finally {
      await startBgpScenario(site.id)
    }
    await probeUntil(vantage, (result) => result.outcome === 'ok' && result.site === site.id, 20_000)
  }, 90_000)

  it('SIGTERM: serve exits 0 and the store it leaves reopens with every incident and every delivery done', async () => {
    const serve = monitor()
    // Between two cycles, so that no cycle changes the incidents between this read and the signal.
    await serve.betweenCycles(1_500)
    const incidentsBeforeStop = await serve.incidents()
    const exit = await serve.stop()
    expect(exit, serve.logTail()).toEqual({ code: 0, signal: null })
    expect(serve.events.at(-1)).toMatchObject({ event: 'shutdown', reason: 'signal' })
    expect(serve.events.filter((event) => event.event === 'cycle-error')).toEqual([])
    // The store's retention was applied after the first cycle (then hourly).
    expect(serve.events.filter((event) => event.event === 'prune').map((event) => event.kind)).toEqual(['pruned'])

    const store = createSqliteStore({ path: storePathOf() })
    try {
      const stored = await store.incidents({ target: TARGET_ID })
      const summary = (incidents: readonly Incident[]) => incidents.map((i) => `${i.key} ${i.status} ${i.openedAt}`).sort()
      expect(summary(stored)).toEqual(summary(incidentsBeforeStop))
      expect(stored.map((incident) => incident.key)).toContain(BLACK_HOLE_KEY)
      expect(stored.find((incident) => incident.key === BLACK_HOLE_KEY)?.status).toBe('resolved')
      // Every cycle serve logged is stored, once.
      expect((await store.recentCycles(TARGET_ID, 10_000)).length).toBe(serve.cycles.length)
      const outbox = await store.outbox({})
      expect(outbox.filter((item) => item.status !== 'delivered')).toEqual([])
      expect(outbox.filter((item) => item.route === PAGERDUTY_ROUTE).length).toBe(alerts().pagerDuty.received.length)
      expect(outbox.filter((item) => item.route === SLACK_ROUTE).length).toBe(alerts().slack.received.length)
      const policy = await store.loadPolicyState(TARGET_ID)
      expect(policy.version).toBeGreaterThan(0)
    } finally {
      await store.close()
    }
  }, 60_000)
})

if (reason !== undefined) {
  describe('the monitor on the lab (e2e)', () => {
    it.skip(`skipped: ${reason}`, () => undefined)
  })
}
