// Tiny builders for the BGP tests: routes written as their path text, snapshots of a few routes, the
// three kinds of source result, and a detector input on the fixed clock of the DNS tests.
import type { SiteAttributionRule } from '../../src/core/bgp/attribution.ts'
import type { BgpDetectorInput } from '../../src/core/bgp/detectors/index.ts'
import {
  totalsOf,
  type BgpPeerRoute,
  type BgpSnapshot,
  type BgpSourceResult,
  type BgpUpdateEvent,
  type RpkiCheck,
} from '../../src/core/bgp/model.ts'
import { T0 } from './cycles.ts'

export { T0 }
export const PREFIX = '192.0.2.0/24'
export const ORIGIN = 64500
export const MINUTE_MS = 60_000

/** Sites of the lab target: fra by community, ber by its upstream AS 64511, ams by both. */
export const RULES: SiteAttributionRule[] = [
  { siteId: 'fra', community: '64500:1' },
  { siteId: 'ber', upstreamAsn: 64511 },
  { siteId: 'ams', community: '64500:3', upstreamAsn: 64513 },
]

/** A route of peer `peer` at `collector`; the path's first AS is the peer's, its last the origin. */
export function route(path: string, fields: Partial<BgpPeerRoute> & { peer?: string } = {}): BgpPeerRoute {
  const asPath = path.split(' ').map(Number)
  const { peer, ...rest } = fields
  return {
    collector: 'rrc00',
    peerIp: peer ?? `10.0.0.${asPath[0] ?? 0}`,
    peerAsn: asPath[0] ?? null,
    asPath,
    originAsn: asPath.at(-1) ?? null,
    communities: [],
    largeCommunities: [],
    changedAt: null,
    ...rest,
  }
}

/** `count` peers (10.1.0.1...) at `collector` routing through `upstream` to the origin. */
export function peers(count: number, upstream: number, fields: Partial<BgpPeerRoute> & { from?: number } = {}): BgpPeerRoute[] {
  const { from = 1, ...rest } = fields
  return Array.from({ length: count }, (_, index) =>
    route(`${65000 + from + index} ${upstream} ${ORIGIN}`, { peer: `10.${upstream % 250}.0.${from + index}`, ...rest }),
  )
}

export function snapshot(routes: readonly BgpPeerRoute[], fields: Partial<BgpSnapshot> = {}): BgpSnapshot {
  return {
    source: 'ripestat',
    prefix: PREFIX,
    fetchedAt: T0,
    dataAt: T0 - 30_000,
    collectors: [...new Set(routes.map((entry) => entry.collector))].sort(),
    routes: [...routes],
    totals: totalsOf(routes, null),
    dumpVisibility: null,
    updates: null,
    rpki: null,
    gaps: [],
    ...fields,
  }
}

export const fresh = (snap: BgpSnapshot): BgpSourceResult => ({ kind: 'snapshot', snapshot: snap })
export const stale = (snap: BgpSnapshot, reason = 'RIS data is 40 min old'): BgpSourceResult => ({
  kind: 'stale',
  source: snap.source,
  prefix: snap.prefix,
  snapshot: snap,
  reason,
})
export const unavailable = (reason = 'looking-glass: HTTP 500 (after 3 attempts)'): BgpSourceResult => ({
  kind: 'unavailable',
  source: 'ripestat',
  prefix: PREFIX,
  reason,
})

export function input(results: readonly BgpSourceResult[], fields: Partial<BgpDetectorInput> = {}): BgpDetectorInput {
  return { target: 'lab', prefix: PREFIX, at: T0, results, expectedOriginAsns: [ORIGIN], sites: RULES, ...fields }
}

/** An update `minutesAgo` before T0 from peer 10.9.0.<peer> at rrc00. */
export function update(type: BgpUpdateEvent['type'], peer: number, minutesAgo: number): BgpUpdateEvent {
  return {
    at: T0 - minutesAgo * MINUTE_MS,
    type,
    prefix: PREFIX,
    collector: 'rrc00',
    peerIp: `10.9.0.${peer}`,
    asPath: type === 'announce' ? [65001, 64510, ORIGIN] : [],
    communities: [],
  }
}

export function rpki(originAsn: number, status: RpkiCheck['status'], detail: string = status): RpkiCheck {
  return { originAsn, status, detail, validator: 'routinator' }
}
