import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { DetectionSettingsSchema } from '../../src/core/detectors/index.ts'
import { evaluateCycle, requiredHistoryCycles } from '../../src/core/evaluate.ts'
import { IncidentPolicySettingsSchema } from '../../src/core/incident-policy.ts'
import {
  at,
  cycle,
  evaluateSeries,
  ok,
  pageCycles,
  pages,
  repeat,
  sequence,
  series,
  settings,
  TARGET,
  timeout,
  type SeriesBgp,
} from '../support/cycles.ts'

const healthy = (count: number) => repeat(count, { par: ok('fra', 12), lon: ok('fra', 14), ber: ok('ber', 20) })
const fraBlackHoled = (count: number) => repeat(count, { par: timeout(), lon: timeout(), ber: ok('ber', 20) })

describe('evaluateCycle', () => {
  it('opens a black hole on the 2nd failing cycle, naming the site and its vantages, and resolves it after 2 clean cycles', () => {
    const run = evaluateSeries(sequence(healthy(3), fraBlackHoled(3), healthy(3)))
    expect(run.results[3]?.findings.map((finding) => `${finding.kind} ${finding.scope}`)).toEqual(['black-hole site:fra'])
    expect(run.results[3]?.notifications).toEqual([])
    expect(pages(run.notifications)).toEqual(['trigger black-hole site:fra', 'resolve black-hole site:fra'])
    expect(pageCycles(run.notifications)).toEqual([4, 7])
    expect(run.notifications[0]?.incident).toMatchObject({
      key: 'lab/black-hole/site:fra',
      openedAt: at(4),
      lastFinding: { evidence: { sites: ['fra'], vantages: ['lon', 'par'] } },
    })
  })

  it('calls it an outage, not a black hole, when every vantage fails', () => {
    const run = evaluateSeries(sequence(healthy(3), repeat(3, { par: timeout(), lon: timeout(), ber: timeout() })))
    expect(pages(run.notifications)).toEqual(['trigger outage target'])
    expect(run.results.flatMap((result) => result.findings).filter((finding) => finding.kind === 'black-hole')).toEqual([])
  })

  it('confirms the black hole with BGP evidence, or calls it a failover when the route is withdrawn', () => {
    const history = sequence(healthy(3), fraBlackHoled(2))
    const confirmed = evaluateSeries(history, { bgp: { fra: 'announced' } })
    const failover = evaluateSeries(history, { bgp: { fra: 'withdrawn' } })
    expect(confirmed.notifications[0]?.incident.lastFinding.evidence.details).toMatchObject({ bgp: 'announced', confirmed: true })
    expect(pages(failover.notifications)).toEqual(['trigger failover site:fra'])
  })

  it('alerts on a failover and its recovery once, as one incident: the shift of its vantage is its evidence, not a page', () => {
    // As in the lab's kill-bgp and start-bgp: par's site fra is withdrawn, par moves to ams (which
    // serves ber too), then fra comes back. Without BGP data the probes alone show a clean failover.
    const home = (count: number) => repeat(count, { par: ok('fra', 12), ber: ok('ams', 20) })
    const failover = (count: number) => repeat(count, { par: ok('ams', 31), ber: ok('ams', 20) })
    const run = evaluateSeries(sequence(home(4), failover(6), home(12)))
    expect(pages(run.notifications)).toEqual(['trigger failover site:fra', 'resolve failover site:fra'])
    expect(pageCycles(run.notifications)).toEqual([5, 11])
    expect(run.notifications[0]?.incident).toMatchObject({ severity: 'warning', lastFinding: { evidence: { details: { bgp: 'not checked' } } } })
    const shiftSeen = run.results[7]?.findings.find((finding) => finding.kind === 'catchment-shift')
    expect(shiftSeen?.summary).toMatch(/^par moved from fra to ams/)
    const openFailover = run.results[7]?.incidents.find((incident) => incident.key === 'lab/failover/site:fra')
    expect(openFailover?.lastFinding.evidence.details['alsoFound']).toEqual([expect.stringMatching(/^catchment-shift: par moved from fra to ams/)])
  })

  it('pages a node that dies silently once: its black hole, the failover once BGP gives up on it, and its vantage\'s shift are one incident', () => {
    // The node stops answering but its BGP session waits for the hold timer: par fails, then moves to ams.
    const home = (count: number) => repeat(count, { par: ok('fra', 12), ber: ok('ams', 20) })
    const silent = (count: number) => repeat(count, { par: timeout(), ber: ok('ams', 20) })
    const movedAway = (count: number) => repeat(count, { par: ok('ams', 31), ber: ok('ams', 20) })
    const bgpAt = (index: number): SeriesBgp => ({ bgp: { fra: index >= 7 && index < 14 ? 'withdrawn' : 'announced', ams: 'announced' } })
    const run = evaluateSeries(sequence(home(4), silent(3), movedAway(7), home(8)), { bgpAt })
    expect(pages(run.notifications)).toEqual(['trigger black-hole site:fra', 'resolve black-hole site:fra'])
    const kinds = new Set(run.results.flatMap((result) => result.findings.map((finding) => finding.kind)))
    expect([...kinds].sort()).toEqual(['black-hole', 'catchment-shift', 'failover'])
    const resolved = run.notifications[1]?.incident
    expect(resolved?.severity).toBe('critical')
    expect(resolved?.updates.map((update) => update.text)).toContainEqual(expect.stringMatching(/^fra is withdrawn from BGP and its vantages moved: par to ams: clean failover/))
  })

  it('pages a withdrawn site whose vantages all moved as a clean failover, held while BGP cannot tell, resolved once the site is back', () => {
    const home = (count: number) => repeat(count, { par: ok('fra', 12), ber: ok('ams', 20) })
    const failover = (count: number) => repeat(count, { par: ok('ams', 31), ber: ok('ams', 20) })
    const cannotTell: SeriesBgp = {
      bgp: { fra: 'unknown', ams: 'unknown' },
      unchecked: [{ kind: 'failover', scope: 'site:fra', reason: 'BGP cannot tell: ripestat unavailable: HTTP 500' }],
    }
    const bgpAt = (index: number): SeriesBgp =>
      index >= 4 && index < 10 ? { bgp: { fra: 'withdrawn', ams: 'announced' } } : index >= 10 && index < 14 ? cannotTell : { bgp: { fra: 'announced', ams: 'announced' } }
    const run = evaluateSeries(sequence(home(4), failover(6), home(8)), { bgpAt })
    expect(pages(run.notifications)).toEqual(['trigger failover site:fra', 'resolve failover site:fra'])
    expect(pageCycles(run.notifications)).toEqual([5, 15])
    expect(run.notifications[0]?.incident.lastFinding).toMatchObject({
      severity: 'warning',
      summary: 'fra is withdrawn from BGP and its vantages moved: par to ams: clean failover',
      evidence: { details: { bgp: 'withdrawn', confirmed: true, movedVantages: ['par'] } },
    })
  })

  it("makes one failover finding, the black hole's, for a withdrawn site when one former vantage moved and another fails", () => {
    const parMovedLonFails = repeat(2, { par: ok('ams', 31), lon: timeout(), ber: ok('ber', 20) })
    const run = evaluateSeries(sequence(healthy(3), parMovedLonFails), { bgp: { fra: 'withdrawn', ber: 'announced', ams: 'announced' } })
    for (const result of run.results.slice(3)) {
      const aboutFra = result.findings.filter((finding) => finding.scope === 'site:fra')
      expect(aboutFra.map((finding) => [finding.kind, finding.evidence.details['confirmed']])).toEqual([['failover', false]])
    }
    expect(pages(run.notifications)).toEqual(['trigger failover site:fra'])
  })

  it('turns a site coming and going in BGP into one flapping incident, its clean failovers absorbed like site-down findings', () => {
    const fraUp = (index: number) => index % 2 === 0
    const history = series(20, (index) => {
      const fraSide = fraUp(index) ? 'fra' : 'ams'
      return { par: ok(fraSide), lon: ok(fraSide), ber: ok('ber') }
    })
    const run = evaluateSeries(history, { bgpAt: (index) => ({ bgp: { fra: fraUp(index) ? 'announced' : 'withdrawn', ber: 'announced' } }) })
    const kindsFound = new Set(run.results.flatMap((result) => result.findings.map((finding) => finding.kind)))
    // fra, withdrawn on odd cycles, fails over cleanly; ams, the other side, is merely left on even ones.
    expect([...kindsFound].sort()).toEqual(['catchment-flapping', 'failover'])
    expect(pages(run.notifications)).toEqual(['trigger catchment-flapping target'])
  })

  it('reports a catchment shift confirmed after 3 cycles with RTT before and after, and no black hole', () => {
    const moved = repeat(5, { par: ok('ams', 31), lon: ok('fra', 14), ber: ok('ber', 20) })
    const run = evaluateSeries(sequence(healthy(3), moved))
    const shiftCycles = run.results.flatMap((result, index) => (result.findings.some((finding) => finding.kind === 'catchment-shift') ? [index] : []))
    expect(shiftCycles[0]).toBe(5)
    expect(run.results[5]?.findings.find((finding) => finding.kind === 'catchment-shift')?.evidence.details).toMatchObject({
      fromSites: ['fra'],
      toSites: ['ams'],
      rttBeforeMs: 12,
      rttAfterMs: 31,
    })
    expect(pages(run.notifications)).toEqual(['trigger catchment-shift vantage:par'])
  })

  it('turns a site flapping every cycle into one flapping incident, not a storm, over 20 cycles', () => {
    const history = series(20, (index) => {
      const fraSide = index % 2 === 0 ? 'fra' : 'ams'
      return { par: ok(fraSide), lon: ok(fraSide), ber: ok('ber') }
    })
    const run = evaluateSeries(history)
    const kindsFound = new Set(run.results.flatMap((result) => result.findings.map((finding) => finding.kind)))
    expect([...kindsFound].sort()).toEqual(['catchment-flapping', 'failover'])
    expect(pages(run.notifications)).toEqual(['trigger catchment-flapping target'])
  })

  it('treats a vantage that did not report as no data: not failing, and its open black hole is held, not resolved', () => {
    const parMissing = (count: number) =>
      repeat(count, { lon: ok('fra'), ber: ok('ber') }).map((record) => ({
        ...record,
        missingVantages: [{ vantage: 'par', reason: 'runner timed out' }],
      }))
    const quietRun = evaluateSeries(sequence(healthy(3), parMissing(2)))
    expect(quietRun.results.flatMap((result) => result.findings)).toEqual([])

    const parOnly = (count: number) => repeat(count, { par: timeout(), lon: ok('fra'), ber: ok('ber') })
    const heldRun = evaluateSeries(sequence(healthy(3), parOnly(2), parMissing(4), healthy(3)))
    expect(pages(heldRun.notifications)).toEqual([
      'trigger black-hole site:fra',
      'trigger vantage-silent vantage:par',
      'resolve black-hole site:fra',
      'resolve vantage-silent vantage:par',
    ])
    expect(pageCycles(heldRun.notifications)).toEqual([4, 8, 10, 10])
  })

  it('gives two overlapping runs from the same stored state identical notification ids', () => {
    const history = sequence(healthy(3), fraBlackHoled(2))
    const before = evaluateSeries(history.slice(0, 4))
    const evaluate = (now: number) =>
      evaluateCycle({ target: TARGET, history, policyState: JSON.parse(before.storedState), now, params: settings() })
    const first = evaluate(at(4))
    const second = evaluate(at(4) + 1_700)
    expect(first.notifications.map((notification) => notification.id)).toEqual([`lab/black-hole/site:fra|${at(4)}|trigger|0`])
    expect(second.notifications.map((notification) => notification.id)).toEqual(first.notifications.map((notification) => notification.id))
  })

  it('refuses an empty history and cycles of another target', () => {
    const base = { target: TARGET, policyState: null, now: at(0), params: settings() }
    expect(() => evaluateCycle({ ...base, history: [] })).toThrow(/at least the current cycle/)
    expect(() => evaluateCycle({ ...base, history: [{ ...cycle(0, {}), target: 'k-root' }] })).toThrow(/belongs to k-root/)
  })
})

