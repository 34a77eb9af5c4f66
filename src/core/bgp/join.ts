// The BGP half of one target's evaluation. From each source's recent results for each of the target's
// prefixes it makes:
// - each site's route status for the black-hole detector, from fresh results only: a site that no
//   fresh result speaks for is left out, so the black hole says "BGP not checked";
// - the evidence the black-hole, site-down and failover findings carry: which sources said what, the paths (and
//   the community or upstream) that name the site, how many peers route to it, and for a withdrawn site
//   where its peers route now and when its route was last seen;
// - the BGP detectors' findings;
// - what could not be checked (a stale or unavailable source, a missing part), so that the incident
//   policy holds those incidents instead of resolving them by absence. A failover is held while BGP
//   cannot say whether the site is announced or withdrawn.
//
// Newer data of the same collectors supersedes older data. Sources that watch different routers (a
// private looking glass and RIS) each see routes the other cannot, so their statuses merge with "any
// source seeing the route makes it announced". Two sources that report the same collectors do not:
// RIS Live (its dataAt is when the feed was last heard) and the RIPEstat looking glass (which lags and
// is cached for a minute) both report the RIS collectors, and after a withdrawal the looking glass
// would keep the site "announced" and make a clean failover read as a black hole. So among the fresh
// snapshots of one prefix, one is superseded when another shares a collector with it and has a
// strictly newer dataAt: it counts neither for the site statuses nor for the routes, paths, peer counts
// and catchment of the evidence, nor for when the site was last seen announced. The evidence's source
// lines still list it, saying by whom it was superseded. The BGP detectors still run per source.
// Pure: the app asks the sources and keeps the history.
import type { FindingEvidence, Finding } from '../findings.ts'
import type { BgpRouteStatus, BgpSiteEvidence, BgpSiteStatus } from '../detectors/detector.ts'
import { siteScope } from '../detectors/detector.ts'
import type { UncheckedScope } from '../incident-policy.ts'
import { bgpCatchment, bgpSiteStatus, mergeBgpSiteStatuses, routeEvidenceFor, type SiteAttributionRule } from './attribution.ts'
import { prefixScope } from './detectors/bgp-detector.ts'
import { BGP_FINDING_KINDS, runBgpDetectors, type BgpDetectionSettings } from './detectors/index.ts'
import { addressFamilyOf, familiesOf, type AddressFamily } from '../paths.ts'
import { freshSnapshotOf, peerKey, type BgpPeerRoute, type BgpSnapshot, type BgpSourceResult } from './model.ts'

const MAX_LISTED_PATHS = 5

export interface BgpSourceHistory {
  source: string
  /** Oldest first, the current result last; an empty history is skipped. */
  results: readonly BgpSourceResult[]
}

export interface BgpPrefixInput {
  prefix: string
  expectedOriginAsns: readonly number[]
  sources: readonly BgpSourceHistory[]
}

export interface BgpJoinInput {
  target: string
  /** The findings' time: the cycle's startedAt. */
  at: number
  rules: readonly SiteAttributionRule[]
  prefixes: readonly BgpPrefixInput[]
  detection: BgpDetectionSettings
}

export interface BgpJoin {
  sites: BgpSiteStatus
  /** The same from each address family's prefixes alone: an IPv6 route can leave while the IPv4 one stays. */
  sitesByFamily: Partial<Record<AddressFamily, BgpSiteStatus>>
  evidence: Record<string, BgpSiteEvidence>
  findings: Finding[]
  unchecked: UncheckedScope[]
}

interface CurrentResult {
  prefix: string
  expectedOriginAsns: readonly number[]
  source: string
  result: BgpSourceResult
  history: readonly BgpSourceResult[]
  /** The source whose newer data of the same collectors supersedes this fresh result; null when it counts. */
  supersededBy: string | null
}

type SourceEntry = Omit<CurrentResult, 'supersededBy'>

export function joinBgp(input: BgpJoinInput): BgpJoin {
  const current = currentResults(input)
  const counted = current.filter(counts)
  const statusOf = (entries: readonly CurrentResult[]) =>
    entries.length === 0 ? {} : mergeBgpSiteStatuses(entries.map((entry) => bgpSiteStatus(entry.result, input.rules)))
  const sites = statusOf(counted)
  const sitesByFamily = Object.fromEntries(
    familiesOf(counted.map((entry) => entry.prefix)).map((family) => [family, statusOf(counted.filter((entry) => addressFamilyOf(entry.prefix) === family))]),
  )
  const evidence = Object.fromEntries(input.rules.map((rule) => [rule.siteId, siteEvidence(rule, sites[rule.siteId], current, input.rules)]))
  const detections = current.map((entry) => ({ entry, detection: runBgpDetectors(detectorInput(input, entry), input.detection) }))
  const notChecked = detections.flatMap(({ entry, detection }) =>
    detection.notChecked.map((missing): UncheckedScope => ({ kind: missing.kind, scope: prefixScope(entry.prefix), source: entry.source, reason: missing.reason })),
  )
  const undecided = input.rules
    .filter((rule) => !isDecided(sites[rule.siteId]))
    .map((rule): UncheckedScope => ({ kind: 'failover', scope: siteScope(rule.siteId), reason: `BGP cannot tell: ${evidence[rule.siteId]?.text ?? 'no source'}` }))
  return { sites, sitesByFamily, evidence, findings: detections.flatMap(({ detection }) => detection.findings), unchecked: [...notChecked, ...undecided] }
}

