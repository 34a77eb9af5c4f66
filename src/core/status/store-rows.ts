// The shapes the renderers read from the store, declared here because the core does not import ports:
// the store's Rollup, CatchmentChange and CatchmentEntry (ports/store.ts) fit them as they are.

/** One (vantage, site, bucket) of rollups. */
export interface RollupRow {
  vantage: string
  /** null: queries without an answer. */
  site: string | null
  bucketStart: number
  count: number
  successes: number
  rttP50Ms: number | null
  rttP95Ms: number | null
}

/** A vantage's site changed (null: no answer). */
export interface CatchmentChangeRow {
  vantage: string
  at: number
  from: string | null
  to: string | null
}

/** A vantage's current site, since the first cycle that showed it. */
export interface CatchmentEntryRow {
  vantage: string
  site: string | null
  since: number
}
