// The lab's route collector as data: its RIB (`birdc show route in PREFIX all`), its BGP sessions
// (`birdc show protocols`) and its update log (bird.log: one UPDATE line per received announcement,
// printed by the import filter, and one `removed` line per withdrawal, from `debug { routes }`).
// Pure parsers; lab.ts and lab/bgp-feed run birdc and read the log. Each session is named
// `<router>_<v4|v6>` (lab/render/bird.ts), which is how a route is tied to its peer's address and AS.
import { COLLECTOR, ROUTERS, linkBetween, type RouterId } from './topology.ts'

export type AddressFamily = 'v4' | 'v6'

export interface CollectorPeer {
  protocol: string
  router: RouterId
  family: AddressFamily
  ip: string
  asn: number
}

export interface CollectorRoute {
  prefix: string
  protocol: string
  peerRouter: string
  /** null when the session name is not one of the lab's. */
  peerIp: string | null
  peerAsn: number | null
  best: boolean
  asPath: number[]
  communities: string[]
  /** BIRD's route origin attribute: 'IGP', 'EGP' or 'Incomplete'. */
  origin: string | null
  nextHop: string | null
  /** As BIRD printed it (local time, no zone). */
  since: string
  sinceMs: number | null
}

export interface CollectorSession {
  protocol: string
  peer: CollectorPeer | null
  established: boolean
}

export interface CollectorEvent {
  /** As BIRD printed it (local time, no zone). */
  time: string
  at: number | null
  protocol: string
  peerRouter: string
  kind: 'update' | 'withdraw'
  prefix: string
  asPath: number[]
  communities: string[]
}

/** The router behind a collector session name ('r2_v6'), with the address and AS it peers from. */
export function collectorPeer(protocol: string): CollectorPeer | null {
  const match = /^(r\d+)_(v4|v6)$/.exec(protocol)
  const router = ROUTERS.find((candidate) => candidate.id === match?.[1])
  if (match === null || router === undefined) return null
  const family = match[2] as AddressFamily
  const end = linkBetween(COLLECTOR.id, router.id)
  return { protocol, router: router.id, family, ip: family === 'v4' ? end.peerIpv4 : end.peerIpv6, asn: router.asn }
}

/** BIRD prints local time without a zone ('2026-11-22 05:54:06' or with '.123'); read it as local time. */
export function birdTimeMs(text: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(text.trim())
  if (match === null) return null
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const ms = Math.round(Number(`0.${match[7] ?? '0'}`) * 1000)
  const value = new Date(year, month - 1, day, hour, minute, second, ms).getTime()
  return Number.isNaN(value) ? null : value
}

const communitiesOf = (text: string): string[] => [...text.matchAll(/\((\d+),\s*(\d+)\)/g)].map((m) => `${m[1]}:${m[2]}`)
const pathOf = (text: string): number[] => text.trim().split(/\s+/).filter(Boolean).map(Number)

/** `birdc show route [in PREFIX] all`: one route per (net, session); a net's later routes start with blanks. */
export function parseBirdRoutes(text: string): CollectorRoute[] {
  const routes: CollectorRoute[] = []
  let net = ''
  let current: CollectorRoute | undefined
  for (const line of text.split('\n')) {
    const head = /^(\S+)?\s+(?:unicast|blackhole|unreachable)\s+\[(\S+)\s+([^\]]*?)(?:\s+from\s+\S+)?\]\s+(\*?)/.exec(line)
    if (head) {
      net = head[1] ?? net
      const protocol = head[2]!
      const peer = collectorPeer(protocol)
      const since = head[3]!.trim()
      current = {
        prefix: net,
        protocol,
        peerRouter: protocol.split('_')[0]!,
        peerIp: peer?.ip ?? null,
        peerAsn: peer?.asn ?? null,
        best: head[4] === '*',
        asPath: [],
        communities: [],
        origin: null,
        nextHop: null,
        since,
        sinceMs: birdTimeMs(since),
      }
      routes.push(current)
      continue
    }
    if (!current) continue
    const attribute = /^\s+BGP\.(as_path|community|origin|next_hop):\s*(.*)$/.exec(line)
    if (attribute === null) continue
    const value = attribute[2]!.trim()
    if (attribute[1] === 'as_path') current.asPath = pathOf(value)
    else if (attribute[1] === 'community') current.communities = communitiesOf(value)
    else if (attribute[1] === 'origin') current.origin = value
    else current.nextHop = value.split(/\s+/)[0] ?? null
  }
  return routes
}

/** `birdc show protocols`: the collector's BGP sessions and whether each is established. */
export function parseBirdProtocols(text: string): CollectorSession[] {
  return text.split('\n').flatMap((line) => {
    const match = /^(\S+)\s+BGP\s+\S+\s+(\S+)\s+\S+ \S+\s*(.*)$/.exec(line)
    if (match === null) return []
    return [{ protocol: match[1]!, peer: collectorPeer(match[1]!), established: match[2] === 'up' && /Established/.test(match[3]!) }]
  })
}

/** The collector's bird.log, in order: 'update' per received announcement, 'withdraw' per removed route. */
export function parseCollectorLog(text: string): CollectorEvent[] {
  const events: CollectorEvent[] = []
  for (const line of text.split('\n')) {
    const time = /^(\d{4}-\d{2}-\d{2} [\d:.]+)/.exec(line)?.[1] ?? ''
    const update = /UPDATE (\S+) (\S+) as-path \(path ([\d ]*)\) communities \(clist ?(.*)\)\s*$/.exec(line)
    if (update) {
      const protocol = update[1]!
      events.push({ time, at: birdTimeMs(time), protocol, peerRouter: protocol.split('_')[0]!, kind: 'update', prefix: update[2]!, asPath: pathOf(update[3]!), communities: communitiesOf(update[4]!) })
      continue
    }
    const removed = /\s(\S+?)\.ipv[46] > removed \S* ?(\S+\/\d+)/.exec(line)
    if (removed) {
      const protocol = removed[1]!
      events.push({ time, at: birdTimeMs(time), protocol, peerRouter: protocol.split('_')[0]!, kind: 'withdraw', prefix: removed[2]!, asPath: [], communities: [] })
    }
  }
  return events
}
