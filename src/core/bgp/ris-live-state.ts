// What a RIS Live source knows about one prefix: each (collector, peer)'s current route and the recent
// update events. RIS Live streams changes only, so the routes start from a RIB seed (the RIPEstat
// looking glass) read after subscribing, and the stream keeps them current. Pure: the adapter holds
// the state and the clock.
import { compareText } from '../catchment.ts'
import { peerKey, totalsOf, type BgpPeerRoute, type BgpSnapshot, type BgpUpdateEvent } from './model.ts'
import type { RisRouteChange } from './ris-live.ts'

export type RouteTable = ReadonlyMap<string, BgpPeerRoute>

/** The table after one change: the peer's route replaced, or gone after a withdrawal. */
export function withRouteChange(routes: RouteTable, change: RisRouteChange): Map<string, BgpPeerRoute> {
  const next = new Map(routes)
  const key = peerKey(change.event)
  if (change.route === null) next.delete(key)
  else next.set(key, change.route)
  return next
}

/**
 * The seed's routes, then the changes received since subscribing that are not older than the seed's
 * data (an older change is already in the seed, or was overtaken by what the seed shows).
 */
export function seededRoutes(seed: Pick<BgpSnapshot, 'routes' | 'dataAt'>, changes: readonly RisRouteChange[]): Map<string, BgpPeerRoute> {
  const start = new Map(seed.routes.map((route): [string, BgpPeerRoute] => [peerKey(route), route]))
  return changes.filter((change) => change.event.at >= seed.dataAt).reduce<Map<string, BgpPeerRoute>>(withRouteChange, start)
}

/** The events at or after fromMs, at most the newest maxEvents, oldest first. */
export function recentEvents(events: readonly BgpUpdateEvent[], fromMs: number, maxEvents: number): BgpUpdateEvent[] {
  const recent = events.filter((event) => event.at >= fromMs)
  return recent.slice(Math.max(0, recent.length - maxEvents))
}

export interface RisSnapshotInput {
  source: string
  prefix: string
  fetchedAt: number
  /** When the feed was last heard from (any frame, a pong included): the state is current up to then. */
  dataAt: number
  /** The collectors the seed answered for; RIS Live adds those its updates come from. */
  seedCollectors: readonly string[]
  routes: RouteTable
  events: readonly BgpUpdateEvent[]
  /** Start of the span the events cover (the window, or the first connection if later). */
  eventsFrom: number
}

/** The state as a snapshot. RIS Live has no RPKI view and no dump figures. */
export function risLiveSnapshot(input: RisSnapshotInput): BgpSnapshot {
  const routes = [...input.routes.values()].sort((a, b) => compareText(peerKey(a), peerKey(b)))
  return {
    source: input.source,
    prefix: input.prefix,
    fetchedAt: input.fetchedAt,
    dataAt: input.dataAt,
    collectors: [...new Set([...input.seedCollectors, ...routes.map((route) => route.collector)])].sort(compareText),
    routes,
    totals: totalsOf(routes, null),
    dumpVisibility: null,
    updates: { from: input.eventsFrom, until: input.fetchedAt, events: input.events.filter((event) => event.prefix === input.prefix) },
    rpki: null,
    gaps: [{ part: 'rpki', reason: `${input.source} has no RPKI view` }],
  }
}
