// Every statement the SQLite store runs, shared with the D1 store (d1-sql.ts adds what only D1 needs).
// Plain SQLite that D1 also runs: positional `?` parameters only, UPSERT, RETURNING and json_each.
// Inserts that a store may send for many rows at once are kept as a RowInsert.
import type { RollupGranularity } from '../../ports/store.ts'

/** An INSERT in pieces: `${into} VALUES ${row}, ${row}, ... ${onConflict}`. */
export interface RowInsert {
  into: string
  /** One row's tuple; its `?` count is the parameters per row. */
  row: string
  onConflict: string
}

export function insertRowsSql(insert: RowInsert, rows: number): string {
  return `${insert.into} VALUES ${Array.from({ length: rows }, () => insert.row).join(', ')} ${insert.onConflict}`.trimEnd()
}

export function parametersPerRow(insert: RowInsert): number {
  return insert.row.split('?').length - 1
}

/** `(?, ?, ...)` with `count` placeholders. */
export function placeholders(count: number): string {
  return `(${Array.from({ length: count }, () => '?').join(', ')})`
}

/** LIMIT -1: no limit. */
export const NO_LIMIT = -1

export const ROLLUP_TABLES: Record<RollupGranularity, string> = { hour: 'rollups_hourly', day: 'rollups_daily' }

export const INSERT_CYCLE = `INSERT INTO cycles (cycle_id, target, started_at, missing_vantages) VALUES (?, ?, ?, ?)
  ON CONFLICT (cycle_id) DO NOTHING`
export const SELECT_LATEST_CYCLE_START = 'SELECT max(started_at) AS started_at FROM cycles WHERE target = ?'

export const OBSERVATION_COLUMNS = `observed_at, target, vantage, address, port, qname, transport, outcome, rcode, rtt_ms, connect_ms,
  identity_source, identity_hex, identity_text, site, retried_over_tcp, ignored_replies, error`
/** observationParams' count. */
export const OBSERVATION_PARAMS = 18
/** A row is the cycle's rowid (cycle_ref) and observationParams. */
export const OBSERVATION_INSERT: RowInsert = {
  into: `INSERT INTO observations (cycle_ref, ${OBSERVATION_COLUMNS})`,
  row: placeholders(1 + OBSERVATION_PARAMS),
  onConflict: '',
}
export const INSERT_OBSERVATION = insertRowsSql(OBSERVATION_INSERT, 1)
export const SELECT_OBSERVATIONS = `SELECT ${OBSERVATION_COLUMNS} FROM observations
  WHERE target = ? AND observed_at >= ? AND observed_at < ? AND (? IS NULL OR vantage = ?)
  ORDER BY observed_at, id LIMIT ?`

/** The newest `limit` cycles of a target; the caller puts them oldest first. */
export const SELECT_RECENT_CYCLES = `SELECT id, cycle_id, target, started_at, missing_vantages FROM cycles
  WHERE target = ? ORDER BY started_at DESC LIMIT ?`
export const SELECT_RECENT_CYCLE_OBSERVATIONS = `SELECT cycle_ref, ${OBSERVATION_COLUMNS} FROM observations
  WHERE cycle_ref IN (SELECT id FROM cycles WHERE target = ? ORDER BY started_at DESC LIMIT ?)
  ORDER BY cycle_ref, id`

const CATCHMENT_COLUMNS = 'target, vantage, family, site, since, transport_sites'
export const SELECT_CATCHMENT_OF_TARGET = `SELECT ${CATCHMENT_COLUMNS} FROM catchment_current WHERE target = ?`
export const SELECT_CATCHMENT = `SELECT ${CATCHMENT_COLUMNS} FROM catchment_current
  WHERE (? IS NULL OR target = ?) ORDER BY target, vantage, family`
