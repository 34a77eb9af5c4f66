import type { StoredBgpView } from '../core/bgp/source-view.ts'
import type { CycleRecord, Incident, Notification } from '../core/findings.ts'
import type { Observation, TransportName } from '../core/model.ts'
import type { AddressFamily } from '../core/paths.ts'

export type RollupGranularity = 'hour' | 'day'

/** Per (target, vantage, family, site, bucket): what the status page and latency detectors read instead of raw rows. */
export interface Rollup {
  target: string
  vantage: string
  /**
   * The address family of the observations (IPv4 and IPv6 are routed apart, so their RTTs differ); null
   * for buckets rolled up before rollups were kept per family (migration 0004): both families together.
   */
  family: AddressFamily | null
  /** Resolved site, 'unknown' for an unmatched identity, or null for probes that got no answer. */
  site: string | null
  granularity: RollupGranularity
  /** Epoch ms of the bucket's start (UTC hour or day). */
  bucketStart: number
  count: number
  /** Observations with outcome ok. */
  successes: number
  rttMinMs: number | null
  rttP50Ms: number | null
  rttP95Ms: number | null
  rttMaxMs: number | null
}

/**
 * Where a vantage's queries to a target land, per address family (IPv4 and IPv6 are routed apart: their
 * own BGP sessions and best paths). The site of a (vantage, family) in a cycle is the most common site of
 * its ok observations over that family's addresses, or of its other answers (refused, servfail, ...)
 * when none was ok (ties: the alphabetically first; 'unknown' for an answer without a site); null when
 * none of its queries got an answer. A (vantage, family) missing from a cycle keeps its site.
 */
export interface CatchmentEntry {
  target: string
  vantage: string
  family: AddressFamily
  site: string | null
  /** startedAt of the first cycle with this site. */
  since: number
  /**
   * The site of each transport (by the same rule) when the transports disagreed in the latest cycle that
   * had this family, e.g. { udp: 'ams1', tcp: 'fra1' }; null when they agreed or only one was probed.
   */
  transports: Partial<Record<TransportName, string | null>> | null
}

/** A (vantage, family)'s site differs from its site in the previous cycle it reported that family in. */
export interface CatchmentChange {
  target: string
  vantage: string
  family: AddressFamily
  /** startedAt of the cycle that showed the new site. */
  at: number
  from: string | null
  to: string | null
}

export interface CatchmentChangesQuery {
  target: string
  since: number
  until: number
  vantage?: string
  family?: AddressFamily
  limit?: number
}

/** The incident policy's state for one target, stored as an opaque document with a version. */
export interface StoredPolicyState {
  /** 0 when nothing was stored yet. */
  version: number
  /** null when nothing was stored yet; otherwise what was saved, as a JSON round trip gives it back. */
  state: unknown
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed'

/** One notification to one alert route, as the outbox keeps it. */
export interface OutboxItem {
  /** `${notification.id}|${route}`: a second enqueue of the same item is ignored. */
  id: string
  route: string
  notification: Notification
  status: DeliveryStatus
  /** Claims so far, this one included: a claim counts as an attempt whether or not its result is recorded. */
  attempts: number
  /** Epoch ms before which the item is not tried (backoff, Retry-After, a lease held by a sender). */
  nextAttemptAt: number
  lastError: string | null
}

export type DeliveryResult =
  | { kind: 'delivered'; at: number; detail: string }
  | { kind: 'retry'; at: number; nextAttemptAt: number; error: string }
  | { kind: 'failed'; at: number; error: string }

/**
 * How long rows are kept, counted back from `now`: observations (with their cycles), hourly and daily
 * rollups by bucket start. Catchment changes, delivered or failed outbox items and resolved incidents
 * follow the daily rollups (the longest history the status page shows).
 */
export interface RetentionSettings {
  observationsDays: number
  hourlyRollupsDays: number
  dailyRollupsDays: number
}

/** An observation a remote vantage pushed, as the ingest inbox keeps it. */
export interface IngestedObservation {
  observation: Observation
  /** When the monitor accepted it (epoch ms). */
  receivedAt: number
  /** startedAt of the cycle that took it; null until a cycle takes it. */
  cycleStartedAt: number | null
}

/**
 * Everything the monitor persists. Writes are idempotent (a cycle written twice is stored once, an
 * outbox item enqueued twice is delivered once), so a restart loses nothing and repeats nothing.
 */
export interface MonitorStore {
  /** 'sqlite', 'memory', 'd1', ... used in errors and logs. */
  readonly name: string
  /**
   * Stores the cycle's observations and updates the rollups and the catchment, in one transaction; a
   * cycleId seen before is ignored. A cycle older than the target's latest stored one is stored and
   * rolled up but does not change the catchment.
   */
  writeCycle(cycle: CycleRecord): Promise<void>
  /** The newest `limit` cycles of a target, oldest first (what detectors read). */
  recentCycles(target: string, limit: number): Promise<CycleRecord[]>
  /** Observations of a target in [since, until), oldest first, at most `limit`. */
  observations(query: { target: string; since: number; until: number; vantage?: string; limit?: number }): Promise<Observation[]>
  /**
   * Rollups whose bucket starts in [since, until), ordered by bucketStart, vantage, family (null first),
   * site (null first).
   * RTT figures are over the successes; p50/p95 are nearest-rank values, exact or within the store's
   * documented tolerance (sqlite and d1: 2% + 0.01 ms); min and max are exact.
   */
  rollups(query: { target: string; granularity: RollupGranularity; since: number; until: number }): Promise<Rollup[]>
  /** The current site of every (target, vantage, family) seen, ordered by target, vantage, family. */
  catchment(query: { target?: string }): Promise<CatchmentEntry[]>
  /** Catchment changes of a target in [since, until), oldest first (then by vantage, family), at most `limit`. */
  catchmentChanges(query: CatchmentChangesQuery): Promise<CatchmentChange[]>