/** Nothing could be checked (the BGP check itself failed): every BGP incident of the target is held. */
export function bgpNotChecked(rules: readonly SiteAttributionRule[], prefixes: readonly string[], reason: string): BgpJoin {
  return {
    sites: {},
    sitesByFamily: {},
    evidence: {},
    findings: [],
    unchecked: [
      ...prefixes.flatMap((prefix) => BGP_FINDING_KINDS.map((kind): UncheckedScope => ({ kind, scope: prefixScope(prefix), reason }))),
      ...rules.map((rule): UncheckedScope => ({ kind: 'failover', scope: siteScope(rule.siteId), reason })),
    ],
  }
}

function currentResults(input: BgpJoinInput): CurrentResult[] {
  return input.prefixes.flatMap((prefix) => {
    const entries = prefix.sources.flatMap((history): SourceEntry[] => {
      const result = history.results.at(-1)
      if (result === undefined) return []
      return [{ prefix: prefix.prefix, expectedOriginAsns: prefix.expectedOriginAsns, source: history.source, result, history: history.results }]
    })
    return entries.map((entry) => {
      const snapshot = freshSnapshotOf(entry.result)
      return { ...entry, supersededBy: snapshot === null ? null : newerOfSameCollectors(snapshot, entry.source, entries) }
    })
  })
}

/**
 * The source of the newest current fresh snapshot of another source that shares a collector with this
 * snapshot and holds strictly newer data; null when there is none. `others` are one prefix's entries.
 */
function newerOfSameCollectors(snapshot: BgpSnapshot, source: string, others: readonly SourceEntry[]): string | null {
  const newer = others.flatMap((other) => {
    const candidate = freshSnapshotOf(other.result)
    if (candidate === null || other.source === source || candidate.dataAt <= snapshot.dataAt) return []
    return candidate.collectors.some((collector) => snapshot.collectors.includes(collector)) ? [{ source: other.source, dataAt: candidate.dataAt }] : []
  })
  return newer.sort((a, b) => b.dataAt - a.dataAt)[0]?.source ?? null
}

/** A fresh result that no newer data of the same collectors supersedes. */
function counts(entry: CurrentResult): boolean {
  return entry.result.kind === 'snapshot' && entry.supersededBy === null
}

function detectorInput(input: BgpJoinInput, entry: CurrentResult) {
  return { target: input.target, prefix: entry.prefix, at: input.at, results: entry.history, expectedOriginAsns: entry.expectedOriginAsns, sites: input.rules }
}

function isDecided(status: BgpRouteStatus | undefined): boolean {
  return status === 'announced' || status === 'withdrawn'
}

function countedSnapshots(current: readonly CurrentResult[]): BgpSnapshot[] {
  return current.flatMap((entry) => {
    const snapshot = counts(entry) ? freshSnapshotOf(entry.result) : null
    return snapshot === null ? [] : [snapshot]
  })
}

function siteEvidence(
  rule: SiteAttributionRule,
  status: BgpRouteStatus | undefined,
  current: readonly CurrentResult[],
  rules: readonly SiteAttributionRule[],
): BgpSiteEvidence {
  const routes = countedSnapshots(current).flatMap((snapshot) => snapshot.routes)
  const naming = routes.filter((route) => routeEvidenceFor(route, rule) !== null)
  const peersSeeing = new Set(naming.map(peerKey)).size
  const peersTotal = new Set(routes.map(peerKey)).size
  const details: FindingEvidence['details'] = {
    bgpSources: current.map((entry) => sourceLine(entry, rule)),
    bgpPeersSeeing: peersSeeing,
    bgpPeersTotal: peersTotal,
    bgpPaths: pathLines(naming, rule),
    bgpCommunity: rule.community ?? null,
    bgpUpstream: rule.upstreamAsn === undefined ? null : `AS${rule.upstreamAsn}`,
  }
  if (status === 'withdrawn') {
    const lastAnnouncedAt = lastAnnouncedAtOf(rule, current)
    const withdrawal = { bgpCatchment: catchmentLines(current, rules), bgpLastAnnouncedAt: lastAnnouncedAt === null ? null : isoTime(lastAnnouncedAt) }
    return { text: withdrawnText(lastAnnouncedAt), details: { ...details, ...withdrawal } }
  }
  return { text: evidenceText(status, naming, rule, current), details }
}

