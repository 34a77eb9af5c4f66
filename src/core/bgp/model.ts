// The BGP side's vocabulary: what one source says about one prefix (a snapshot), how a source says it
// could not tell (stale, unavailable), and the pure normalisers that absorb the drift of real
// responses: ASNs as strings or integers, communities as a space-separated string, "a:b" strings or
// [a, b] pairs, collectors as "RRC00", "rrc25.ripe.net" or "00", times with or without a zone.

export const MAX_ASN = 4_294_967_295
const MAX_COMMUNITY_HALF = 65_535
const MS_PER_SECOND = 1000

/** One BGP peer's route to the prefix, as one collector (a RIS RRC, a private looking glass) saw it. */
export interface BgpPeerRoute {
  /** Normalised collector id: 'rrc00', or the name of a private looking glass. */
  collector: string
  peerIp: string
  /** null when the source does not say and the path is empty. */
  peerAsn: number | null
  /** AS path as the peer sent it, prepends kept; AS_SET members flattened in place. */
  asPath: number[]
  /** null when the path ends in an AS_SET or is empty and the source gives no origin. */
  originAsn: number | null
  /** Standard communities as "ASN:value", in the order received, without repeats. */
  communities: string[]
  /** Large communities as "global:local1:local2". */
  largeCommunities: string[]
  /** Epoch ms at which the route last changed; null when unknown. */
  changedAt: number | null
}

export interface BgpCollectorTotals {
  collector: string
  peersSeeing: number
  /** Peers of this collector that could see the prefix; null when the source cannot tell. */
  peersTotal: number | null
}

export interface BgpTotals {
  /** Distinct (collector, peer) pairs holding a route to the prefix. */
  peersSeeing: number
  /** Peers that could see it (a private LG's established sessions); null when the source cannot tell. */
  peersTotal: number | null
  byCollector: BgpCollectorTotals[]
}

/** RIS's own visibility figure for the prefix's address family, aligned to the 8-hourly RIB dumps. */
export interface BgpDumpVisibility {
  peersSeeing: number
  peersTotal: number
  /** Epoch ms of the dump the figure is from; null when not given. */
  at: number | null
}

export type BgpUpdateType = 'announce' | 'withdraw'

export interface BgpUpdateEvent {
  at: number
  type: BgpUpdateType
  prefix: string
  collector: string
  peerIp: string
  /** Empty for withdrawals. */
  asPath: number[]
  communities: string[]
}

/** Announcements and withdrawals of the prefix seen in [from, until] (epoch ms). */
export interface BgpUpdates {
  from: number
  until: number
  events: BgpUpdateEvent[]
}

export type RpkiStatus = 'valid' | 'invalid' | 'unknown'

export interface RpkiCheck {
  originAsn: number
  status: RpkiStatus
  /** The validator's own word, e.g. 'invalid_asn', 'invalid_length', 'not-found'. */
  detail: string
  validator: string | null
}

export type BgpSnapshotPart = 'routes' | 'totals' | 'dump-visibility' | 'updates' | 'rpki'

/** A part of the snapshot the source could not provide this time, and why. */
export interface BgpGap {
  part: BgpSnapshotPart
  reason: string
}

/** What one source says about one prefix at one time. */
export interface BgpSnapshot {
  /** Source name: 'ripestat', or the private looking glass's name. */
  source: string
  prefix: string
  /** Epoch ms at which the monitor received the data. */
  fetchedAt: number
  /** Epoch ms the data is current as of (RIPEstat latest_time, birdwatcher cached_at). */
  dataAt: number
  /** Collectors that answered for the prefix, sorted. */
  collectors: string[]
  /** The peers seeing the prefix, one route each. */
  routes: BgpPeerRoute[]
  totals: BgpTotals
  /** null when the source has no such figure, or could not give it (see gaps). */
  dumpVisibility: BgpDumpVisibility | null
  /** null when the source has no update history, or could not give it (see gaps). */
  updates: BgpUpdates | null
  /** One check per origin AS seen; null when the source has no RPKI view, or could not give it. */
  rpki: RpkiCheck[] | null
  gaps: BgpGap[]
}

