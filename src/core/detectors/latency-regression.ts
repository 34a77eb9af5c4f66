// Latency regression: a vantage's median RTT over the last windowCycles is above its median over the
// baselineCycles before, by more than `factor` and by at least minIncreaseMs. Both must hold: the
// factor alone fires on 1 ms → 2 ms, the floor alone fires on 300 ms → 320 ms.
// Only answers from the site the vantage reaches now count, on both sides: an RTT change that comes
// with a move to another site is the catchment shift's news (it reports RTT before and after).
import { z } from 'zod'
import { answeringStates, medianMs, siteKey, type CatchmentCycle, type DatedState } from '../catchment.ts'
import type { Finding } from '../findings.ts'
import { currentCycle, findingOf, lastCycles, listText, msText, sliceText, vantageScope, type Detector, type DetectorInput } from './detector.ts'

export const LatencyRegressionParamsSchema = z
  .strictObject({
    windowCycles: z.number().int().min(1).max(10_000).default(5).describe('Recent cycles (current one included) whose RTTs are compared.'),
    baselineCycles: z.number().int().min(1).max(10_000).default(30).describe('Cycles before the recent window that form the baseline.'),
    factor: z.number().min(1).default(1.5).describe('The recent median RTT must exceed the baseline median times this factor.'),
    minIncreaseMs: z.number().min(0).default(20).describe('...and exceed it by at least this many milliseconds.'),
    minSamples: z.number().int().min(1).default(3).describe('RTT samples needed on each side before comparing.'),
  })
  .describe('Latency regression: a vantage\'s median RTT to its site rose above its baseline by a factor and a floor.')

export type LatencyRegressionParams = z.output<typeof LatencyRegressionParamsSchema>

function detectLatencyRegressions(input: DetectorInput, params: LatencyRegressionParams): Finding[] {
  const cycles = lastCycles(input, params.baselineCycles + params.windowCycles)
  return [...currentCycle(input).catchment.values()]
    .filter((state) => state.status === 'answering')
    .flatMap((state) => {
      const medians = mediansOf(cycles, state.vantage, state.sites, params)
      if (medians === null) return []
      const { rttP50RecentMs, rttP50BaselineMs } = medians
      const regressed = rttP50RecentMs > rttP50BaselineMs * params.factor && rttP50RecentMs - rttP50BaselineMs >= params.minIncreaseMs
      if (!regressed) return []
      return [
        findingOf(input, {
          kind: 'latency-regression',
          scope: vantageScope(state.vantage),
          severity: 'warning',
          summary:
            `${state.vantage} → ${listText(state.sites)}${sliceText(input)}: median RTT ${msText(rttP50RecentMs)} over the last ${params.windowCycles} cycles, ` +
            `baseline ${msText(rttP50BaselineMs)}`,
          sites: state.sites,
          vantages: [state.vantage],
          details: { ...medians },
        }),
      ]
    })
}

interface Medians {
  rttP50RecentMs: number
  rttP50BaselineMs: number
  recentSamples: number
  baselineSamples: number
}

/** Median RTTs of the vantage's answers from `sites`, recent window against baseline; null with too few samples. */
function mediansOf(cycles: readonly CatchmentCycle[], vantage: string, sites: readonly string[], params: LatencyRegressionParams): Medians | null {
  const recentFrom = cycles.length - params.windowCycles
  const onSite = answeringStates(cycles, vantage).filter((dated) => siteKey(dated.state.sites) === siteKey(sites))
  const rttsOf = (states: readonly DatedState[]) => states.flatMap((dated) => dated.state.rttsMs)
  const recent = rttsOf(onSite.filter((dated) => dated.index >= recentFrom))
  const baseline = rttsOf(onSite.filter((dated) => dated.index < recentFrom))
  const rttP50RecentMs = medianMs(recent)
  const rttP50BaselineMs = medianMs(baseline)
  if (rttP50RecentMs === null || rttP50BaselineMs === null) return null
  if (recent.length < params.minSamples || baseline.length < params.minSamples) return null
  return { rttP50RecentMs, rttP50BaselineMs, recentSamples: recent.length, baselineSamples: baseline.length }
}

export const latencyRegression = {
  kind: 'latency-regression',
  slicing: 'each-slice',
  params: LatencyRegressionParamsSchema,
  historyCycles: (params: LatencyRegressionParams) => params.baselineCycles + params.windowCycles,
  detect: detectLatencyRegressions,
} satisfies Detector<LatencyRegressionParams>
