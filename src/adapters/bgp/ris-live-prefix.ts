// What the RIS Live source keeps per subscribed prefix, and how it changes: each (collector, peer)'s
// route, started from the seed source after every (re)connect (RIS Live streams changes only) and
// re-read every resyncMs; the changes that arrive while a seed is read, replayed on top of it; and the
// recent update events, bounded by a window and a count.
import type { BgpSnapshot, BgpSourceResult, BgpUpdateEvent } from '../../core/bgp/model.ts'
import { recentEvents, seededRoutes, withRouteChange, type RouteTable } from '../../core/bgp/ris-live-state.ts'
import type { RisRouteChange } from '../../core/bgp/ris-live.ts'
import type { BgpSource } from '../../ports/bgp-source.ts'

export interface PrefixSettings {
  updatesWindowMs: number
  maxEventsPerPrefix: number
  /** Changes kept while a prefix waits for its seed; beyond this the oldest are dropped. */
  maxPendingChanges: number
  seedTimeoutMs: number
  /** A failed seed is retried no sooner than this. */
  seedRetryMs: number
  /** The seed is re-read this often, so that a change the stream missed does not last. */
  resyncMs: number
}

export interface PrefixState {
  /** As configured; matched case-insensitively. */
  prefix: string
  routes: RouteTable
  /** The seed of the current connection; null until it answered. */
  seed: { dataAt: number; collectors: string[]; seededAt: number } | null
  /** Routes came from a seed at least once (this connection or an earlier one): they can be shown as stale. */
  everSeeded: boolean
  /** Changes received while a seed is being read, replayed on top of it. */
  pending: RisRouteChange[]
  seeding: Promise<void> | null
  seedError: string | null
  seedFailedAt: number | null
  events: BgpUpdateEvent[]
}

export function newPrefixState(prefix: string): PrefixState {
  return { prefix, routes: new Map(), seed: null, everSeeded: false, pending: [], seeding: null, seedError: null, seedFailedAt: null, events: [] }
}

/** A new connection: what the stream said before may have missed changes, so the prefix waits for a new seed. */
export function resetForConnection(state: PrefixState): void {
  state.seed = null
  state.pending = []
  state.seeding = null
  state.seedFailedAt = null
}

export function recordChange(state: PrefixState, change: RisRouteChange, nowMs: number, settings: PrefixSettings): void {
  keepEvent(state, change.event, nowMs, settings)
  if (state.seed !== null) state.routes = withRouteChange(state.routes, change)
  if (state.seed === null || state.seeding !== null) {
    state.pending.push(change)
    if (state.pending.length > settings.maxPendingChanges) state.pending.shift()
  }
}

function keepEvent(state: PrefixState, event: BgpUpdateEvent, nowMs: number, settings: PrefixSettings): void {
  state.events.push(event)
  const fromMs = nowMs - settings.updatesWindowMs
  const oldest = state.events[0]
  if (state.events.length > settings.maxEventsPerPrefix || (oldest !== undefined && oldest.at < fromMs)) {
    state.events = recentEvents(state.events, fromMs, settings.maxEventsPerPrefix)
  }
}

/** No seed in flight, and either none yet or an old one, and the last failure (if any) is old enough. */
export function seedIsDue(state: PrefixState, nowMs: number, settings: PrefixSettings): boolean {
  if (state.seeding !== null) return false
  const retryDue = state.seedFailedAt === null || nowMs - state.seedFailedAt >= settings.seedRetryMs
  const resyncDue = state.seed === null || nowMs - state.seed.seededAt >= settings.resyncMs
  return retryDue && resyncDue
}

export interface SeedDeps {
  seed: BgpSource
  settings: PrefixSettings
  nowMs: () => number
  /** False once the connection the seed was started for is gone: its answer is then dropped. */
  isCurrent: () => boolean
  onSettled: () => void
}

export function startSeed(state: PrefixState, deps: SeedDeps): void {
  const signal = AbortSignal.timeout(deps.settings.seedTimeoutMs)
  state.seeding = deps.seed
    .snapshot(state.prefix, signal)
    .catch((error: unknown): BgpSourceResult => ({ kind: 'unavailable', source: deps.seed.name, prefix: state.prefix, reason: String(error) }))
    .then((result) => {
      if (deps.isCurrent()) settleSeed(state, result, deps.nowMs())
      deps.onSettled()
    })
}

function settleSeed(state: PrefixState, result: BgpSourceResult, nowMs: number): void {
  state.seeding = null
  if (result.kind === 'snapshot') return applySeed(state, result.snapshot, nowMs)
  state.seedError = `${result.source} is ${result.kind}: ${result.reason}`
  state.seedFailedAt = nowMs
  if (state.seed !== null) state.pending = []
}

function applySeed(state: PrefixState, seed: BgpSnapshot, nowMs: number): void {
  state.routes = seededRoutes(seed, state.pending)
  state.pending = []
  state.seed = { dataAt: seed.dataAt, collectors: seed.collectors, seededAt: nowMs }
  state.everSeeded = true
  state.seedError = null
}
