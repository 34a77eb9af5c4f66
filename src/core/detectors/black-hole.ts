// Black hole: vantages whose last known site stops answering while other vantages still get answers.
// The route to the site presumably still pulls their queries in, and nothing answers there.
// With BGP evidence the suspicion is settled: the site's route still announced confirms the black
// hole; withdrawn turns it into a failover finding (the vantages are between sites, or have nowhere to go).
// Either finding carries what the BGP sources showed of the site (bgpEvidence: paths, community, peers,
// or where the peers route since the withdrawal), in its summary and its details.
import { z } from 'zod'
import { UNKNOWN_SITE_ID } from '../site-ids.ts'
import {
  compareText,
  gotAnswer,
  lastKnownSites,
  reportedStates,
  uniqueSorted,
  type CatchmentCycle,
  type VantageState,
} from '../catchment.ts'
import type { Finding } from '../findings.ts'
import { currentCycle, findingOf, lastCycles, listText, siteScope, sliceText, type Detector, type DetectorInput } from './detector.ts'

export const BlackHoleParamsSchema = z
  .strictObject({
    lookbackCycles: z
      .number()
      .int()
      .min(2)
      .max(10_000)
      .default(60)
      .describe(
        'How many cycles back to look for the site a failing vantage answered from last. A vantage failing for ' +
          'longer is reported against site "unknown".',
      ),
    minAnsweringVantages: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe('Vantages that must still get an answer in the same cycle; with fewer, it is an outage, not a black hole.'),
    lossyPartialCycles: z
      .number()
      .int()
      .min(1)
      .max(1_000)
      .default(3)
      .describe(
        'Over part of the paths (one address family, one address) a vantage sends few probes, and on a lossy path all of ' +
          'them are lost in one cycle now and then. A vantage that lost probes there in the 10 cycles before it started ' +
          'failing must fail this many cycles in a row to count; one whose paths were clean counts at once.',
      ),
  })
  .describe(
    'Black hole: the site a vantage answered from last stops answering it (timeout, network error, SERVFAIL, REFUSED, ...) ' +
      'while other vantages get answers.',
  )

export type BlackHoleParams = z.output<typeof BlackHoleParamsSchema>

function detectBlackHoles(input: DetectorInput, params: BlackHoleParams): Finding[] {
  const states = [...currentCycle(input).catchment.values()]
  const answeringCount = states.filter(gotAnswer).length
  if (answeringCount < params.minAnsweringVantages) return []
  const window = lastCycles(input, params.lookbackCycles)
  const failingBySite = new Map<string, VantageState[]>()
  const failing = states.filter((candidate) => candidate.status === 'failing' && !isLossyNoise(input, window, candidate.vantage, params))
  for (const state of failing) {
    for (const site of suspectedSites(window, state)) failingBySite.set(site, [...(failingBySite.get(site) ?? []), state])
  }
  return [...failingBySite.keys()]
    .sort(compareText)
    .map((site) => findingFor(input, window, site, failingBySite.get(site) ?? [], answeringCount))
}

/** The sites named by the failing answers themselves (a SERVFAIL with NSID), else the last site that answered. */
function suspectedSites(window: readonly CatchmentCycle[], state: VantageState): string[] {
  if (state.failedSites.length > 0) return state.failedSites
  const last = lastKnownSites(window, state.vantage, window.length - 1)
  return last.length > 0 ? last : [UNKNOWN_SITE_ID]
}

function findingFor(
  input: DetectorInput,
  window: readonly CatchmentCycle[],
  site: string,
  failing: readonly VantageState[],
  answeringCount: number,
): Finding {
  const vantages = failing.map((state) => state.vantage).sort(compareText)
  const outcomes = uniqueSorted(failing.flatMap((state) => state.observations.map(({ observation }) => observation.outcome)))
  const failingCycles = Math.max(...vantages.map((vantage) => failingStreak(window, vantage)))
  const bgp = input.bgp?.[site]
  const evidence = input.bgpEvidence?.[site]
  const common = { scope: siteScope(site), sites: [site], vantages }
  const details = { bgp: bgp ?? 'not checked', outcomes, failingCycles, answeringVantages: answeringCount, ...evidence?.details }
  const who = `${listText(vantages)} ${vantages.length === 1 ? 'gets' : 'get'} no answer (${outcomes.join(', ')})`
  const evidenceText = evidence === undefined ? '' : ` (${evidence.text})`
  if (bgp === 'withdrawn') {
    return findingOf(input, {
      ...common,
      kind: 'failover',
      severity: 'warning',
      summary: `${site} is withdrawn from BGP${sliceText(input)}${evidenceText} and ${who}: failover in progress, or no other route`,
      details: { ...details, confirmed: false },
    })
  }
  const confirmed = bgp === 'announced'
  const bgpState = bgp === undefined ? 'BGP not checked' : confirmed ? 'its route is still announced' : 'BGP state unknown'
  const bgpText = `${bgpState}${evidenceText}`
  const others = `${answeringCount} other ${answeringCount === 1 ? 'vantage does' : 'vantages do'}`
  return findingOf(input, {
    ...common,
    kind: 'black-hole',
    severity: 'critical',
    summary: `${confirmed ? 'black hole' : 'suspected black hole'} at ${site}${sliceText(input)}: ${who} while ${others}; ${bgpText}`,
    details: { ...details, confirmed },
  })
}

const LOSS_HISTORY_CYCLES = 10

/**
 * In a narrower slice, a failing vantage whose paths there lost probes shortly before (some observation
 * not ok in the LOSS_HISTORY_CYCLES reported cycles before its failing streak) is noise until its streak
 * reaches lossyPartialCycles: at 20 % loss each way, both of a family's probes are lost in about one
 * cycle in ten. A path that was clean and goes dark counts at once.
 */
function isLossyNoise(input: DetectorInput, window: readonly CatchmentCycle[], vantage: string, params: BlackHoleParams): boolean {
  if ((input.slice?.level ?? 0) === 0) return false
  const streak = failingStreak(window, vantage)
  if (streak >= params.lossyPartialCycles) return false
  const states = reportedStates(window, vantage)
  const before = states.slice(Math.max(0, states.length - streak - LOSS_HISTORY_CYCLES), states.length - streak)
  return before.some(({ state }) => state.observations.some(({ observation }) => observation.outcome !== 'ok'))
}

/** Consecutive reported cycles, up to the current one, in which the vantage failed. */
function failingStreak(window: readonly CatchmentCycle[], vantage: string): number {
  const states = reportedStates(window, vantage)
  let streak = 0
  for (let index = states.length - 1; index >= 0 && states[index]?.state.status === 'failing'; index -= 1) streak += 1
  return streak
}

export const blackHole = {
  kind: 'black-hole',
  slicing: 'each-slice',
  params: BlackHoleParamsSchema,
  historyCycles: (params: BlackHoleParams) => params.lookbackCycles,
  detect: detectBlackHoles,
} satisfies Detector<BlackHoleParams>
