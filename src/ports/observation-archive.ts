import type { Observation, Outcome, TransportName } from '../core/model.ts'

/** An observation the archive refused; the rest of its batch was kept. */
export interface ArchiveRejection {
  /** Position of the observation in the batch given to archive(). */
  index: number
  /** The archive's own words (a conflicting duplicate, a time outside what it accepts, ...). */
  reason: string
}

export interface ArchiveReceipt {
  /** Observations the archive holds after the call (an identical one sent again counts). */
  written: number
  rejected: ArchiveRejection[]
}

/** RTT of one vantage's ok answers in one time bucket. */
export interface RttBucket {
  vantage: string
  /** Epoch ms of the bucket's start; buckets are aligned on multiples of their length since the epoch (UTC). */
  bucketStart: number
  /** ok observations with an RTT in the bucket. */
  samples: number
  /** Percentiles of those RTTs; approximate where the archive says so (Timestream's approx_percentile). */
  p50Ms: number
  p95Ms: number
}

/** One vantage's probes of a target during one UTC day. */
export interface UptimeDay {
  vantage: string
  /** Epoch ms of 00:00 UTC. */
  dayStart: number
  probes: number
  /** Probes with outcome ok. */
  ok: number
}

/** The newest archived observation of one (vantage, address, transport). */
export interface LatestObservation {
  vantage: string
  address: string
  transport: TransportName
  observedAt: number
  outcome: Outcome
  rcode: number | null
  rttMs: number | null
  /** null when the probe got no answer, so no site. */
  site: string | null
}

/**
 * Long-term time-series storage of observations, beside the monitor's store: every cycle's observations
 * go in, and the status page and API read RTT series, daily uptime and the latest state back. Ranges are
 * [from, until) in epoch ms; results are ordered by time, then vantage (latest: vantage, address,
 * transport). A call that cannot reach the archive, after the adapter's own retries, rejects with an
 * error naming the adapter.
 */
export interface ObservationArchive {
  /** 'timestream', 'memory': used in errors and logs. */
  readonly name: string
  archive(observations: readonly Observation[]): Promise<ArchiveReceipt>
  /** bucketMs is a whole number of seconds. */
  rttSeries(query: { target: string; from: number; until: number; bucketMs: number }): Promise<RttBucket[]>
  uptime(query: { target: string; from: number; until: number }): Promise<UptimeDay[]>
  latest(query: { target: string; since: number }): Promise<LatestObservation[]>
  close(): Promise<void>
}
