// Retention on D1: old cycles in chunks (each chunk one batch: its observations, then the cycles), then
// old rollups, catchment changes, finished outbox items and resolved incidents in one batch.
import type { RetentionSettings } from '../../ports/store.ts'
import { prepared, preparedAll } from './d1-statements.ts'
import { DAY_MS } from './derive.ts'
import * as sql from './sqlite-sql.ts'

/** Cycles deleted per batch, with their observations: well within D1's 30 s per query. */
const PRUNE_CHUNK_CYCLES = 500

export async function pruneD1(db: D1Database, now: number, retention: RetentionSettings): Promise<void> {
  const cutoff = (days: number): number => now - days * DAY_MS
  for (;;) {
    const { results } = await prepared(db, {
      sql: sql.SELECT_OLD_CYCLE_IDS, params: [cutoff(retention.observationsDays), PRUNE_CHUNK_CYCLES],
    }).all<{ id: number }>()
    if (results.length === 0) break
    const ids = JSON.stringify(results.map((row) => row.id))
    await db.batch(preparedAll(db, [
      { sql: sql.DELETE_OBSERVATIONS_OF_CYCLES, params: [ids] },
      { sql: sql.DELETE_CYCLES, params: [ids] },
    ]))
  }
  const dailyCutoff = cutoff(retention.dailyRollupsDays)
  await db.batch(preparedAll(db, [
    { sql: sql.pruneRollupsSql(sql.ROLLUP_TABLES.hour), params: [cutoff(retention.hourlyRollupsDays)] },
    { sql: sql.pruneRollupsSql(sql.ROLLUP_TABLES.day), params: [dailyCutoff] },
    { sql: sql.PRUNE_CATCHMENT_CHANGES, params: [dailyCutoff] },
    { sql: sql.PRUNE_FINISHED_OUTBOX, params: [dailyCutoff] },
    { sql: sql.PRUNE_RESOLVED_INCIDENTS, params: [dailyCutoff] },
  ]))
}
