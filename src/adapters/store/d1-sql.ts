// What the D1 store runs beyond the shared statements of sqlite-sql.ts: the cycle insert that fails on a
// duplicate, observations that find their cycle by cycle_id, the policy version guard, and multi-row
// inserts cut to D1's limit of bound parameters per statement.
import type { RollupGranularity } from '../../ports/store.ts'
import type { SqlValue } from './sqlite-rows.ts'
import {
  OBSERVATION_INSERT, OBSERVATION_PARAMS, ROLLUP_TABLES, insertRowsSql, parametersPerRow, rollupUpsert, type RowInsert,
} from './sqlite-sql.ts'

/** A statement's SQL and the values of its `?` parameters, in order. */
export interface SqlStatement {
  sql: string
  params: SqlValue[]
}

/** D1 refuses a statement with more bound parameters (https://developers.cloudflare.com/d1/platform/limits/). */
export const D1_MAX_BOUND_PARAMETERS = 100

export const SELECT_CYCLE_STORED = 'SELECT 1 AS stored FROM cycles WHERE cycle_id = ?'
/** No ON CONFLICT: a cycle stored meanwhile fails this statement, and the batch it opens writes nothing. */
export const INSERT_NEW_CYCLE = 'INSERT INTO cycles (cycle_id, target, started_at, missing_vantages) VALUES (?, ?, ?, ?)'
/** A row is the cycle's cycle_id and observationParams: in a batch, the cycle's rowid is not known yet. */
export const OBSERVATION_OF_CYCLE_INSERT: RowInsert = {
  ...OBSERVATION_INSERT,
  row: `((SELECT id FROM cycles WHERE cycle_id = ?), ${Array.from({ length: OBSERVATION_PARAMS }, () => '?').join(', ')})`,
}

export const ROLLUP_UPSERTS: Record<RollupGranularity, RowInsert> = {
  hour: rollupUpsert(ROLLUP_TABLES.hour),
  day: rollupUpsert(ROLLUP_TABLES.day),
}

/** True while the target's stored policy version (0 without a row) is the expected one. Parameters: target, version. */
export const POLICY_VERSION_IS = 'coalesce((SELECT version FROM policy_state WHERE target = ?), 0) = ?'

/** A condition (its SQL and parameters) that every row of a guarded insert needs. */
export type InsertGuard = SqlStatement

/** One statement for up to `rows` rows: `INSERT ... VALUES ...`, or with a guard `INSERT ... SELECT * FROM (VALUES ...) WHERE guard`. */
export function multiRowInsertSql(insert: RowInsert, rows: number, guard?: InsertGuard): string {
  if (!guard) return insertRowsSql(insert, rows)
  const values = Array.from({ length: rows }, () => insert.row).join(', ')
  // The WHERE also keeps SQLite from reading ON CONFLICT as a join constraint.
  return `${insert.into} SELECT * FROM (VALUES ${values}) WHERE ${guard.sql} ${insert.onConflict}`.trimEnd()
}

/** How many rows one statement may carry within the parameter limit. */
export function rowsPerStatement(insert: RowInsert, guard?: InsertGuard, maxParameters = D1_MAX_BOUND_PARAMETERS): number {
  const rows = Math.floor((maxParameters - (guard?.params.length ?? 0)) / parametersPerRow(insert))
  if (rows < 1) throw new Error(`a row of "${insert.into}" needs more than ${maxParameters} parameters`)
  return rows
}

/** The statements (SQL and parameters) that insert `rows`, each statement within the parameter limit. */
export function chunkedInserts(insert: RowInsert, rows: readonly SqlValue[][], guard?: InsertGuard): SqlStatement[] {
  const size = rowsPerStatement(insert, guard)
  const statements: SqlStatement[] = []
  for (let start = 0; start < rows.length; start += size) {
    const chunk = rows.slice(start, start + size)
    statements.push({ sql: multiRowInsertSql(insert, chunk.length, guard), params: [...chunk.flat(), ...(guard?.params ?? [])] })
  }
  return statements
}