// The texts join the finding's summary, and a changed summary is a new line on the incident's
// timeline: they name what is stable (how the route names the site, why a source failed), and leave
// the peer counts and paths, which move from cycle to cycle, to the details.
function evidenceText(status: BgpRouteStatus | undefined, naming: readonly BgpPeerRoute[], rule: SiteAttributionRule, current: readonly CurrentResult[]): string {
  if (status === 'announced') return `named by ${[...new Set(naming.map((route) => namedBy(route, rule)))].sort().join(' and ')}`
  if (status === 'unknown') return 'no route names any site'
  const reasons = current.flatMap(({ source, result }) => (result.kind === 'snapshot' ? [] : [`${source} ${result.kind}: ${result.reason}`]))
  return reasons.length === 0 ? 'no BGP source answered for its prefixes' : [...new Set(reasons)].join('; ')
}

function withdrawnText(lastAnnouncedAt: number | null): string {
  return `no peer routes to it${lastAnnouncedAt === null ? '' : `; last seen announced in data of ${isoTime(lastAnnouncedAt)}`}`
}

function namedBy(route: BgpPeerRoute, rule: SiteAttributionRule): string {
  return routeEvidenceFor(route, rule) === 'community' ? `community ${rule.community}` : `upstream AS${rule.upstreamAsn}`
}

/** The distinct paths naming the site, most peers first: '64496 64513 64500 (community 64500:3), 7 peers'. */
function pathLines(routes: readonly BgpPeerRoute[], rule: SiteAttributionRule): string[] {
  const peersByPath = new Map<string, Set<string>>()
  for (const route of routes) {
    const text = `${route.asPath.join(' ')} (${namedBy(route, rule)})`
    peersByPath.set(text, (peersByPath.get(text) ?? new Set()).add(peerKey(route)))
  }
  return [...peersByPath.entries()]
    .sort((a, b) => b[1].size - a[1].size || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, MAX_LISTED_PATHS)
    .map(([text, peers]) => `${text}, ${peers.size} ${peers.size === 1 ? 'peer' : 'peers'}`)
}

function sourceLine(entry: CurrentResult, rule: SiteAttributionRule): string {
  const head = `${entry.source} ${entry.prefix}`
  if (entry.result.kind !== 'snapshot') return `${head}: ${entry.result.kind} (${entry.result.reason})`
  if (entry.supersededBy !== null) return `${head}: superseded by ${entry.supersededBy}'s newer data of the same collectors`
  const { routes } = entry.result.snapshot
  const naming = new Set(routes.filter((route) => routeEvidenceFor(route, rule) !== null).map(peerKey)).size
  return `${head}: ${naming} of ${new Set(routes.map(peerKey)).size} peers route to ${rule.siteId}`
}

/** Where the peers of the counted fresh results route now, per site ('unattributed' for routes naming none). */
function catchmentLines(current: readonly CurrentResult[], rules: readonly SiteAttributionRule[]): string[] {
  const peersBySite = new Map<string, Set<string>>()
  for (const snapshot of countedSnapshots(current)) {
    for (const { route, siteId } of bgpCatchment(snapshot, rules)) {
      const site = siteId ?? 'unattributed'
      peersBySite.set(site, (peersBySite.get(site) ?? new Set()).add(peerKey(route)))
    }
  }
  return [...peersBySite.entries()].sort((a, b) => b[1].size - a[1].size).map(([site, peers]) => `${site}: ${peers.size} ${peers.size === 1 ? 'peer' : 'peers'}`)
}

/**
 * The data time of the latest fresh result in the history in which a route named the site, leaving out
 * results that another source's counted current data of the same collectors supersedes.
 */
function lastAnnouncedAtOf(rule: SiteAttributionRule, current: readonly CurrentResult[]): number | null {
  const times = current.flatMap((entry) => {
    const samePrefix = current.filter((other) => other.prefix === entry.prefix && counts(other))
    return entry.history.flatMap((result) => {
      const snapshot = freshSnapshotOf(result)
      if (snapshot === null || newerOfSameCollectors(snapshot, entry.source, samePrefix) !== null) return []
      return snapshot.routes.some((route) => routeEvidenceFor(route, rule) !== null) ? [snapshot.dataAt] : []
    })
  })
  return times.length === 0 ? null : Math.max(...times)
}

function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString()
}