/** A row is catchmentEntryParams. */
export const CATCHMENT_UPSERT: RowInsert = {
  into: `INSERT INTO catchment_current (${CATCHMENT_COLUMNS})`,
  row: placeholders(6),
  onConflict: `ON CONFLICT (target, vantage, family) DO UPDATE SET site = excluded.site, since = excluded.since,
    transport_sites = excluded.transport_sites`,
}
export const UPSERT_CATCHMENT = insertRowsSql(CATCHMENT_UPSERT, 1)
/** A row is catchmentChangeParams. */
export const CATCHMENT_CHANGE_INSERT: RowInsert = {
  into: 'INSERT INTO catchment_changes (target, vantage, family, at, from_site, to_site, cycle_id)',
  row: placeholders(7),
  onConflict: 'ON CONFLICT (target, at, vantage, family) DO NOTHING',
}
export const INSERT_CATCHMENT_CHANGE = insertRowsSql(CATCHMENT_CHANGE_INSERT, 1)
/** Parameters: target, since, until, vantage twice, family twice, limit. */
export const SELECT_CATCHMENT_CHANGES = `SELECT target, vantage, family, at, from_site, to_site FROM catchment_changes
  WHERE target = ? AND at >= ? AND at < ? AND (? IS NULL OR vantage = ?) AND (? IS NULL OR family = ?)
  ORDER BY at, vantage, family LIMIT ?`

/** Adds a delta (a row is rollupDeltaParams) to a bucket: counts add up, min/max keep the extremes, histograms add bin by bin. */
export function rollupUpsert(table: string): RowInsert {
  return {
    into: `INSERT INTO ${table} (target, bucket_start, vantage, family, site, count, successes, rtt_count, rtt_min_ms, rtt_max_ms, rtt_histogram)`,
    row: placeholders(11),
    onConflict: rollupOnConflict(table),
  }
}
export function upsertRollupSql(table: string): string {
  return insertRowsSql(rollupUpsert(table), 1)
}
function rollupOnConflict(table: string): string {
  return `ON CONFLICT (target, bucket_start, vantage, family, site) DO UPDATE SET
    count = count + excluded.count,
    successes = successes + excluded.successes,
    rtt_count = rtt_count + excluded.rtt_count,
    rtt_min_ms = min(coalesce(rtt_min_ms, excluded.rtt_min_ms), coalesce(excluded.rtt_min_ms, rtt_min_ms)),
    rtt_max_ms = max(coalesce(rtt_max_ms, excluded.rtt_max_ms), coalesce(excluded.rtt_max_ms, rtt_max_ms)),
    rtt_histogram = CASE WHEN excluded.rtt_count = 0 THEN rtt_histogram ELSE (
      SELECT json_group_object(key, total) FROM (
        SELECT key, sum(value) AS total FROM (
          SELECT key, value FROM json_each(${table}.rtt_histogram)
          UNION ALL SELECT key, value FROM json_each(excluded.rtt_histogram)
        ) GROUP BY key
      )
    ) END`
}
export function selectRollupsSql(table: string): string {
  return `SELECT vantage, family, site, bucket_start, count, successes, rtt_min_ms, rtt_max_ms, rtt_histogram FROM ${table}
  WHERE target = ? AND bucket_start >= ? AND bucket_start < ? ORDER BY bucket_start, vantage, family, site`
}
export function pruneRollupsSql(table: string): string {
  return `DELETE FROM ${table} WHERE bucket_start < ?`
}

export const SELECT_POLICY_STATE = 'SELECT version, state FROM policy_state WHERE target = ?'
export const INSERT_FIRST_POLICY_STATE = `INSERT INTO policy_state (target, version, state, updated_at) VALUES (?, 1, ?, ?)
  ON CONFLICT (target) DO NOTHING`
export const UPDATE_POLICY_STATE = `UPDATE policy_state SET version = version + 1, state = ?, updated_at = ?
  WHERE target = ? AND version = ?`

