// Site down: a site that answered some vantages recently answers none of them now, because they all
// moved to other sites or fail. At least one must have moved: when every one of them fails and others
// still get answers, the black-hole detector speaks; when nobody gets answers, the outage detector.
// The detector only knows a site through the vantages it served: once the site has served none of
// them for lookbackCycles, it can no longer tell "down" from "outside our vantages' catchments".
//
// With BGP evidence (as in the black-hole detector):
// - the site withdrawn and every former vantage moved is a clean failover: the finding is of kind
//   'failover' (warning, confirmed), not a site-down error: the site left on purpose or by its own
//   health check, and its traffic went elsewhere;
// - the site withdrawn and some former vantage failing: no finding here, because the black-hole
//   detector makes the failover finding of the same key (target/failover/site:X) for those vantages,
//   and one key must have one finding per cycle;
// - the site announced, or BGP unknown or not checked: a site-down finding as without BGP, carrying
//   the BGP status and what the sources showed of the site in its details.
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
  .describe(
    'Site down: every vantage a site served recently has moved to another site or fails. When BGP shows the site ' +
      'withdrawn and every one of them moved, a clean failover is reported instead.',
  )

export type SiteDownParams = z.output<typeof SiteDownParamsSchema>

function detectSitesDown(input: DetectorInput, params: SiteDownParams): Finding[] {
  const window = lastCycles(input, params.lookbackCycles)
  return input.target.sites.flatMap((site) => {
    const finding = siteDownFinding(input, window, site.id)
    return finding === null ? [] : [finding]
  })
}

/** Where the vantages a site served went: the ones that moved (at least one) and the ones that fail now. */
interface SiteLeft {
  site: string
  moved: string[]
  failing: string[]
  /** The sites the moved vantages answer from now. */
  nowAt: string[]
  lastServedAt: number
}

function siteDownFinding(input: DetectorInput, window: readonly CatchmentCycle[], site: string): Finding | null {
  const left = siteLeft(input, window, site)
  if (left === null) return null
  const bgp = input.bgp?.[site]
  // With a vantage failing, the black-hole detector's failover finding (the same key) speaks for the site.
  if (bgp === 'withdrawn') return left.failing.length === 0 ? cleanFailover(input, left) : null
  const evidence = input.bgpEvidence?.[site]
  const failingText = left.failing.length === 0 ? '' : `; ${listText(left.failing)} ${left.failing.length === 1 ? 'fails' : 'fail'}`
  return findingOf(input, {
    ...commonFields(left),
    kind: 'site-down',
    severity: 'error',
    summary: `${site} answers none of the vantages it served: ${listText(left.moved)} moved to ${listText(left.nowAt)}${failingText}`,
    details: { ...detailsOf(left), ...(bgp === undefined ? {} : { bgp }), ...evidence?.details },
  })
}

function cleanFailover(input: DetectorInput, left: SiteLeft): Finding {
  const evidence = input.bgpEvidence?.[left.site]
  const evidenceText = evidence === undefined ? '' : ` (${evidence.text})`
  return findingOf(input, {
    ...commonFields(left),
    kind: 'failover',
    severity: 'warning',
    summary: `${left.site} is withdrawn from BGP${evidenceText} and its vantages moved: ${listText(left.moved)} to ${listText(left.nowAt)}: clean failover`,
    details: { ...detailsOf(left), bgp: 'withdrawn', confirmed: true, ...evidence?.details },
  })
}

/** The site's moves, or null while it still answers one of its vantages or none of them moved. */
function siteLeft(input: DetectorInput, window: readonly CatchmentCycle[], site: string): SiteLeft | null {
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
  return { site, moved, failing, nowAt, lastServedAt }
}

function commonFields(left: SiteLeft) {
  return {
    scope: siteScope(left.site),
    sites: [left.site, ...left.nowAt.filter((other) => other !== left.site)],
    vantages: [...left.moved, ...left.failing].sort(compareText),
  }
}

function detailsOf(left: SiteLeft) {
  return { movedVantages: left.moved, failingVantages: left.failing, movedToSites: left.nowAt, lastServedAt: left.lastServedAt }
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
