import type { CycleRecord, Incident, Notification } from '../core/findings.ts'
import type { Observation } from '../core/model.ts'

export type RollupGranularity = 'hour' | 'day'

/** Per (target, vantage, site, bucket): what the status page and latency detectors read instead of raw rows. */
export interface Rollup {
  target: string
  vantage: string
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

/** The incident policy's state for one target, stored as an opaque document with a version. */
export interface StoredPolicyState {
  /** 0 when nothing was stored yet. */
  version: number
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
  attempts: number
  /** Epoch ms before which the item is not tried (backoff, Retry-After, a lease held by a sender). */
  nextAttemptAt: number
  lastError: string | null
}

export type DeliveryResult =
  | { kind: 'delivered'; at: number; detail: string }
  | { kind: 'retry'; at: number; nextAttemptAt: number; error: string }
  | { kind: 'failed'; at: number; error: string }

export interface RetentionSettings {
  observationsDays: number
  hourlyRollupsDays: number
  dailyRollupsDays: number
}

/**
 * Everything the monitor persists. Writes are idempotent (a cycle written twice is stored once, an
 * outbox item enqueued twice is delivered once), so a restart loses nothing and repeats nothing.
 */
export interface MonitorStore {
  /** 'sqlite', 'memory', 'd1', ... used in errors and logs. */
  readonly name: string
  /** Stores the cycle's observations and updates the rollups; a cycleId seen before is ignored. */
  writeCycle(cycle: CycleRecord): Promise<void>
  /** The newest `limit` cycles of a target, oldest first (what detectors read). */
  recentCycles(target: string, limit: number): Promise<CycleRecord[]>
  /** Observations of a target in [since, until), oldest first, at most `limit`. */
  observations(query: { target: string; since: number; until: number; vantage?: string; limit?: number }): Promise<Observation[]>
  rollups(query: { target: string; granularity: RollupGranularity; since: number; until: number }): Promise<Rollup[]>

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
  incidents(query: { target?: string; status?: Incident['status']; limit?: number }): Promise<Incident[]>

  /** Pending items due at `now`, leased to the caller until now + leaseMs so no other sender takes them. */
  claimDueDeliveries(now: number, limit: number, leaseMs: number): Promise<OutboxItem[]>
  recordDelivery(id: string, result: DeliveryResult): Promise<void>
  outbox(query: { status?: DeliveryStatus; limit?: number }): Promise<OutboxItem[]>

  prune(now: number, retention: RetentionSettings): Promise<void>
  close(): Promise<void>
}