/** A row is incidentParams. */
export const INCIDENT_UPSERT: RowInsert = {
  into: 'INSERT INTO incidents (incident_key, opened_at, target, kind, scope, severity, status, resolved_at, incident)',
  row: placeholders(9),
  onConflict: `ON CONFLICT (incident_key, opened_at) DO UPDATE SET target = excluded.target, kind = excluded.kind,
    scope = excluded.scope, severity = excluded.severity, status = excluded.status,
    resolved_at = excluded.resolved_at, incident = excluded.incident`,
}
export const UPSERT_INCIDENT = insertRowsSql(INCIDENT_UPSERT, 1)
export const SELECT_INCIDENTS = `SELECT incident FROM incidents
  WHERE (? IS NULL OR target = ?) AND (? IS NULL OR status = ?)
  ORDER BY opened_at DESC, incident_key LIMIT ?`

const OUTBOX_ITEM_COLUMNS = 'seq, id, route, notification, status, attempts, next_attempt_at, last_error'
/** A row is outboxItemParams. */
export const OUTBOX_ITEM_INSERT: RowInsert = {
  into: `INSERT INTO outbox (id, route, notification_id, incident_key, event, at, notification,
  status, attempts, next_attempt_at, last_error, detail, created_at, updated_at, delivered_at)`,
  row: "(?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, NULL, NULL, ?, ?, NULL)",
  onConflict: 'ON CONFLICT (id) DO NOTHING',
}
export const INSERT_OUTBOX_ITEM = insertRowsSql(OUTBOX_ITEM_INSERT, 1)
/** One statement, so one write lock: two claimers can never both see an item as due. */
export const CLAIM_DUE_OUTBOX_ITEMS = `UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1, updated_at = ?
  WHERE seq IN (
    SELECT seq FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, seq LIMIT ?
  )
  RETURNING ${OUTBOX_ITEM_COLUMNS}`
export const RECORD_DELIVERED = `UPDATE outbox SET status = 'delivered', detail = ?, delivered_at = ?, updated_at = ?
  WHERE id = ? AND status = 'pending'`
export const RECORD_RETRY = `UPDATE outbox SET next_attempt_at = ?, last_error = ?, updated_at = ?
  WHERE id = ? AND status = 'pending'`
export const RECORD_FAILED = `UPDATE outbox SET status = 'failed', last_error = ?, updated_at = ?
  WHERE id = ? AND status = 'pending'`
export const SELECT_OUTBOX = `SELECT ${OUTBOX_ITEM_COLUMNS} FROM outbox WHERE (? IS NULL OR status = ?) ORDER BY seq LIMIT ?`

/** Keeps the later check: a save older than the stored view changes nothing. */
export const UPSERT_BGP_VIEW = `INSERT INTO bgp_views (target, checked_at, view) VALUES (?, ?, ?)
  ON CONFLICT (target) DO UPDATE SET checked_at = excluded.checked_at, view = excluded.view
  WHERE excluded.checked_at >= bgp_views.checked_at`
export const SELECT_BGP_VIEW = 'SELECT view FROM bgp_views WHERE target = ?'

/** Old cycles go in chunks, each with its observations, so no prune holds the write lock for long. */
export const SELECT_OLD_CYCLE_IDS = 'SELECT id FROM cycles WHERE started_at < ? ORDER BY started_at LIMIT ?'
export const DELETE_OBSERVATIONS_OF_CYCLES = 'DELETE FROM observations WHERE cycle_ref IN (SELECT value FROM json_each(?))'
export const DELETE_CYCLES = 'DELETE FROM cycles WHERE id IN (SELECT value FROM json_each(?))'
export const PRUNE_CATCHMENT_CHANGES = 'DELETE FROM catchment_changes WHERE at < ?'
export const PRUNE_FINISHED_OUTBOX = "DELETE FROM outbox WHERE status <> 'pending' AND at < ?"
export const PRUNE_RESOLVED_INCIDENTS = "DELETE FROM incidents WHERE status = 'resolved' AND resolved_at < ?"

/** How long a statement waits for another connection's write lock before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5_000
/** Set at every open (not in migrations: D1 manages its own). FULL syncs the WAL at every commit. */
export function openPragmas(synchronous: 'full' | 'normal'): string[] {
  return [`busy_timeout = ${BUSY_TIMEOUT_MS}`, 'journal_mode = WAL', `synchronous = ${synchronous.toUpperCase()}`]
}
