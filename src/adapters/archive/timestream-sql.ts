// The archive's queries in Timestream's SQL. Identifiers are always double-quoted ("" inside), values are
// single-quoted string literals ('' inside) or integers checked before they are written, so that no
// target id, database or table name can change a statement's meaning. Time bounds are epoch ms through
// from_milliseconds(); buckets come from bin(time, <interval literal>).
import { COLUMN, OBSERVATION_MEASURE } from './timestream-records.ts'

export interface TableRef {
  database: string
  table: string
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

export function quoteString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

/** A Timestream interval literal for a whole number of seconds: 1d, 6h, 5m, 30s. */
export function intervalLiteral(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < SECOND_MS || ms % SECOND_MS !== 0) throw new RangeError(`an interval is a whole number of seconds, not ${ms} ms`)
  for (const [unitMs, unit] of INTERVAL_UNITS) if (ms % unitMs === 0) return `${ms / unitMs}${unit}`
  return `${ms / SECOND_MS}s`
}

const SECOND_MS = 1000
const INTERVAL_UNITS: [number, string][] = [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm']]
export const DAY_MS = 86_400_000

function epochMs(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`a time bound is a non-negative integer of epoch ms, not ${ms}`)
  return `from_milliseconds(${ms})`
}

const q = quoteIdentifier

function tableOf(ref: TableRef): string {
  return `${q(ref.database)}.${q(ref.table)}`
}

function targetFilter(target: string): string {
  return `measure_name = ${quoteString(OBSERVATION_MEASURE)} AND ${q(COLUMN.target)} = ${quoteString(target)}`
}

/** Per vantage and bucket: count and p50/p95 of the RTTs of ok answers. Columns: vantage, bucket_start, samples, p50_ms, p95_ms. */
export function rttSeriesSql(ref: TableRef, query: { target: string; from: number; until: number; bucketMs: number }): string {
  const bin = `bin(time, ${intervalLiteral(query.bucketMs)})`
  return [
    `SELECT ${q(COLUMN.vantage)}, to_milliseconds(${bin}) AS ${q('bucket_start')}, count(*) AS ${q('samples')},`,
    `  approx_percentile(${q(COLUMN.rttMs)}, 0.5) AS ${q('p50_ms')}, approx_percentile(${q(COLUMN.rttMs)}, 0.95) AS ${q('p95_ms')}`,
    `FROM ${tableOf(ref)}`,
    `WHERE ${targetFilter(query.target)} AND ${q(COLUMN.outcome)} = ${quoteString('ok')} AND ${q(COLUMN.rttMs)} IS NOT NULL`,
    `  AND time >= ${epochMs(query.from)} AND time < ${epochMs(query.until)}`,
    `GROUP BY ${q(COLUMN.vantage)}, ${bin}`,
    `ORDER BY ${q('bucket_start')}, ${q(COLUMN.vantage)}`,
  ].join('\n')
}

/** Per vantage and UTC day: probes and ok answers. Columns: vantage, day_start, probes, ok. */
export function uptimeSql(ref: TableRef, query: { target: string; from: number; until: number }): string {
  const bin = `bin(time, ${intervalLiteral(DAY_MS)})`
  return [
    `SELECT ${q(COLUMN.vantage)}, to_milliseconds(${bin}) AS ${q('day_start')}, count(*) AS ${q('probes')},`,
    `  count_if(${q(COLUMN.outcome)} = ${quoteString('ok')}) AS ${q('ok')}`,
    `FROM ${tableOf(ref)}`,
    `WHERE ${targetFilter(query.target)}`,
    `  AND time >= ${epochMs(query.from)} AND time < ${epochMs(query.until)}`,
    `GROUP BY ${q(COLUMN.vantage)}, ${bin}`,
    `ORDER BY ${q('day_start')}, ${q(COLUMN.vantage)}`,
  ].join('\n')
}

const LATEST_COLUMNS = [COLUMN.vantage, COLUMN.address, COLUMN.transport, COLUMN.site, COLUMN.outcome, COLUMN.rcode, COLUMN.rttMs]
const SERIES_KEY = [COLUMN.vantage, COLUMN.address, COLUMN.transport]

/** The newest record of each (vantage, address, transport) since a time. Columns: LATEST_COLUMNS, observed_at. */
export function latestSql(ref: TableRef, query: { target: string; since: number }): string {
  const columns = LATEST_COLUMNS.map(q).join(', ')
  const key = SERIES_KEY.map(q).join(', ')
  return [
    `SELECT ${columns}, to_milliseconds(time) AS ${q('observed_at')}`,
    `FROM (`,
    `  SELECT ${columns}, time, row_number() OVER (PARTITION BY ${key} ORDER BY time DESC) AS ${q('recency')}`,
    `  FROM ${tableOf(ref)}`,
    `  WHERE ${targetFilter(query.target)} AND time >= ${epochMs(query.since)}`,
    `)`,
    `WHERE ${q('recency')} = 1`,
    `ORDER BY ${key}`,
  ].join('\n')
}
