// Vantage silent: a vantage (a namespace, a Cloudflare region, a remote agent) that reported nothing for
// silentCycles cycles in a row. A silent vantage is "no data" to every other detector, which is right for
// one cycle and wrong for an hour: a status page that says "operational" while its probes are silent
// is what operators complain about most. The finding says why, in the runner's words (a runner error,
// the cycle deadline, no pushes received from an agent).
// Only vantages the current cycle lists as missing count: one dropped from the config is not silent.
import { z } from 'zod'
import type { Finding } from '../findings.ts'
import { currentCycle, findingOf, lastCycles, vantageScope, type Detector, type DetectorInput } from './detector.ts'

export const VantageSilentParamsSchema = z
  .strictObject({
    silentCycles: z.number().int().min(1).max(10_000).default(3).describe('Cycles in a row in which a vantage reported nothing that make it silent.'),
  })
  .describe('Vantage silent: a vantage, region or remote agent reports nothing.')

export type VantageSilentParams = z.output<typeof VantageSilentParamsSchema>

function detectSilence(input: DetectorInput, params: VantageSilentParams): Finding[] {
  const window = lastCycles(input, params.silentCycles)
  if (window.length < params.silentCycles) return []
  return [...currentCycle(input).catchment.values()]
    .filter((state) => state.status === 'missing' && state.missingReason !== null)
    .filter((state) => window.every((cycle) => cycle.catchment.get(state.vantage)?.status === 'missing'))
    .map((state) => {
      const reason = state.missingReason as string
      return findingOf(input, {
        kind: 'vantage-silent',
        scope: vantageScope(state.vantage),
        severity: 'warning',
        summary: `${state.vantage} reported nothing for ${params.silentCycles} cycles: ${reason}`,
        sites: [],
        vantages: [state.vantage],
        details: { reason, silentCycles: params.silentCycles },
      })
    })
}

export const vantageSilent = {
  kind: 'vantage-silent',
  slicing: 'all-paths',
  params: VantageSilentParamsSchema,
  historyCycles: (params: VantageSilentParams) => params.silentCycles,
  detect: detectSilence,
} satisfies Detector<VantageSilentParams>
