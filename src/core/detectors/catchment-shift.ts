// Catchment shift: a vantage answered from one site for a while, then from another, and stayed there
// for confirmCycles cycles. Single flips (per-packet load balancing, 1-3% of vantages in the wild) are
// never confirmed. The finding lasts until the vantage has been settleCycles on the new site, after
// which the new site is its normal catchment, so the incident resolves.
// Only answering cycles count: failing, missing and unidentified cycles neither confirm nor break a run.
// A move back to the sites the vantage had before a shift that never settled (a failover, then the
// site's recovery) ends that shift: its finding stops and its incident resolves, and the way back is
// no new shift. Only a shift that settled makes the new sites normal, and leaving them a shift again.
import { z } from 'zod'
import { answeringStates, medianMs, siteKey, type DatedState } from '../catchment.ts'
import type { Finding } from '../findings.ts'
import { currentCycle, findingOf, lastCycles, listText, msText, sliceText, vantageScope, type Detector, type DetectorInput } from './detector.ts'

export const CatchmentShiftParamsSchema = z
  .strictObject({
    confirmCycles: z
      .number()
      .int()
      .min(1)
      .max(1_000)
      .default(3)
      .describe('Answering cycles a vantage must spend on its new site, and must have spent on its old one, for a shift.'),
    settleCycles: z
      .number()
      .int()
      .min(2)
      .max(10_000)
      .default(30)
      .describe('Answering cycles on the new site after which it is the vantage\'s normal catchment and the finding ends.'),
  })
  .refine((params) => params.settleCycles > params.confirmCycles, {
    message: 'settleCycles must be greater than confirmCycles',
    path: ['settleCycles'],
  })
  .describe('Catchment shift: a vantage moved to another site and stayed there.')

export type CatchmentShiftParams = z.output<typeof CatchmentShiftParamsSchema>

interface Run {
  sites: string[]
  states: DatedState[]
}

/** Consecutive answering states on the same site set, oldest first. */
function runsOf(states: readonly DatedState[]): Run[] {
  const runs: Run[] = []
  for (const dated of states) {
    const last = runs.at(-1)
    if (last !== undefined && siteKey(last.sites) === siteKey(dated.state.sites)) last.states.push(dated)
    else runs.push({ sites: dated.state.sites, states: [dated] })
  }
  return runs
}

/**
 * A return is recognised while the stay elsewhere and the time back are both under settleCycles, so the
 * window reaches over both and at least one cycle of the stay before; that also covers what a shift
 * needs (confirmCycles on the old sites, under settleCycles on the new ones).
 */
const windowCycles = (params: CatchmentShiftParams): number => 2 * params.settleCycles

/** The last move went back to the sites of the run before, which the vantage left less than settleCycles ago. */
function isReturn(runs: readonly Run[], params: CatchmentShiftParams): boolean {
  const [earlier, before, after] = runs.slice(-3)
  if (earlier === undefined || before === undefined || after === undefined) return false
  return before.states.length < params.settleCycles && siteKey(earlier.sites) === siteKey(after.sites)
}

function detectShifts(input: DetectorInput, params: CatchmentShiftParams): Finding[] {
  const window = lastCycles(input, windowCycles(params))
  return [...currentCycle(input).catchment.values()]
    .filter((state) => state.status === 'answering')
    .flatMap((state) => {
      const runs = runsOf(answeringStates(window, state.vantage))
      const after = runs.at(-1)
      const before = runs.at(-2)
      if (after === undefined || before === undefined) return []
      const onNewSite = after.states.length
      if (onNewSite < params.confirmCycles || onNewSite >= params.settleCycles) return []
      if (before.states.length < params.confirmCycles || isReturn(runs, params)) return []
      return [shiftFinding(input, state.vantage, before, after, params.confirmCycles)]
    })
}

function shiftFinding(input: DetectorInput, vantage: string, before: Run, after: Run, confirmCycles: number): Finding {
  const rttsOf = (states: readonly DatedState[]) => states.flatMap(({ state }) => state.rttsMs)
  const rttBeforeMs = medianMs(rttsOf(before.states.slice(-confirmCycles)))
  const rttAfterMs = medianMs(rttsOf(after.states))
  const from = listText(before.sites)
  const to = listText(after.sites)
  return findingOf(input, {
    kind: 'catchment-shift',
    scope: vantageScope(vantage),
    severity: 'info',
    summary:
      `${vantage} moved${sliceText(input)} from ${from} to ${to} (RTT ${msText(rttBeforeMs)} → ${msText(rttAfterMs)}), ` +
      `on ${to} for ${after.states.length} cycles`,
    sites: [...before.sites, ...after.sites.filter((site) => !before.sites.includes(site))],
    vantages: [vantage],
    details: {
      fromSites: before.sites,
      toSites: after.sites,
      rttBeforeMs,
      rttAfterMs,
      cyclesOnNewSite: after.states.length,
      movedAt: after.states[0]?.startedAt ?? null,
    },
  })
}

export const catchmentShift = {
  kind: 'catchment-shift',
  slicing: 'each-slice',
  params: CatchmentShiftParamsSchema,
  historyCycles: windowCycles,
  detect: detectShifts,
} satisfies Detector<CatchmentShiftParams>
