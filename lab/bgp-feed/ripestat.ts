// The lab collector's state in the shapes of the RIPEstat Data API (the samples in
// shared/fixtures/ripestat): looking-glass from its RIB, routing-status from its RIB and sessions,
// bgp-updates from its update log, rpki-validation against the lab's ROAs. The monitor reads these
// exactly as it reads stat.ripe.net. Pure: lab/bgp-feed/server.ts reads the collector.
import { collectorPeer, type CollectorEvent, type CollectorRoute, type CollectorSession } from '../collector.ts'
import { BGP_FEED } from '../topology.ts'
import { covers, parsePrefix, prefixCovers, type ParsedPrefix } from '../../src/core/net/prefix.ts'

export const RIPESTAT_CALLS = ['looking-glass', 'routing-status', 'bgp-updates', 'rpki-validation'] as const
export type LabRipestatCall = (typeof RIPESTAT_CALLS)[number]

export interface Roa {
  prefix: string
  maxLength: number
  asn: number
}

/** RIS's collector name in normalised form, as bgp-updates' source_id and RIS Live's host carry it. */
export const COLLECTOR_ID = BGP_FEED.rrc.toLowerCase()

/** RIPEstat writes UTC times without a zone; milliseconds kept so the feed's order survives. */
export function ripestatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23)
}

export function ripestatEnvelope(call: LabRipestatCall, data: unknown, nowMs: number): Record<string, unknown> {
  return {
    messages: [],
    see_also: [],
    version: 'lab',
    data_call_name: call,
    data_call_status: 'supported (anycast lab)',
    cached: false,
    data,
    query_id: `lab-${nowMs}`,
    process_time: 0,
    server_id: 'anycast-lab',
    build_version: 'lab',
    status: 'ok',
    status_code: 200,
    time: ripestatTime(nowMs),
  }
}

/** The error envelope, as RIPEstat answers a bad resource (with the same HTTP status). */
export function ripestatError(call: string, statusCode: number, message: string, nowMs: number): Record<string, unknown> {
  return { messages: [['error', message]], see_also: [], version: 'lab', data_call_name: call, data: {}, status: 'error', status_code: statusCode, time: ripestatTime(nowMs) }
}

const inside = (resource: string) => (prefix: string) => prefixCovers(resource, prefix)

export function lookingGlassData(resource: string, routes: readonly CollectorRoute[], nowMs: number): Record<string, unknown> {
  const peers = routes
    .filter((route) => route.peerIp !== null && inside(resource)(route.prefix))
    .map((route) => ({
      asn_origin: String(route.asPath.at(-1) ?? ''),
      as_path: route.asPath.join(' '),
      community: route.communities.join(' '),
      last_updated: route.sinceMs === null ? null : ripestatTime(route.sinceMs),
      prefix: route.prefix,
      peer: route.peerIp,
      origin: route.origin,
      next_hop: route.nextHop,
      latest_time: ripestatTime(nowMs),
    }))
  const time = ripestatTime(nowMs)
  return { rrcs: peers.length === 0 ? [] : [{ rrc: BGP_FEED.rrc, location: BGP_FEED.location, peers }], query_time: time, latest_time: time, parameters: { resource } }
}

export function routingStatusData(
  resource: string,
  routes: readonly CollectorRoute[],
  sessions: readonly CollectorSession[],
  events: readonly CollectorEvent[],
  nowMs: number,
): Record<string, unknown> {
  const within = routes.filter((route) => route.peerIp !== null && inside(resource)(route.prefix))
  const visibility = (family: 'v4' | 'v6') => ({
    ris_peers_seeing: new Set(within.filter((route) => familyOfRoute(route) === family).map((route) => route.peerIp)).size,
    total_ris_peers: sessions.filter((session) => session.established && session.peer?.family === family).length,
  })
  const announcements = events.filter((event) => event.kind === 'update' && event.at !== null && inside(resource)(event.prefix))
  const seen = (event: CollectorEvent | undefined) =>
    event === undefined || event.at === null ? null : { prefix: event.prefix, origin: String(event.asPath.at(-1) ?? ''), time: ripestatTime(event.at) }
  const origins = [...new Set(within.map((route) => route.asPath.at(-1)).filter((asn): asn is number => asn !== undefined))].sort((a, b) => a - b)
  return {
    resource,
    query_time: ripestatTime(nowMs),
    first_seen: seen(announcements[0]),
    last_seen: seen(announcements.at(-1)),
    visibility: { v4: visibility('v4'), v6: visibility('v6') },
    origins: origins.map((origin) => ({ origin, route_objects: [] })),
    less_specifics: [],
    more_specifics: [...new Set(within.filter((route) => route.prefix !== resource).map((route) => route.prefix))].map((prefix) => ({ prefix, origin: null })),
  }
}

function familyOfRoute(route: CollectorRoute): 'v4' | 'v6' {
  return route.prefix.includes(':') ? 'v6' : 'v4'
}

export function bgpUpdatesData(resource: string, events: readonly CollectorEvent[], fromMs: number, untilMs: number): Record<string, unknown> {
  const updates = events
    .filter((event) => event.at !== null && event.at >= fromMs && event.at <= untilMs && inside(resource)(event.prefix))
    .flatMap((event, index) => {
      const peerIp = collectorPeer(event.protocol)?.ip ?? null
      if (peerIp === null || event.at === null) return []
      const attrs = { source_id: `${COLLECTOR_ID}-${peerIp}`, target_prefix: event.prefix }
      const announce = { ...attrs, path: event.asPath, community: event.communities }
      return [{ seq: index, timestamp: ripestatTime(event.at), type: event.kind === 'update' ? 'A' : 'W', attrs: event.kind === 'update' ? announce : attrs }]
    })
  return { resource, query_starttime: ripestatTime(fromMs), query_endtime: ripestatTime(untilMs), nr_updates: updates.length, updates }
}

/**
 * RFC 6811 origin validation: not covered by any ROA → unknown; covered, and one ROA has the origin
 * and a maxLength the route fits → valid; else invalid_asn (no ROA of the origin) or invalid_length.
 */
export function rpkiValidationData(originAsn: number, prefix: string, roas: readonly Roa[]): Record<string, unknown> {
  const route = parsePrefix(prefix)
  const covering = route === null ? [] : roas.filter((roa) => coversParsed(roa, route))
  const validity = (roa: Roa): string => (roa.asn !== originAsn ? 'invalid_asn' : route !== null && route.length > roa.maxLength ? 'invalid_length' : 'valid')
  const verdicts = covering.map(validity)
  const status =
    covering.length === 0 ? 'unknown' : verdicts.includes('valid') ? 'valid' : verdicts.includes('invalid_length') ? 'invalid_length' : 'invalid_asn'
  return {
    resource: String(originAsn),
    prefix,
    validating_roas: covering.map((roa, index) => ({ origin: String(roa.asn), prefix: roa.prefix, validity: verdicts[index], max_length: roa.maxLength })),
    status,
    validator: 'anycast-lab (lab/topology.ts LAB_ROAS)',
  }
}

function coversParsed(roa: Roa, route: ParsedPrefix): boolean {
  const parsed = parsePrefix(roa.prefix)
  return parsed !== null && covers(parsed, route)
}
