// Site attribution: which anycast site each BGP peer's route leads to (the BGP catchment), and per
// site whether its route is still announced, for the black-hole detector's `bgp` input.
//
// A site is named by the community its announcement carries, or by its upstream: the AS that hands
// the route to the origin (prepends ignored). Communities win over upstreams because they name one
// site exactly, while two sites can share a transit.
//
// A site is "withdrawn" only when every one of these holds; otherwise it is "unknown":
// - the source is fresh (a stale or unavailable source says nothing about routes);
// - at least one peer sees the prefix (nobody seeing it is an outage or a feed problem, and the
//   visibility detector reports it);
// - at least one route is attributed to some site: communities can be stripped in transit and
//   upstreams can be misconfigured, and then no route names any site, which is no evidence of a withdrawal;
// - no peer's route carries the site's community or upstream.
import type { BgpRouteStatus, BgpSiteStatus } from '../detectors/detector.ts'
import { freshSnapshotOf, upstreamOf, type BgpPeerRoute, type BgpSnapshot, type BgpSourceResult } from './model.ts'

export interface SiteAttributionRule {
  siteId: string
  /** "ASN:value", as in the site table. */
  community?: string
  upstreamAsn?: number
}

export type AttributionEvidence = 'community' | 'upstream'

/** What names a site: a peer's route, or an update event's announcement. */
export type RouteNaming = Pick<BgpPeerRoute, 'asPath' | 'communities'>

export interface RouteAttribution {
  route: BgpPeerRoute
  /** null when the route names no configured site. */
  siteId: string | null
  matchedBy: AttributionEvidence | null
}

/** The rules of a site table: every site with a community or an upstream AS. */
export function attributionRulesOf(sites: readonly { id: string; community?: string; upstreamAsn?: number }[]): SiteAttributionRule[] {
  return sites.flatMap((site) => {
    if (site.community === undefined && site.upstreamAsn === undefined) return []
    const rule: SiteAttributionRule = { siteId: site.id }
    if (site.community !== undefined) rule.community = site.community
    if (site.upstreamAsn !== undefined) rule.upstreamAsn = site.upstreamAsn
    return [rule]
  })
}

/** How the route names the site, or null when it does not. */
export function routeEvidenceFor(route: RouteNaming, rule: SiteAttributionRule): AttributionEvidence | null {
  if (rule.community !== undefined && route.communities.includes(rule.community)) return 'community'
  if (rule.upstreamAsn !== undefined && upstreamOf(route.asPath) === rule.upstreamAsn) return 'upstream'
  return null
}

/** The site of one route: the first rule matching by community, else the first matching by upstream. */
export function attributeRoute(route: BgpPeerRoute, rules: readonly SiteAttributionRule[]): RouteAttribution {
  return { route, ...siteMatchOf(route, rules) }
}

/** The site an announcement names (see attributeRoute), or null. */
export function siteOf(route: RouteNaming, rules: readonly SiteAttributionRule[]): string | null {
  return siteMatchOf(route, rules).siteId
}

function siteMatchOf(route: RouteNaming, rules: readonly SiteAttributionRule[]): Omit<RouteAttribution, 'route'> {
  const byCommunity = rules.find((rule) => routeEvidenceFor(route, rule) === 'community')
  if (byCommunity !== undefined) return { siteId: byCommunity.siteId, matchedBy: 'community' }
  const byUpstream = rules.find((rule) => routeEvidenceFor(route, rule) === 'upstream')
  if (byUpstream !== undefined) return { siteId: byUpstream.siteId, matchedBy: 'upstream' }
  return { siteId: null, matchedBy: null }
}

/** The BGP catchment: every peer's route with the site it leads to. */
export function bgpCatchment(snapshot: BgpSnapshot, rules: readonly SiteAttributionRule[]): RouteAttribution[] {
  return snapshot.routes.map((route) => attributeRoute(route, rules))
}

/** Per site with a rule, announced / withdrawn / unknown (see the file comment for when "withdrawn" is said). */
export function bgpSiteStatus(result: BgpSourceResult, rules: readonly SiteAttributionRule[]): BgpSiteStatus {
  const snapshot = freshSnapshotOf(result)
  const attributable = snapshot !== null && snapshot.routes.some((route) => rules.some((rule) => routeEvidenceFor(route, rule) !== null))
  return Object.fromEntries(
    rules.map((rule): [string, BgpRouteStatus] => {
      if (snapshot === null || !attributable) return [rule.siteId, 'unknown']
      const carried = snapshot.routes.some((route) => routeEvidenceFor(route, rule) !== null)
      return [rule.siteId, carried ? 'announced' : 'withdrawn']
    }),
  )
}

/**
 * One status per site from several sources. Any source seeing the route makes it announced (the
 * black hole stays critical); withdrawn needs every source that could tell to agree; else unknown.
 */
export function mergeBgpSiteStatuses(statuses: readonly BgpSiteStatus[]): BgpSiteStatus {
  const sites = [...new Set(statuses.flatMap((status) => Object.keys(status)))]
  return Object.fromEntries(
    sites.map((site): [string, BgpRouteStatus] => {
      const said = statuses.map((status) => status[site]).filter((value): value is BgpRouteStatus => value !== undefined && value !== 'unknown')
      if (said.includes('announced')) return [site, 'announced']
      return [site, said.length > 0 ? 'withdrawn' : 'unknown']
    }),
  )
}
