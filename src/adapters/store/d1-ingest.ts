// The D1 store's ingest inbox and nonces: each operation is one statement of ingest-sql.ts, which D1 runs
// as one transaction, so a batch is stored whole and once, and a row is taken by one cycle only.
import type { Observation } from '../../core/model.ts'
import type { IngestedObservation, RetentionSettings } from '../../ports/store.ts'
import { prepared, preparedAll } from './d1-statements.ts'
import { DAY_MS } from './derive.ts'
import {
  INSERT_INGESTED, PRUNE_INGESTED, PRUNE_NONCES, REMEMBER_NONCE, SELECT_INGESTED, TAKE_INGESTED,
  inTakeOrder, ingestedFromRow, ingestedRowsJson, type IngestedRow,
} from './ingest-sql.ts'
import type { ObservationRow } from './sqlite-rows.ts'
import { NO_LIMIT } from './sqlite-sql.ts'

export async function rememberNonceInD1(db: D1Database, vantage: string, nonce: string, now: number, expiresAt: number): Promise<boolean> {
  const result = await prepared(db, { sql: REMEMBER_NONCE, params: [vantage, nonce, expiresAt, now] }).run()
  return result.meta.changes === 1
}

export async function ingestIntoD1(db: D1Database, observations: readonly Observation[], receivedAt: number): Promise<{ stored: number }> {
  const result = await prepared(db, { sql: INSERT_INGESTED, params: [ingestedRowsJson(observations, receivedAt)] }).run()
  return { stored: result.meta.changes }
}

export async function takeIngestedFromD1(db: D1Database, vantage: string, cycleStartedAt: number): Promise<Observation[]> {
  const { results } = await prepared(db, {
    sql: TAKE_INGESTED, params: [cycleStartedAt, vantage, cycleStartedAt, cycleStartedAt],
  }).all<ObservationRow>()
  return inTakeOrder(results)
}

export async function ingestedFromD1(
  db: D1Database,
  q: { vantage: string; since: number; until: number; limit?: number },
): Promise<IngestedObservation[]> {
  const { results } = await prepared(db, { sql: SELECT_INGESTED, params: [q.vantage, q.since, q.until, q.limit ?? NO_LIMIT] }).all<IngestedRow>()
  return results.map(ingestedFromRow)
}

export async function pruneIngestInD1(db: D1Database, now: number, retention: RetentionSettings): Promise<void> {
  await db.batch(preparedAll(db, [
    { sql: PRUNE_INGESTED, params: [now - retention.observationsDays * DAY_MS] },
    { sql: PRUNE_NONCES, params: [now] },
  ]))
}
