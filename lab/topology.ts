// The anycast lab as data: namespaces, links, addresses, ASNs, delays and the
// expected catchment. Everything else (daemon configs, the README diagram,
// the tests' expectations) is derived from this file. Pure data, no I/O.

export const NAMESPACE_PREFIX = 'aml-'
export const RUN_DIR = '/run/anycast-lab'

export const VIP4 = '198.51.100.53'
export const VIP6 = '2001:db8:53::53'
export const VIP4_PREFIX = `${VIP4}/32`
export const VIP6_PREFIX = `${VIP6}/128`
export const ZONE = 'example'

/** Every prefix the lab uses; `up` refuses to run if one overlaps a root-namespace route. */
export const LAB_PREFIXES = ['198.51.100.0/24', '2001:db8::/32', '10.53.0.0/16']

/** BGP timers (seconds) everywhere in the lab: failover in a few seconds. */
export const BGP_TIMERS = { holdSeconds: 3, keepaliveSeconds: 1, connectRetrySeconds: 1 }

export type SiteId = 's1' | 's2' | 's3'
export type RouterId = 'r1' | 'r2' | 'r3'
export type VantageId = 'v1' | 'v2' | 'v3'
export type NodeId = SiteId | RouterId | VantageId | 'col'

export type DnsKind = 'bind' | 'nsd' | 'knot'
export type BgpSpeaker = 'frr' | 'exabgp' | 'bird'

export interface Site {
  id: SiteId
  namespace: string
  asn: number
  /** BGP community (65000, n) that names the site. */
  community: [number, number]
  dns: DnsKind
  bgp: BgpSpeaker
  /** NSID (BIND: server-id) the site's DNS server answers with. */
  nsid: string
  router: RouterId
  description: string
}

export interface Router {
  id: RouterId
  namespace: string
  asn: number
  site: SiteId
  vantage: VantageId
  /** Local preference per neighbour router: the higher one is the failover path. */
  routerPreference: Partial<Record<RouterId, number>>
}

export interface Vantage {
  id: VantageId
  namespace: string
  router: RouterId
}

export interface Link {
  /** Short name, also used in interface names (`<name>-<end>`, max 15 chars). */
  name: string
  a: NodeId
  b: NodeId
  /** Addresses with prefix length, the A end first. */
  ipv4: [string, string]
  ipv6: [string, string]
  /**
   * One-way delay in ms, in each direction. Links with a delay are userspace
   * relays (lab/tap-relay.py via lab/relay-link.ts); the others are veth pairs.
   */
  delayMs?: number
}

export const COLLECTOR = { id: 'col' as const, namespace: `${NAMESPACE_PREFIX}col`, asn: 65200 }

/**
 * The lab's BGP feed (lab/bgp-feed): the collector's RIB and updates served as the RIPEstat Data API
 * and RIS Live serve RIS's, on loopback of the root namespace (it reads BIRD's control socket and log
 * files, no lab address). `rrc` is the collector's name in those answers, as RIS names its RRCs.
 */
export const BGP_FEED = { host: '127.0.0.1', port: 8179, rrc: 'RRCLAB', location: 'anycast lab (lab/topology.ts)' }



export const SITES: readonly Site[] = [
  {
    id: 's1',
    namespace: `${NAMESPACE_PREFIX}s1`,
    asn: 65001,
    community: [65000, 1],
    dns: 'bind',
    bgp: 'frr',
    nsid: 's1-bind',
    router: 'r1',
    description: 'BIND (server-id) announced by FRR with a network statement: the route stays while named is dead',
  },
  {
    id: 's2',
    namespace: `${NAMESPACE_PREFIX}s2`,
    asn: 65002,
    community: [65000, 2],
    dns: 'nsd',
    bgp: 'exabgp',
    nsid: 's2-nsd',
    router: 'r2',
    description: 'NSD (nsid) announced by ExaBGP driven by a health check: withdrawn while NSD does not answer',
  },
  {
    id: 's3',
    namespace: `${NAMESPACE_PREFIX}s3`,
    asn: 65003,
    community: [65000, 3],
    dns: 'knot',
    bgp: 'bird',
    nsid: 's3-knot',
    router: 'r3',
    description: 'Knot (nsid) announced by BIRD exporting the loopback /32 and /128',
  },
]

