// The shapes the renderers read from the store, declared here because the core does not import ports:
// the store's Rollup, CatchmentChange and CatchmentEntry (ports/store.ts) fit them as they are.
import type { TransportName } from '../model.ts'
import type { AddressFamily } from '../paths.ts'

/** One (vantage, family, site, bucket) of rollups. */
export interface RollupRow {
  vantage: string
  /** null: rolled up before rollups were kept per family (both families). */
  family: AddressFamily | null
  /** null: queries without an answer. */
  site: string | null
  bucketStart: number
  count: number
  successes: number
  rttP50Ms: number | null
  rttP95Ms: number | null
}

/** A (vantage, family)'s site changed (null: no answer). */
export interface CatchmentChangeRow {
  vantage: string
  family: AddressFamily
  at: number
  from: string | null
  to: string | null
}

/** A (vantage, family)'s current site, since the first cycle that showed it. */
export interface CatchmentEntryRow {
  vantage: string
  family: AddressFamily
  site: string | null
  since: number
  /** Each transport's site while the transports disagree; null otherwise. */
  transports: Partial<Record<TransportName, string | null>> | null
}
