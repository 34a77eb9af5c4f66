// Site down: a site that answered some vantages recently answers none of them now, because they all
// moved to other sites or fail. At least one must have moved: when every one of them fails and others
// still get answers, the black-hole detector speaks; when nobody gets answers, the outage detector.
// The detector only knows a site through the vantages it served: once the site has served none of
// them for lookbackCycles, it can no longer tell "down" from "outside our vantages' catchments".
import { z } from 'zod'
import { answeringStates, compareText, stateIn, uniqueSorted, type CatchmentCycle } from '../catchment.ts'
import type { Finding } from '../findings.ts'
import { currentCycle, findingOf, lastCycles, listText, siteScope, type Detector, type DetectorInput } from './detector.ts'

export const SiteDownParamsSchema = z
  .strictObject({
    lookbackCycles: z
      .number()
      .int()
      .min(2)
      .max(10_000)
      .default(60)
      .describe('How many cycles back a site must have answered a vantage for that vantage to count as one it served.'),
  })
  .describe('Site down: every vantage a site served recently has moved to another site or fails.')

export type SiteDownParams = z.output<typeof SiteDownParamsSchema>

function detectSitesDown(input: DetectorInput, params: SiteDownParams): Finding[] {
  const window = lastCycles(input, params.lookbackCycles)
  return input.target.sites.flatMap((site) => {
    const finding = siteDownFinding(input, window, site.id)
    return finding === null ? [] : [finding]
  })
}

function siteDownFinding(input: DetectorInput, window: readonly CatchmentCycle[], site: string): Finding | null {
  const current = currentCycle(input)
  const servesNow = [...current.catchment.values()].some((state) => state.status === 'answering' && state.sites.includes(site))
  if (servesNow) return null
  const earlier = window.slice(0, -1)
  const former = uniqueSorted(
    earlier.flatMap((cycle) =>
      [...cycle.catchment.values()]
        .filter((state) => state.status === 'answering' && state.sites.includes(site))
        .map((state) => state.vantage),
    ),
  )
  const moved = former.filter((vantage) => stateIn(current, vantage).status === 'answering')
  const failing = former.filter((vantage) => stateIn(current, vantage).status === 'failing')
  if (moved.length === 0) return null
  const nowAt = uniqueSorted(moved.flatMap((vantage) => stateIn(current, vantage).sites))
  const lastServedAt = Math.max(...former.map((vantage) => lastServed(earlier, vantage, site)))
  const failingText = failing.length === 0 ? '' : `; ${listText(failing)} ${failing.length === 1 ? 'fails' : 'fail'}`
  return findingOf(input, {
    kind: 'site-down',
    scope: siteScope(site),
    severity: 'error',
    summary: `${site} answers none of the vantages it served: ${listText(moved)} moved to ${listText(nowAt)}${failingText}`,
    sites: [site, ...nowAt.filter((other) => other !== site)],
    vantages: [...moved, ...failing].sort(compareText),
    details: { movedVantages: moved, failingVantages: failing, movedToSites: nowAt, lastServedAt },
  })
}

function lastServed(cycles: readonly CatchmentCycle[], vantage: string, site: string): number {
  const states = answeringStates(cycles, vantage).filter(({ state }) => state.sites.includes(site))
  return states.at(-1)?.startedAt ?? 0
}

export const siteDown = {
  kind: 'site-down',
  params: SiteDownParamsSchema,
  historyCycles: (params: SiteDownParams) => params.lookbackCycles,
  detect: detectSitesDown,
} satisfies Detector<SiteDownParams>