/**
 * What a source answered. A failing source is 'stale' (it has only old data, shown for context) or
 * 'unavailable': never an empty snapshot, so a broken feed can not look like a withdrawal.
 */
export type BgpSourceResult =
  | { kind: 'snapshot'; snapshot: BgpSnapshot }
  | { kind: 'stale'; source: string; prefix: string; reason: string; snapshot: BgpSnapshot }
  | { kind: 'unavailable'; source: string; prefix: string; reason: string }

/** The fresh snapshot of a result, or null when the source could not tell. */
export function freshSnapshotOf(result: BgpSourceResult): BgpSnapshot | null {
  return result.kind === 'snapshot' ? result.snapshot : null
}

/** 64500, "64500", "AS64500" → 64500; anything else (including out of range) → null. */
export function parseAsn(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= MAX_ASN ? value : null
  if (typeof value !== 'string') return null
  const digits = value.trim().replace(/^as/i, '')
  return /^\d{1,10}$/.test(digits) ? parseAsn(Number(digits)) : null
}

/** One hop of a path: an AS, or an AS_SET (aggregation) whose members come in no order. */
export type AsPathHop = number | number[]

/**
 * Paths as they come: "3333 1299 {64500,64501}" (RIPEstat), [3333, 1299, [64500, 64501]] (RIS Live),
 * ["3333", "1299"] (birdwatcher). Unreadable hops are dropped.
 */
export function parseAsPathHops(value: unknown): AsPathHop[] {
  if (typeof value === 'string') return (value.match(/\{[^}]*\}|[^\s{}]+/g) ?? []).flatMap(hopOfToken)
  if (!Array.isArray(value)) return []
  return value.flatMap((item): AsPathHop[] => {
    if (Array.isArray(item)) return [item.map(parseAsn).filter(isAsn)]
    const asn = parseAsn(item)
    return asn === null ? [] : [asn]
  })
}

function hopOfToken(token: string): AsPathHop[] {
  if (!token.startsWith('{')) {
    const asn = parseAsn(token)
    return asn === null ? [] : [asn]
  }
  return [token.slice(1, -1).split(/[\s,]+/).map(parseAsn).filter(isAsn)]
}

function isAsn(value: number | null): value is number {
  return value !== null
}

export function flattenAsPath(hops: readonly AsPathHop[]): number[] {
  return hops.flatMap((hop) => (Array.isArray(hop) ? hop : [hop]))
}

/** The last hop when it is a single AS; an AS_SET origin is ambiguous. */
export function originOfHops(hops: readonly AsPathHop[]): number | null {
  const last = hops.at(-1)
  return typeof last === 'number' ? last : null
}

/** The path without prepends: 1299 64500 64500 64500 → 1299 64500. */
export function collapsePrepends(path: readonly number[]): number[] {
  return path.filter((asn, index) => index === 0 || path[index - 1] !== asn)
}

/**
 * The AS that hands the route to the origin (the site's transit), prepends ignored; null when the
 * peer is the origin itself.
 */
export function upstreamOf(path: readonly number[]): number | null {
  const collapsed = collapsePrepends(path)
  return collapsed.length >= 2 ? (collapsed.at(-2) ?? null) : null
}

/** Standard communities in any of the three forms seen, as "ASN:value" (each half 0..65535). */
export function normaliseCommunities(value: unknown): string[] {
  return normaliseCommunityValues(value, 2, MAX_COMMUNITY_HALF)
}

/** Large communities (RFC 8092) as "global:local1:local2" (each part 0..4294967295). */
export function normaliseLargeCommunities(value: unknown): string[] {
  return normaliseCommunityValues(value, 3, MAX_ASN)
}

