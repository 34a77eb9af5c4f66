// Outage: the vantages that reported all failed to get an answer. Vantages that did not report are
// no data: a cycle in which too few vantages reported makes no outage finding at all.
import { z } from 'zod'
import { compareText, gotAnswer, lastKnownSites, uniqueSorted } from '../catchment.ts'
import type { Finding } from '../findings.ts'
import { currentCycle, findingOf, lastCycles, sliceText, TARGET_SCOPE, type Detector, type DetectorInput } from './detector.ts'

export const OutageParamsSchema = z
  .strictObject({
    minReportingVantages: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe('Vantages that must have reported in the cycle for "nobody got an answer" to mean an outage.'),
    lookbackCycles: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(60)
      .describe('How many cycles back to look for the sites the failing vantages answered from last (for the evidence).'),
  })
  .describe('Outage: no vantage gets an answer.')

export type OutageParams = z.output<typeof OutageParamsSchema>

function detectOutage(input: DetectorInput, params: OutageParams): Finding[] {
  const reporting = [...currentCycle(input).catchment.values()].filter((state) => state.status !== 'missing')
  if (reporting.length < params.minReportingVantages || reporting.some(gotAnswer)) return []
  const window = lastCycles(input, params.lookbackCycles)
  const vantages = reporting.map((state) => state.vantage).sort(compareText)
  const lastSites = uniqueSorted(vantages.flatMap((vantage) => lastKnownSites(window, vantage, window.length - 1)))
  const outcomes = uniqueSorted(reporting.flatMap((state) => state.observations.map(({ observation }) => observation.outcome)))
  return [
    findingOf(input, {
      kind: 'outage',
      scope: TARGET_SCOPE,
      severity: 'critical',
      summary: `no answer from any site${sliceText(input)}: all ${vantages.length} reporting vantages fail (${outcomes.join(', ')})`,
      sites: lastSites,
      vantages,
      details: { outcomes, reportingVantages: vantages.length },
    }),
  ]
}

export const outage = {
  kind: 'outage',
  slicing: 'each-slice',
  params: OutageParamsSchema,
  historyCycles: (params: OutageParams) => params.lookbackCycles,
  detect: detectOutage,
} satisfies Detector<OutageParams>
