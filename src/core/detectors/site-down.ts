// Site down: a site that answered some vantages recently answers none of them now, because they all
// moved to other sites or fail. At least one must have moved: when every one of them fails and others
// still get answers, the black-hole detector speaks; when nobody gets answers, the outage detector.
// The detector only knows a site through the vantages it served: once the site has served none of
// them for lookbackCycles, it can no longer tell "down" from "outside our vantages' catchments".
//
// Every former vantage answered elsewhere is a clean failover (kind 'failover', warning, confirmed):
// the site left on purpose or by its own health check, and its traffic went elsewhere. That holds with
// BGP showing the site withdrawn, and without BGP data (not checked, or unknown): the probes alone
// show every vantage served. Only BGP still showing the site announced makes it a site-down error:
// the route is there and pulls no traffic we can see.
// With some former vantage failing, it is a site-down error too, beside the black hole those vantages
// make (the incident policy keeps one incident per site); with the site withdrawn there is then no
// finding here, because the black-hole detector makes the failover finding of the same key
// (target/failover/site:X) for those vantages, and one key must have one finding per cycle.
// Either finding carries the BGP status and what the sources showed of the site in its details.
import { z } from 'zod'
import { compareText, reachedSite, reportedStates, stateIn, uniqueSorted, type CatchmentCycle } from '../catchment.ts'
import type { Finding } from '../findings.ts'
import { currentCycle, findingOf, lastCycles, listText, siteScope, sliceText, type Detector, type DetectorInput } from './detector.ts'

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
    'Site down: every vantage a site served recently has moved to another site or fails. When every one of them moved ' +
      '(and BGP does not show the site still announced), it is a clean failover instead: a warning, with or without BGP data.',
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
  if (left.failing.length === 0 && bgp !== 'announced') return cleanFailover(input, left)
  // With a vantage failing, the black-hole detector's failover finding (the same key) speaks for the site.
  if (bgp === 'withdrawn') return null
  const evidence = input.bgpEvidence?.[site]
  const failingText = left.failing.length === 0 ? '' : `; ${listText(left.failing)} ${left.failing.length === 1 ? 'fails' : 'fail'}`
  const announcedText = bgp === 'announced' && left.failing.length === 0 ? ' although its route is still announced' : ''
  return findingOf(input, {
    ...commonFields(left),
    kind: 'site-down',
    severity: 'error',
    summary:
      `${site} answers none of the vantages it served${sliceText(input)}${announcedText}: ` +
      `${listText(left.moved)} moved to ${listText(left.nowAt)}${failingText}`,
    details: { ...detailsOf(left), ...(bgp === undefined ? {} : { bgp }), ...evidence?.details },
  })
}

function cleanFailover(input: DetectorInput, left: SiteLeft): Finding {
  const bgp = input.bgp?.[left.site]
  const evidence = input.bgpEvidence?.[left.site]
  const evidenceText = evidence === undefined ? '' : ` (${evidence.text})`
  const why = bgp === 'withdrawn' ? `is withdrawn from BGP${sliceText(input)}${evidenceText}` : `answers none of the vantages it served${sliceText(input)}`
  const bgpText = bgp === 'withdrawn' ? '' : bgp === undefined ? ' (BGP not checked)' : ' (BGP state unknown)'
  return findingOf(input, {
    ...commonFields(left),
    kind: 'failover',
    severity: 'warning',
    summary: `${left.site} ${why} and its vantages moved: ${listText(left.moved)} to ${listText(left.nowAt)}: clean failover${bgpText}`,
    details: { ...detailsOf(left), bgp: bgp ?? 'not checked', confirmed: true, ...evidence?.details },
  })
}

/** The site's moves, or null while it still answers one of its vantages or none of them moved. */
function siteLeft(input: DetectorInput, window: readonly CatchmentCycle[], site: string): SiteLeft | null {
  const current = currentCycle(input)
  const servesNow = [...current.catchment.values()].some((state) => reachedSite(state, site))
  if (servesNow) return null
  const earlier = window.slice(0, -1)
  const former = uniqueSorted(
    earlier.flatMap((cycle) => [...cycle.catchment.values()].filter((state) => reachedSite(state, site)).map((state) => state.vantage)),
  )
  const moved = former.filter((vantage) => stateIn(current, vantage).status === 'answering' && !wentBackHome(earlier, vantage, site, stateIn(current, vantage).sites))
  const failing = former.filter((vantage) => stateIn(current, vantage).status === 'failing')
  if (moved.length === 0) return null
  const nowAt = uniqueSorted(moved.flatMap((vantage) => stateIn(current, vantage).sites))
  const lastServedAt = Math.max(...former.map((vantage) => lastServed(earlier, vantage, site)))
  return { site, moved, failing, nowAt, lastServedAt }
}

/**
 * The vantage reached the site on a detour (a failover to it) and now answers from where it was before:
 * the end of a failover to the site, not the site going down. Without this, the site's own vantages
 * being unheard (silent) would leave the returning ones to call a healthy site down.
 */
function wentBackHome(earlier: readonly CatchmentCycle[], vantage: string, site: string, sitesNow: readonly string[]): boolean {
  const states = reportedStates(earlier, vantage)
  const firstAtSite = states.findIndex(({ state }) => reachedSite(state, site))
  const before = new Set(states.slice(0, Math.max(0, firstAtSite)).flatMap(({ state }) => (state.status === 'answering' ? state.sites : [])))
  return sitesNow.length > 0 && sitesNow.every((other) => before.has(other))
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
  const states = reportedStates(cycles, vantage).filter(({ state }) => reachedSite(state, site))
  return states.at(-1)?.startedAt ?? 0
}

export const siteDown = {
  kind: 'site-down',
  slicing: 'each-slice',
  params: SiteDownParamsSchema,
  historyCycles: (params: SiteDownParams) => params.lookbackCycles,
  detect: detectSitesDown,
} satisfies Detector<SiteDownParams>