function normaliseCommunityValues(value: unknown, partCount: number, maxPart: number): string[] {
  const candidates: unknown[] = typeof value === 'string' ? value.split(/[\s,]+/) : Array.isArray(value) ? value : []
  const normalised = candidates.flatMap((candidate) => {
    const parts = typeof candidate === 'string' ? candidate.split(':') : Array.isArray(candidate) ? candidate : null
    const text = parts === null ? null : communityText(parts, partCount, maxPart)
    return text === null ? [] : [text]
  })
  return [...new Set(normalised)]
}

function communityText(parts: readonly unknown[], partCount: number, maxPart: number): string | null {
  if (parts.length !== partCount) return null
  const numbers = parts.map((part) => (typeof part === 'string' && /^\d+$/.test(part.trim()) ? Number(part) : part))
  const valid = numbers.every((part) => typeof part === 'number' && Number.isInteger(part) && part >= 0 && part <= maxPart)
  return valid ? numbers.join(':') : null
}

/** 'RRC00', 'rrc25.ripe.net', '00' (bgp-updates source_id) → 'rrc00', 'rrc25'; other names lower-cased. */
export function normaliseCollector(value: string): string {
  const name = value.trim().toLowerCase().replace(/\.ripe\.net$/, '')
  return /^\d+$/.test(name) ? `rrc${name.padStart(2, '0')}` : name
}

/** RIPEstat's source_id "<rrc>-<peer ip>"; IPv6 peers contain colons, never a hyphen. */
export function parseSourceId(sourceId: string): { collector: string; peerIp: string } | null {
  const hyphen = sourceId.indexOf('-')
  if (hyphen <= 0 || hyphen === sourceId.length - 1) return null
  return { collector: normaliseCollector(sourceId.slice(0, hyphen)), peerIp: sourceId.slice(hyphen + 1) }
}

/**
 * Epoch ms of a source's time: numbers are epoch seconds (RIS Live, unix_timestamps=TRUE); strings are
 * ISO 8601, where a missing zone means UTC (RIPEstat) and a space may stand for the 'T' (BIRD).
 */
export function parseDataTime(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value * MS_PER_SECOND) : null
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value.trim())) return null
  const text = value.trim().replace(' ', 'T')
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : `${text}Z`
  const ms = Date.parse(zoned)
  return Number.isNaN(ms) ? null : ms
}

export type AddressFamily = 'v4' | 'v6'

export function familyOf(prefix: string): AddressFamily {
  return prefix.includes(':') ? 'v6' : 'v4'
}

export function peerKey(route: Pick<BgpPeerRoute, 'collector' | 'peerIp'>): string {
  return `${route.collector}|${route.peerIp}`
}

/** Totals of the routes, with what the source knows of the peers that could see them. */
export function totalsOf(
  routes: readonly BgpPeerRoute[],
  peersTotal: number | null,
  peersTotalByCollector: ReadonlyMap<string, number> = new Map(),
): BgpTotals {
  const peersByCollector = new Map<string, Set<string>>()
  for (const route of routes) peersByCollector.set(route.collector, (peersByCollector.get(route.collector) ?? new Set()).add(route.peerIp))
  const collectors = [...new Set([...peersByCollector.keys(), ...peersTotalByCollector.keys()])].sort()
  return {
    peersSeeing: new Set(routes.map(peerKey)).size,
    peersTotal,
    byCollector: collectors.map((collector) => ({
      collector,
      peersSeeing: peersByCollector.get(collector)?.size ?? 0,
      peersTotal: peersTotalByCollector.get(collector) ?? null,
    })),
  }
}

/** Origin ASes seen and how many peers route to each, most seen first. */
export function originsOf(routes: readonly BgpPeerRoute[]): { originAsn: number | null; peers: number }[] {
  const peersByOrigin = new Map<number | null, Set<string>>()
  for (const route of routes) peersByOrigin.set(route.originAsn, (peersByOrigin.get(route.originAsn) ?? new Set()).add(peerKey(route)))
  return [...peersByOrigin.entries()]
    .map(([originAsn, peers]) => ({ originAsn, peers: peers.size }))
    .sort((a, b) => b.peers - a.peers || (a.originAsn ?? -1) - (b.originAsn ?? -1))
}