describe('settings schemas', () => {
  it('default every detector and the policy from {}', () => {
    expect(DetectionSettingsSchema.parse({})).toEqual({
      outage: { minReportingVantages: 1, lookbackCycles: 60 },
      'black-hole': { lookbackCycles: 60, minAnsweringVantages: 1, lossyPartialCycles: 3 },
      'site-down': { lookbackCycles: 60 },
      'catchment-shift': { confirmCycles: 3, settleCycles: 30 },
      'catchment-flapping': { windowCycles: 10, minChanges: 3, minVantagesPerEvent: 2 },
      'unknown-identity': { ignoreIdentities: [] },
      'latency-regression': { windowCycles: 5, baselineCycles: 30, factor: 1.5, minIncreaseMs: 20, minSamples: 3 },
      'transport-divergence': { windowCycles: 6 },
      'vantage-silent': { silentCycles: 3 },
    })
  })

  it('report a bad parameter at its path', () => {
    const result = DetectionSettingsSchema.safeParse({ 'black-hole': { lookbackCycles: 1 }, outage: { typo: 1 } })
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['outage', 'black-hole.lookbackCycles'])
  })

  it('have JSON Schemas, so config.ts can compose them into the config schema', () => {
    const detection = z.toJSONSchema(DetectionSettingsSchema, { io: 'input' })
    const incidents = z.toJSONSchema(IncidentPolicySettingsSchema, { io: 'input' })
    expect(Object.keys(detection.properties ?? {})).toHaveLength(9)
    expect(Object.keys(incidents.properties ?? {})).toContain('maintenance')
  })

  it('tell the caller how much history to load', () => {
    expect(requiredHistoryCycles(settings().detection)).toBe(60)
    // The catchment shift looks back over 2 x settleCycles (a stay elsewhere and the way back, see its header).
    expect(requiredHistoryCycles(DetectionSettingsSchema.parse({ 'catchment-shift': { settleCycles: 100 } }))).toBe(200)
  })
})
