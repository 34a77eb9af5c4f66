// The birdwatcher JSON API (alice-lg/birdwatcher, a REST front of BIRD's birdc) into the BGP model.
// Shapes are read from birdwatcher's own parser (bird/parser.go), which differs from its docs/schema.md:
// as_path is a list of strings, /protocols/bgp is a map keyed by protocol name (an array is accepted
// too), and other BGP attributes (local_pref, med) are strings. Each BIRD BGP session is one peer; the
// looking glass itself is the one collector.
import { z } from 'zod'
import { AsnFieldSchema, AsPathFieldSchema, CommunitiesFieldSchema } from './ripestat-schemas.ts'
import {
  flattenAsPath,
  normaliseCommunities,
  normaliseLargeCommunities,
  originOfHops,
  parseAsn,
  parseAsPathHops,
  parseDataTime,
  peerKey,
  type BgpPeerRoute,
} from './model.ts'

const ESTABLISHED = 'established'

const CachedAtSchema = z.union([z.string(), z.looseObject({ date: z.string().nullish() })]).nullish()

const ApiInfoSchema = z
  .looseObject({
    result_from_cache: z.boolean().nullish(),
    cache_status: z.looseObject({ cached_at: CachedAtSchema }).nullish(),
  })
  .nullish()

export const BirdwatcherRouteSchema = z.looseObject({
  network: z.string(),
  from_protocol: z.string().nullish(),
  gateway: z.string().nullish(),
  learnt_from: z.string().nullish(),
  age: z.string().nullish(),
  primary: z.boolean().nullish(),
  bgp: z
    .looseObject({
      as_path: AsPathFieldSchema,
      communities: CommunitiesFieldSchema,
      large_communities: CommunitiesFieldSchema,
      origin: z.string().nullish(),
      next_hop: z.string().nullish(),
    })
    .nullish(),
})

/** /routes/prefix?prefix=P and /route/net/...: `error` set (with HTTP 200) when birdwatcher rejected the query. */
export const BirdwatcherRoutesSchema = z.looseObject({
  api: ApiInfoSchema,
  cached_at: z.string().nullish(),
  ttl: z.string().nullish(),
  error: z.string().nullish(),
  routes: z.array(BirdwatcherRouteSchema).nullish(),
})

export const BirdwatcherProtocolSchema = z.looseObject({
  protocol: z.string().nullish(),
  bird_protocol: z.string().nullish(),
  state: z.string().nullish(),
  bgp_state: z.string().nullish(),
  neighbor_address: z.string().nullish(),
  neighbor_as: AsnFieldSchema,
  description: z.string().nullish(),
})

export const BirdwatcherProtocolsSchema = z.looseObject({
  api: ApiInfoSchema,
  cached_at: z.string().nullish(),
  error: z.string().nullish(),
  protocols: z.union([z.record(z.string(), BirdwatcherProtocolSchema), z.array(BirdwatcherProtocolSchema)]).nullish(),
})

export type BirdwatcherRoutes = z.output<typeof BirdwatcherRoutesSchema>
export type BirdwatcherProtocols = z.output<typeof BirdwatcherProtocolsSchema>
export type BirdwatcherProtocol = z.output<typeof BirdwatcherProtocolSchema>

export interface BirdwatcherSession {
  name: string
  peerIp: string | null
  peerAsn: number | null
  established: boolean
}

/** The BGP sessions, by protocol name. */
export function sessionsOf(body: BirdwatcherProtocols): Map<string, BirdwatcherSession> {
  const protocols = body.protocols ?? {}
  const entries: [string, BirdwatcherProtocol][] = Array.isArray(protocols)
    ? protocols.map((protocol, index) => [protocol.protocol ?? `#${index}`, protocol])
    : Object.entries(protocols)
  return new Map(
    entries.map(([name, protocol]) => [
      name,
      {
        name,
        peerIp: protocol.neighbor_address ?? null,
        peerAsn: parseAsn(protocol.neighbor_as),
        established: (protocol.bgp_state ?? protocol.state ?? '').toLowerCase() === ESTABLISHED || (protocol.state ?? '') === 'up',
      },
    ]),
  )
}

/** The routes to exactly `prefix`, one per session; a session's IP and AS come from /protocols/bgp when known. */
export function routesOfBirdwatcher(
  body: BirdwatcherRoutes,
  prefix: string,
  collector: string,
  sessions: ReadonlyMap<string, BirdwatcherSession>,
): BgpPeerRoute[] {
  const routes = new Map<string, BgpPeerRoute>()
  for (const route of body.routes ?? []) {
    if (route.network.toLowerCase() !== prefix.toLowerCase()) continue
    const normalised = routeOf(route, collector, sessions)
    if (normalised !== null && !routes.has(peerKey(normalised))) routes.set(peerKey(normalised), normalised)
  }
  return [...routes.values()]
}

function routeOf(
  route: z.output<typeof BirdwatcherRouteSchema>,
  collector: string,
  sessions: ReadonlyMap<string, BirdwatcherSession>,
): BgpPeerRoute | null {
  const session = route.from_protocol ? sessions.get(route.from_protocol) : undefined
  // BIRD leaves learnt_from empty for a directly connected peer: the first non-empty candidate names it.
  const peerIp = [session?.peerIp, route.learnt_from, route.gateway, route.from_protocol].find((candidate) => !!candidate) ?? null
  if (peerIp === null) return null
  const hops = parseAsPathHops(route.bgp?.as_path)
  const asPath = flattenAsPath(hops)
  return {
    collector,
    peerIp,
    peerAsn: session?.peerAsn ?? asPath[0] ?? null,
    asPath,
    originAsn: originOfHops(hops),
    communities: normaliseCommunities(route.bgp?.communities),
    largeCommunities: normaliseLargeCommunities(route.bgp?.large_communities),
    changedAt: parseDataTime(route.age),
  }
}

/** When birdwatcher (or its cache) ran birdc for this answer; null when it does not say. */
export function birdwatcherDataAt(body: { cached_at?: string | null | undefined; api?: z.output<typeof ApiInfoSchema> }): number | null {
  const cachedAt = body.api?.cache_status?.cached_at
  const apiDate = typeof cachedAt === 'string' ? cachedAt : cachedAt?.date
  const at = parseDataTime(body.cached_at) ?? parseDataTime(apiDate)
  // Go's zero time (0001-01-01) means "not from a cache": no time given.
  return at !== null && at > 0 ? at : null
}
