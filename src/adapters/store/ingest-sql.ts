// The ingest inbox's statements (migrations/0003_ingest.sql), shared by the SQLite and D1 stores, and its
// row mappings. Each operation is one statement, so each is atomic on both without a transaction:
// - a batch goes in as one INSERT ... SELECT over json_each(?): one bound parameter whatever the batch
//   size (D1 allows 100 per statement), ON CONFLICT DO NOTHING on the natural key (the primary key);
// - a cycle takes its observations with one UPDATE ... RETURNING, so two cycles never take the same row;
// - a nonce is remembered by one upsert that only replaces an expired use.
import type { Observation } from '../../core/model.ts'
import type { IngestedObservation } from '../../ports/store.ts'
import { observationFromRow, observationParams, type ObservationRow, type SqlValue } from './sqlite-rows.ts'
import { OBSERVATION_COLUMNS, OBSERVATION_PARAMS } from './sqlite-sql.ts'

/** One row per element of the JSON array parameter; each element is [...observationParams, receivedAt]. */
export const INSERT_INGESTED = `INSERT INTO ingested_observations (${OBSERVATION_COLUMNS}, received_at)
  SELECT ${Array.from({ length: OBSERVATION_PARAMS + 1 }, (_, index) => `json_extract(value, '$[${index}]')`).join(', ')}
  FROM json_each(?) WHERE true
  ON CONFLICT (vantage, target, address, transport, observed_at) DO NOTHING`

/** Parameters: cycle start, vantage, cycle start (observed before it), cycle start (taken by it already). */
export const TAKE_INGESTED = `UPDATE ingested_observations SET cycle_started_at = ?
  WHERE vantage = ? AND observed_at < ? AND (cycle_started_at IS NULL OR cycle_started_at = ?)
  RETURNING ${OBSERVATION_COLUMNS}`

export const SELECT_INGESTED = `SELECT ${OBSERVATION_COLUMNS}, received_at, cycle_started_at FROM ingested_observations
  WHERE vantage = ? AND observed_at >= ? AND observed_at < ?
  ORDER BY observed_at, target, address, transport LIMIT ?`

/** Parameters: vantage, nonce, expires_at, now. Changes one row when the nonce was new or its last use expired. */
export const REMEMBER_NONCE = `INSERT INTO ingest_nonces (vantage, nonce, expires_at) VALUES (?, ?, ?)
  ON CONFLICT (vantage, nonce) DO UPDATE SET expires_at = excluded.expires_at WHERE ingest_nonces.expires_at <= ?`

export const PRUNE_INGESTED = 'DELETE FROM ingested_observations WHERE observed_at < ?'
export const PRUNE_NONCES = 'DELETE FROM ingest_nonces WHERE expires_at <= ?'

export interface IngestedRow extends ObservationRow {
  received_at: number
  cycle_started_at: number | null
}

/** INSERT_INGESTED's one parameter. */
export function ingestedRowsJson(observations: readonly Observation[], receivedAt: number): string {
  return JSON.stringify(observations.map((observation): SqlValue[] => [...observationParams(observation), receivedAt]))
}

export function ingestedFromRow(row: IngestedRow): IngestedObservation {
  return { observation: observationFromRow(row), receivedAt: row.received_at, cycleStartedAt: row.cycle_started_at }
}

/** RETURNING gives rows in no promised order: takeIngested's order. */
export function inTakeOrder(rows: readonly ObservationRow[]): Observation[] {
  return rows.map(observationFromRow).sort(compareIngested)
}

export function compareIngested(a: Observation, b: Observation): number {
  return a.observedAt - b.observedAt || compare(a.target, b.target) || compare(a.address, b.address) || compare(a.transport, b.transport)
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
