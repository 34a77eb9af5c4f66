// The SQLite store's ingest inbox and nonces: ingest-sql.ts's single statements, prepared once.
import type Database from 'better-sqlite3'
import type { Observation } from '../../core/model.ts'
import type { IngestedObservation, RetentionSettings } from '../../ports/store.ts'
import { DAY_MS } from './derive.ts'
import {
  INSERT_INGESTED, PRUNE_INGESTED, PRUNE_NONCES, REMEMBER_NONCE, SELECT_INGESTED, TAKE_INGESTED,
  inTakeOrder, ingestedFromRow, ingestedRowsJson, type IngestedRow,
} from './ingest-sql.ts'
import type { ObservationRow } from './sqlite-rows.ts'
import { NO_LIMIT } from './sqlite-sql.ts'

/** The inbox operations, synchronous; the store runs them through its own error guard. */
export interface SqliteIngest {
  rememberNonce(vantage: string, nonce: string, now: number, expiresAt: number): boolean
  ingestObservations(observations: readonly Observation[], receivedAt: number): { stored: number }
  takeIngested(vantage: string, cycleStartedAt: number): Observation[]
  ingestedObservations(query: { vantage: string; since: number; until: number; limit?: number }): IngestedObservation[]
  prune(now: number, retention: RetentionSettings): void
}

export function createSqliteIngest(db: Database.Database): SqliteIngest {
  const insert = db.prepare(INSERT_INGESTED)
  const take = db.prepare(TAKE_INGESTED)
  const select = db.prepare(SELECT_INGESTED)
  const remember = db.prepare(REMEMBER_NONCE)
  const pruneIngested = db.prepare(PRUNE_INGESTED)
  const pruneNonces = db.prepare(PRUNE_NONCES)
  return {
    rememberNonce: (vantage, nonce, now, expiresAt) => remember.run(vantage, nonce, expiresAt, now).changes === 1,
    ingestObservations: (observations, receivedAt) => ({ stored: insert.run(ingestedRowsJson(observations, receivedAt)).changes }),
    takeIngested: (vantage, cycleStartedAt) =>
      inTakeOrder(take.all(cycleStartedAt, vantage, cycleStartedAt, cycleStartedAt) as ObservationRow[]),
    ingestedObservations: (q) =>
      (select.all(q.vantage, q.since, q.until, q.limit ?? NO_LIMIT) as IngestedRow[]).map(ingestedFromRow),
    prune: (now, retention) => db.transaction(() => {
      pruneIngested.run(now - retention.observationsDays * DAY_MS)
      pruneNonces.run(now)
    }).immediate(),
  }
}
