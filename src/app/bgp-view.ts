// The joined BGP view behind `anycast-monitor bgp`: for each prefix and each source, what the source
// answered, the peers seeing the prefix with their path, origin, communities and the site each one
// routes to (the BGP catchment), each site's announced / withdrawn / unknown status, and what the BGP
// detectors make of this one result (no history: the baseline-based checks cannot fire here).
import { bgpCatchment, bgpSiteStatus, type AttributionEvidence, type SiteAttributionRule } from '../core/bgp/attribution.ts'
import { runBgpDetectors, type BgpDetection, type BgpDetectionSettings } from '../core/bgp/detectors/index.ts'
import {
  originsOf,
  upstreamOf,
  type BgpDumpVisibility,
  type BgpGap,
  type BgpSnapshot,
  type BgpSourceResult,
  type BgpTotals,
  type RpkiCheck,
} from '../core/bgp/model.ts'
import type { BgpSiteStatus } from '../core/detectors/index.ts'
import type { BgpSource } from '../ports/bgp-source.ts'

export interface BgpViewPrefix {
  /** The target the prefix is configured for; null for a prefix asked about that no target lists. */
  target: string | null
  prefix: string
  expectedOriginAsns: number[]
  rules: SiteAttributionRule[]
}

export interface BgpViewDeps {
  sources: readonly BgpSource[]
  nowMs: () => number
  detection: BgpDetectionSettings
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

export interface BgpSourceView {
  source: string
  result: BgpSourceResult['kind']
  /** Why the source is stale or unavailable; null for a fresh snapshot. */
  reason: string | null
  fetchedAt: string | null
  dataAt: string | null
  collectors: string[]
  totals: BgpTotals | null
  dumpVisibility: (Omit<BgpDumpVisibility, 'at'> & { at: string | null }) | null
  origins: { originAsn: number | null; peers: number; expected: boolean }[]
  sites: BgpSiteStatus
  /** Peers per site they route to ('unattributed' for routes naming no site). */
  catchment: Record<string, number>
  peers: BgpPeerView[]
  rpki: RpkiCheck[] | null
  updates: { from: string; until: string; announcements: number; withdrawals: number } | null
  gaps: BgpGap[]
  detection: BgpDetection
}

export interface BgpPrefixView {
  target: string | null
  prefix: string
  expectedOriginAsns: number[]
  sources: BgpSourceView[]
}

export interface BgpView {
  generatedAt: string
  prefixes: BgpPrefixView[]
}

const UNATTRIBUTED = 'unattributed'

/** Asks every source about every prefix at once (each source bounds its own concurrency). */
export async function buildBgpView(deps: BgpViewDeps, prefixes: readonly BgpViewPrefix[], signal: AbortSignal): Promise<BgpView> {
  const views = await Promise.all(
    prefixes.map(async (entry) => ({
      target: entry.target,
      prefix: entry.prefix,
      expectedOriginAsns: entry.expectedOriginAsns,
      sources: await Promise.all(deps.sources.map((source) => askSource(deps, source, entry, signal))),
    })),
  )
  return { generatedAt: isoTime(deps.nowMs()), prefixes: views }
}

async function askSource(deps: BgpViewDeps, source: BgpSource, entry: BgpViewPrefix, signal: AbortSignal): Promise<BgpSourceView> {
  // The port promises not to reject; a bug in an adapter still must not sink the other sources.
  const result = await source.snapshot(entry.prefix, signal).catch(
    (error: unknown): BgpSourceResult => ({ kind: 'unavailable', source: source.name, prefix: entry.prefix, reason: `source failed: ${String(error)}` }),
  )
  return sourceView(result, entry, deps)
}

export function sourceView(result: BgpSourceResult, entry: BgpViewPrefix, deps: Pick<BgpViewDeps, 'nowMs' | 'detection'>): BgpSourceView {
  const snapshot = result.kind === 'unavailable' ? null : result.snapshot
  const detectorInput = {
    target: entry.target ?? '',
    prefix: entry.prefix,
    at: deps.nowMs(),
    results: [result],
    expectedOriginAsns: entry.expectedOriginAsns,
    sites: entry.rules,
  }
  const detection = runBgpDetectors(detectorInput, deps.detection)
  return {
    source: result.kind === 'snapshot' ? result.snapshot.source : result.source,
    result: result.kind,
    reason: result.kind === 'snapshot' ? null : result.reason,
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
    gaps: snapshot?.gaps ?? [],
    detection,
  }
}

function peersAndCatchment(snapshot: BgpSnapshot | null, rules: readonly SiteAttributionRule[]): Pick<BgpSourceView, 'peers' | 'catchment'> {
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

function updatesSummary(updates: NonNullable<BgpSnapshot['updates']>): NonNullable<BgpSourceView['updates']> {
  return {
    from: isoTime(updates.from),
    until: isoTime(updates.until),
    announcements: updates.events.filter((event) => event.type === 'announce').length,
    withdrawals: updates.events.filter((event) => event.type === 'withdraw').length,
  }
}

function isExpected(entry: BgpViewPrefix, originAsn: number | null): boolean {
  return originAsn !== null && entry.expectedOriginAsns.includes(originAsn)
}

/** Every result of the view was stale or unavailable. */
export function viewHasNoFreshData(view: BgpView): boolean {
  return view.prefixes.every((prefix) => prefix.sources.every((source) => source.result !== 'snapshot'))
}

/** A few lines per prefix and source, for a terminal. */
export function bgpViewText(view: BgpView): string {
  return view.prefixes
    .flatMap((prefix) => [`${prefix.prefix}${prefix.target === null ? '' : ` (target ${prefix.target})`}`, ...prefix.sources.flatMap(sourceLines)])
    .join('\n')
}

function sourceLines(source: BgpSourceView): string[] {
  const head = `  ${source.source}: ${source.result}${source.reason === null ? '' : ` (${source.reason})`}`
  if (source.totals === null) return [head]
  const total = source.totals.peersTotal === null ? '' : ` of ${source.totals.peersTotal}`
  const origins = source.origins.map((origin) => `AS${origin.originAsn ?? '?'}×${origin.peers}${origin.expected ? '' : ' (unexpected)'}`).join(', ')
  const sites = Object.entries(source.sites).map(([site, status]) => `${site} ${status}`).join(', ')
  const catchment = Object.entries(source.catchment).map(([site, peers]) => `${site} ${peers}`).join(', ')
  const findings = source.detection.findings.map((finding) => `    ! ${finding.kind} ${finding.severity}: ${finding.summary}`)
  return [
    head,
    `    data at ${source.dataAt ?? '?'}; ${source.totals.peersSeeing}${total} peers see it at ${source.collectors.length} collectors`,
    `    origins: ${origins || 'none'}`,
    `    sites: ${sites || 'no site has a community or upstream'}`,
    `    catchment (peers per site): ${catchment || 'none'}`,
    ...findings,
  ]
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString()
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : isoTime(ms)
}