/** Route origin authorisations the feed's rpki-validation checks against: every site may originate the VIPs. */
export const LAB_ROAS: readonly { prefix: string; maxLength: number; asn: number }[] = SITES.flatMap(({ asn }) => [
  { prefix: '198.51.100.0/24', maxLength: 32, asn },
  { prefix: '2001:db8:53::/48', maxLength: 128, asn },
])

export const ROUTERS: readonly Router[] = [
  { id: 'r1', namespace: `${NAMESPACE_PREFIX}r1`, asn: 65101, site: 's1', vantage: 'v1', routerPreference: { r2: 150, r3: 100 } },
  { id: 'r2', namespace: `${NAMESPACE_PREFIX}r2`, asn: 65102, site: 's2', vantage: 'v2', routerPreference: { r3: 150, r1: 100 } },
  { id: 'r3', namespace: `${NAMESPACE_PREFIX}r3`, asn: 65103, site: 's3', vantage: 'v3', routerPreference: { r1: 150, r2: 100 } },
]

/** Local preference of routes learnt from the router's own site. */
export const SITE_LOCAL_PREF = 200

export const VANTAGES: readonly Vantage[] = [
  { id: 'v1', namespace: `${NAMESPACE_PREFIX}v1`, router: 'r1' },
  { id: 'v2', namespace: `${NAMESPACE_PREFIX}v2`, router: 'r2' },
  { id: 'v3', namespace: `${NAMESPACE_PREFIX}v3`, router: 'r3' },
]

// Link subnets: 10.53.<n>.0/24 and 2001:db8:ff:<n>::/64, the A end is .1 / ::1.
function subnet(n: number): Pick<Link, 'ipv4' | 'ipv6'> {
  return {
    ipv4: [`10.53.${n}.1/24`, `10.53.${n}.2/24`],
    ipv6: [`2001:db8:ff:${n}::1/64`, `2001:db8:ff:${n}::2/64`],
  }
}

export const LINKS: readonly Link[] = [
  // Access links of the vantages: their delay sets the steady-state RTT.
  { name: 'r1v1', a: 'r1', b: 'v1', ...subnet(11), delayMs: 5 },
  { name: 'r2v2', a: 'r2', b: 'v2', ...subnet(12), delayMs: 15 },
  { name: 'r3v3', a: 'r3', b: 'v3', ...subnet(13), delayMs: 30 },
  // Site uplinks: plain veth.
  { name: 'r1s1', a: 'r1', b: 's1', ...subnet(21) },
  { name: 'r2s2', a: 'r2', b: 's2', ...subnet(22) },
  { name: 'r3s3', a: 'r3', b: 's3', ...subnet(23) },
  // Inter-router ring, delayed so that a failover path is longer.
  { name: 'r1r2', a: 'r1', b: 'r2', ...subnet(31), delayMs: 20 },
  { name: 'r2r3', a: 'r2', b: 'r3', ...subnet(32), delayMs: 25 },
  { name: 'r3r1', a: 'r3', b: 'r1', ...subnet(33), delayMs: 35 },
  // Collector sessions (multihop-free, one link per router), plain veth.
  { name: 'cr1', a: 'col', b: 'r1', ...subnet(41) },
  { name: 'cr2', a: 'col', b: 'r2', ...subnet(42) },
  { name: 'cr3', a: 'col', b: 'r3', ...subnet(43) },
]

// ------------------------------------------------------------------ helpers

export function namespaceOf(node: NodeId): string {
  return `${NAMESPACE_PREFIX}${node}`
}

export function siteById(id: string): Site {
  const site = SITES.find((candidate) => candidate.id === id)
  if (!site) throw new Error(`unknown site ${JSON.stringify(id)} (one of ${SITES.map((s) => s.id).join(', ')})`)
  return site
}

