// Catchment flapping: site changes that keep coming within a short window.
// - For one vantage: at least minChanges changes of its site within windowCycles. Severity info: a few
//   percent of vantages flip sites all the time (per-packet load balancing on their path).
// - Across vantages: at least minChanges cycles of the window in which minVantagesPerEvent or more
//   vantages changed site together, as when a site's announcement comes and goes. Severity warning.
//   One clean failover moves many vantages in one cycle: that is one event, not flapping.
// When the across-vantages rule holds, only the target-wide finding is made, so one flapping site
// gives one flapping incident rather than one per vantage.
import { z } from 'zod'
import { answeringStates, siteKey, stateIn, uniqueSorted, vantagesOf, type CatchmentCycle } from '../catchment.ts'
import type { Finding } from '../findings.ts'
import { currentCycle, findingOf, lastCycles, listText, sliceText, TARGET_SCOPE, vantageScope, type Detector, type DetectorInput } from './detector.ts'

export const CatchmentFlappingParamsSchema = z
  .strictObject({
    windowCycles: z.number().int().min(2).max(10_000).default(10).describe('Cycles (current one included) in which changes are counted.'),
    minChanges: z
      .number()
      .int()
      .min(2)
      .max(10_000)
      .default(3)
      .describe('Site changes of one vantage, or cycles with a change across vantages, within the window that make it flapping.'),
    minVantagesPerEvent: z
      .number()
      .int()
      .min(2)
      .default(2)
      .describe('Vantages that must change site in the same cycle for that cycle to count towards target-wide flapping.'),
  })
  .describe('Catchment flapping: repeated site changes within a window, for one vantage or across vantages.')

export type CatchmentFlappingParams = z.output<typeof CatchmentFlappingParamsSchema>

interface SiteChange {
  vantage: string
  /** Index of the cycle in the window where the new site was first seen. */
  index: number
  sites: string[]
}

/** Changes between consecutive answering states of the vantage within the window. */
function changesOf(window: readonly CatchmentCycle[], vantage: string): SiteChange[] {
  const states = answeringStates(window, vantage)
  return states.flatMap((dated, position) => {
    const previous = states[position - 1]
    if (previous === undefined || siteKey(previous.state.sites) === siteKey(dated.state.sites)) return []
    return [{ vantage, index: dated.index, sites: [...previous.state.sites, ...dated.state.sites] }]
  })
}

function detectFlapping(input: DetectorInput, params: CatchmentFlappingParams): Finding[] {
  const window = lastCycles(input, params.windowCycles)
  const changes = vantagesOf(window).flatMap((vantage) => changesOf(window, vantage))
  const vantagesByCycle = new Map<number, Set<string>>()
  for (const change of changes) vantagesByCycle.set(change.index, (vantagesByCycle.get(change.index) ?? new Set()).add(change.vantage))
  const eventCycles = [...vantagesByCycle.values()].filter((vantages) => vantages.size >= params.minVantagesPerEvent).length
  if (eventCycles >= params.minChanges) return [targetFinding(input, changes, eventCycles, params)]
  const current = currentCycle(input)
  return uniqueSorted(changes.map((change) => change.vantage))
    .filter((vantage) => stateIn(current, vantage).status !== 'missing')
    .map((vantage) => ({ vantage, own: changes.filter((change) => change.vantage === vantage) }))
    .filter(({ own }) => own.length >= params.minChanges)
    .map(({ vantage, own }) => vantageFinding(input, vantage, own, params))
}

function targetFinding(input: DetectorInput, changes: readonly SiteChange[], eventCycles: number, params: CatchmentFlappingParams): Finding {
  const vantages = uniqueSorted(changes.map((change) => change.vantage))
  const sites = uniqueSorted(changes.flatMap((change) => change.sites))
  return findingOf(input, {
    kind: 'catchment-flapping',
    scope: TARGET_SCOPE,
    severity: 'warning',
    summary:
      `catchment flapping${sliceText(input)}: vantages changed site together in ${eventCycles} of the last ${params.windowCycles} cycles, ` +
      `between ${listText(sites)}`,
    sites,
    vantages,
    details: { changeCycles: eventCycles, changes: changes.length, windowCycles: params.windowCycles },
  })
}

function vantageFinding(input: DetectorInput, vantage: string, changes: readonly SiteChange[], params: CatchmentFlappingParams): Finding {
  const sites = uniqueSorted(changes.flatMap((change) => change.sites))
  return findingOf(input, {
    kind: 'catchment-flapping',
    scope: vantageScope(vantage),
    severity: 'info',
    summary: `${vantage} changed site${sliceText(input)} ${changes.length} times in the last ${params.windowCycles} cycles, between ${listText(sites)}`,
    sites,
    vantages: [vantage],
    details: { changes: changes.length, windowCycles: params.windowCycles },
  })
}

export const catchmentFlapping = {
  kind: 'catchment-flapping',
  slicing: 'each-slice',
  params: CatchmentFlappingParamsSchema,
  historyCycles: (params: CatchmentFlappingParams) => params.windowCycles,
  detect: detectFlapping,
} satisfies Detector<CatchmentFlappingParams>