  loadPolicyState(target: string): Promise<StoredPolicyState>
  /**
   * Saves the policy's new state, the incidents it touched and the notifications it produced, in one
   * transaction, only if the stored version is still `expectedVersion`; returns false otherwise, so that
   * two overlapping runs cannot both act on the same state (and never both page).
   */
  savePolicyState(
    target: string,
    expectedVersion: number,
    state: unknown,
    incidents: readonly Incident[],
    outbox: readonly { route: string; notification: Notification }[],
  ): Promise<boolean>
  /** Stored incidents, newest opened first (then by key), at most `limit`. */
  incidents(query: { target?: string; status?: Incident['status']; limit?: number }): Promise<Incident[]>

  /** Pending items due at `now`, leased to the caller until now + leaseMs so no other sender takes them. */
  claimDueDeliveries(now: number, limit: number, leaseMs: number): Promise<OutboxItem[]>
  /** Applies to a pending item only: a result for an unknown, delivered or failed item changes nothing. */
  recordDelivery(id: string, result: DeliveryResult): Promise<void>
  /** Outbox items in the order they were enqueued, at most `limit`. */
  outbox(query: { status?: DeliveryStatus; limit?: number }): Promise<OutboxItem[]>

  /**
   * Keeps the target's latest BGP view (one per target, as a JSON document): it replaces the stored one
   * unless that one was checked later (an older cycle finishing late changes nothing).
   */
  saveBgpView(target: string, view: StoredBgpView): Promise<void>
  /** The target's latest saved BGP view, as a JSON round trip gives it back; null when none was saved. */
  bgpView(target: string): Promise<StoredBgpView | null>

  /**
   * Remembers a vantage's request nonce until `expiresAt` (epoch ms), atomically: true when it was new,
   * false while an earlier use is still remembered (a replay). A use whose expiry has passed is forgotten.
   */
  rememberNonce(vantage: string, nonce: string, now: number, expiresAt: number): Promise<boolean>
  /**
   * Adds pushed observations to the ingest inbox, each once per natural key (vantage, target, address,
   * transport, observedAt), atomically: of a batch stored twice, or by two writers at once, one copy stays.
   * Returns how many were new.
   */
  ingestObservations(observations: readonly Observation[], receivedAt: number): Promise<{ stored: number }>
  /**
   * Hands the cycle starting at `cycleStartedAt` the vantage's inbox observations made before that time
   * that no other cycle took, and marks them taken by it, atomically: an observation goes to one cycle only.
   * Asking again for the same cycle gives its observations again (and any that arrived since). Oldest
   * first (then by target, address, transport).
   */
  takeIngested(vantage: string, cycleStartedAt: number): Promise<Observation[]>
  /** The vantage's inbox observations made in [since, until), in takeIngested's order, at most `limit`. */
  ingestedObservations(query: { vantage: string; since: number; until: number; limit?: number }): Promise<IngestedObservation[]>

  /** Also drops inbox observations older than the observations' retention, and nonces expired at `now`. */
  prune(now: number, retention: RetentionSettings): Promise<void>
  close(): Promise<void>
}