export function routerById(id: string): Router {
  const router = ROUTERS.find((candidate) => candidate.id === id)
  if (!router) throw new Error(`unknown router ${JSON.stringify(id)}`)
  return router
}

export function vantageById(id: string): Vantage {
  const vantage = VANTAGES.find((candidate) => candidate.id === id)
  if (!vantage) throw new Error(`unknown vantage ${JSON.stringify(id)} (one of ${VANTAGES.map((v) => v.id).join(', ')})`)
  return vantage
}

export function siteByNsid(nsid: string): Site | undefined {
  return SITES.find((site) => site.nsid === nsid)
}

/** Interface name of `node`'s end of `link`. */
export function interfaceName(link: Link, node: NodeId): string {
  if (link.a !== node && link.b !== node) throw new Error(`${node} is not on link ${link.name}`)
  return `${link.name}-${node}`
}

export interface LinkEnd {
  link: Link
  node: NodeId
  peer: NodeId
  interface: string
  ipv4: string
  ipv6: string
  peerIpv4: string
  peerIpv6: string
}

const addressOnly = (cidr: string): string => cidr.split('/')[0] ?? cidr

/** The links of a node, seen from that node. */
export function linkEnds(node: NodeId): LinkEnd[] {
  return LINKS.filter((link) => link.a === node || link.b === node).map((link) => {
    const mine = link.a === node ? 0 : 1
    const theirs = 1 - mine
    return {
      link,
      node,
      peer: mine === 0 ? link.b : link.a,
      interface: interfaceName(link, node),
      ipv4: link.ipv4[mine] as string,
      ipv6: link.ipv6[mine] as string,
      peerIpv4: addressOnly(link.ipv4[theirs] as string),
      peerIpv6: addressOnly(link.ipv6[theirs] as string),
    }
  })
}

export function linkBetween(x: NodeId, y: NodeId): LinkEnd {
  const end = linkEnds(x).find((candidate) => candidate.peer === y)
  if (!end) throw new Error(`no link between ${x} and ${y}`)
  return end
}

export function oneWayDelayMs(x: NodeId, y: NodeId): number {
  return linkBetween(x, y).link.delayMs ?? 0
}

/** The router a router fails over to (highest local preference among its neighbours). */
export function failoverRouter(router: Router): RouterId {
  const ranked = Object.entries(router.routerPreference).sort((p, q) => (q[1] ?? 0) - (p[1] ?? 0))
  const best = ranked[0]
  if (!best) throw new Error(`router ${router.id} has no neighbour preference`)
  return best[0] as RouterId
}

export interface Catchment {
  vantage: VantageId
  site: SiteId
  /** Routers on the path, vantage side first. */
  routers: RouterId[]
  /** Round trip time from link delays alone (the relays' added latency). */
  rttMs: number
}

/** Where each vantage lands in steady state: the site behind its own router. */
export function steadyCatchment(vantage: Vantage): Catchment {
  const router = routerById(vantage.router)
  return {
    vantage: vantage.id,
    site: router.site,
    routers: [router.id],
    rttMs: 2 * oneWayDelayMs(vantage.id, router.id),
  }
}

/** Where a vantage lands when the site behind its own router is withdrawn. */
export function failoverCatchment(vantage: Vantage): Catchment {
  const router = routerById(vantage.router)
  const next = routerById(failoverRouter(router))
  return {
    vantage: vantage.id,
    site: next.site,
    routers: [router.id, next.id],
    rttMs: 2 * (oneWayDelayMs(vantage.id, router.id) + oneWayDelayMs(router.id, next.id)),
  }
}

export function vantageOfSite(site: Site): Vantage {
  const router = routerById(site.router)
  return vantageById(router.vantage)
}

/** All lab namespaces except the relays' (those are `${NAMESPACE_PREFIX}rly-<link>`). */
export function allNamespaces(): string[] {
  return [...SITES.map((s) => s.namespace), ...ROUTERS.map((r) => r.namespace), ...VANTAGES.map((v) => v.namespace), COLLECTOR.namespace]
}

export function relayNamespace(link: Link): string {
  return `${NAMESPACE_PREFIX}rly-${link.name}`
}
