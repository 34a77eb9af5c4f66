// What one BGP source said about one prefix, as people and the JSON API read it: times as ISO text,
// each peer's route with the site it leads to (the BGP catchment), origins against the expected ones,
// each site's announced / withdrawn / unknown status. The one-shot `bgp` command prints it; each cycle
// stores the latest one per source and prefix for the status page (StoredBgpView), peers capped.
//
// Reasons and gaps come from the adapters and may quote a URL; a looking glass's base URL can carry
// credentials, so the userinfo of every URL in them is redacted before they reach a view.
import type { BgpSiteStatus } from '../detectors/detector.ts'
import { bgpCatchment, bgpSiteStatus, type AttributionEvidence, type SiteAttributionRule } from './attribution.ts'
import {
  originsOf,
  upstreamOf,
  type BgpDumpVisibility,
  type BgpGap,
  type BgpSnapshot,
  type BgpSourceResult,
  type BgpTotals,
  type RpkiCheck,
} from './model.ts'

/** Peers listed per source in a stored view; the rest are counted. */
export const STORED_PEERS_PER_SOURCE = 50
/** The catchment's key for routes that name no configured site. */
export const UNATTRIBUTED = 'unattributed'

/** The prefix a result is about, as the view needs it. */
export interface BgpViewEntry {
  prefix: string
  expectedOriginAsns: readonly number[]
  rules: readonly SiteAttributionRule[]
}

export interface BgpPeerView {
  collector: string
  peerIp: string
  peerAsn: number | null
  asPath: string
  originAsn: number | null
  upstreamAsn: number | null
  communities: string[]
  largeCommunities: string[]
  site: string | null
  siteMatchedBy: AttributionEvidence | null
  changedAt: string | null
}

export interface BgpSourceSummary {
  source: string
  result: BgpSourceResult['kind']
  /** Why the source is stale or unavailable; null for a fresh snapshot. */
  reason: string | null
  fetchedAt: string | null
  dataAt: string | null
  collectors: string[]
  /** Peers seeing the prefix out of those that could, in all and per collector. */
  totals: BgpTotals | null
  dumpVisibility: (Omit<BgpDumpVisibility, 'at'> & { at: string | null }) | null
  origins: { originAsn: number | null; peers: number; expected: boolean }[]
  sites: BgpSiteStatus
  /** Peers per site they route to (UNATTRIBUTED for routes naming no site). */
  catchment: Record<string, number>
  peers: BgpPeerView[]
  rpki: RpkiCheck[] | null
  /** Announcements and withdrawals of the prefix seen in the source's update window. */
  updates: { from: string; until: string; announcements: number; withdrawals: number } | null
  gaps: BgpGap[]
}

/** A source's latest result as stored: the summary with at most STORED_PEERS_PER_SOURCE peers. */
export interface StoredBgpSourceView extends BgpSourceSummary {
  /** Peers seeing the prefix that `peers` leaves out. */
  peersLeftOut: number
}

export interface StoredBgpPrefixView {
  prefix: string
  expectedOriginAsns: number[]
  sources: StoredBgpSourceView[]
}

/** The latest BGP check of one target: every source's latest result for each of its prefixes. */
export interface StoredBgpView {
  /** Epoch ms: the startedAt of the cycle that checked. */
  checkedAt: number
  prefixes: StoredBgpPrefixView[]
}

/** The latest result of each source for one prefix. */
export interface BgpPrefixResults extends Omit<BgpViewEntry, 'rules'> {
  results: readonly BgpSourceResult[]
}

export function storedBgpView(
  checkedAt: number,
  rules: readonly SiteAttributionRule[],
  prefixes: readonly BgpPrefixResults[],
  peersPerSource: number = STORED_PEERS_PER_SOURCE,
): StoredBgpView {
  return {
    checkedAt,
    prefixes: prefixes.map((entry) => ({
      prefix: entry.prefix,
      expectedOriginAsns: [...entry.expectedOriginAsns],
      sources: entry.results.map((result) => capPeers(summariseSourceResult(result, { ...entry, rules }), peersPerSource)),
    })),
  }
}

function capPeers(summary: BgpSourceSummary, limit: number): StoredBgpSourceView {
  return { ...summary, peers: summary.peers.slice(0, limit), peersLeftOut: Math.max(0, summary.peers.length - limit) }
}

export function summariseSourceResult(result: BgpSourceResult, entry: BgpViewEntry): BgpSourceSummary {
  const snapshot = result.kind === 'unavailable' ? null : result.snapshot
  return {
    source: result.kind === 'snapshot' ? result.snapshot.source : result.source,
    result: result.kind,
    reason: result.kind === 'snapshot' ? null : redactUrlCredentials(result.reason),
    fetchedAt: snapshot === null ? null : isoTime(snapshot.fetchedAt),
    dataAt: snapshot === null ? null : isoTime(snapshot.dataAt),
    collectors: snapshot?.collectors ?? [],
    totals: snapshot?.totals ?? null,
    dumpVisibility: snapshot?.dumpVisibility ? { ...snapshot.dumpVisibility, at: isoOrNull(snapshot.dumpVisibility.at) } : null,
    origins: snapshot === null ? [] : originsOf(snapshot.routes).map((origin) => ({ ...origin, expected: isExpected(entry, origin.originAsn) })),
    sites: bgpSiteStatus(result, entry.rules),
    ...peersAndCatchment(snapshot, entry.rules),
    rpki: snapshot?.rpki ?? null,
    updates: snapshot?.updates ? updatesSummary(snapshot.updates) : null,
    gaps: (snapshot?.gaps ?? []).map((gap) => ({ part: gap.part, reason: redactUrlCredentials(gap.reason) })),
  }
}

/** 'network error: ... https://user:pass@lg.example/x' → '... https://[redacted]@lg.example/x'. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi, '$1[redacted]@')
}

function peersAndCatchment(snapshot: BgpSnapshot | null, rules: readonly SiteAttributionRule[]): Pick<BgpSourceSummary, 'peers' | 'catchment'> {
  if (snapshot === null) return { peers: [], catchment: {} }
  const attributed = bgpCatchment(snapshot, rules)
  const catchment: Record<string, number> = {}
  for (const { siteId } of attributed) catchment[siteId ?? UNATTRIBUTED] = (catchment[siteId ?? UNATTRIBUTED] ?? 0) + 1
  const peers = attributed.map(({ route, siteId, matchedBy }) => ({
    collector: route.collector,
    peerIp: route.peerIp,
    peerAsn: route.peerAsn,
    asPath: route.asPath.join(' '),
    originAsn: route.originAsn,
    upstreamAsn: upstreamOf(route.asPath),
    communities: route.communities,
    largeCommunities: route.largeCommunities,
    site: siteId,
    siteMatchedBy: matchedBy,
    changedAt: isoOrNull(route.changedAt),
  }))
  return { peers, catchment }
}

function updatesSummary(updates: NonNullable<BgpSnapshot['updates']>): NonNullable<BgpSourceSummary['updates']> {
  return {
    from: isoTime(updates.from),
    until: isoTime(updates.until),
    announcements: updates.events.filter((event) => event.type === 'announce').length,
    withdrawals: updates.events.filter((event) => event.type === 'withdraw').length,
  }
}

function isExpected(entry: BgpViewEntry, originAsn: number | null): boolean {
  return originAsn !== null && entry.expectedOriginAsns.includes(originAsn)
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString()
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : isoTime(ms)
}
