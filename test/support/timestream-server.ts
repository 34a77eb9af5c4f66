// A Timestream for LiveAnalytics double on 127.0.0.1 that speaks the service's JSON wire protocol
// (awsJson1_0: POST /, X-Amz-Target: Timestream_20181101.<Operation>, SigV4-signed), so the real AWS SDK
// clients can be pointed at it with a custom endpoint:
// - WriteRecords keeps records in memory with Timestream's rules: CommonAttributes merged into each record,
//   at most 100 records, a malformed record fails the whole request (ValidationException), a record outside
//   the memory store's time range or conflicting with a stored one (same dimensions, measure name and time,
//   other values, version not higher) is refused in a RejectedRecordsException naming it, and the others
//   are stored; an identical record is accepted again without a second copy.
// - Query recognises the three query shapes of src/adapters/archive/timestream-sql.ts (RTT series, daily
//   uptime, latest per series), evaluates their WHERE clauses predicate by predicate over the stored records
//   and computes the answer (approx_percentile as the exact nearest-rank value); any other SQL is a
//   ValidationException. Results come in Timestream's Rows/Data/ScalarValue format, paged with NextToken
//   (MaxRows, or the double's pageRows; with MaxRows and more rows than that, the first page is empty, as
//   Timestream's docs describe).
// - DescribeEndpoints answers with the double's own address.
// - failNext() makes coming calls of an operation fail: throttling (429 ThrottlingException), internal
//   (500 InternalServerException), unavailable (503 without a modelled error).
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

const ERROR_NAMESPACE = 'com.amazonaws.timestream.v20181101#'
const TARGET_PREFIX = 'Timestream_20181101.'
const MAX_RECORDS_PER_WRITE = 100
const FUTURE_INGESTION_MS = 15 * 60_000
const SIGV4_AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/timestream\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/

/** Dummy keys for the SDK's signer: the double checks that requests are signed, not by whom. */
export const TEST_CREDENTIALS = { accessKeyId: 'AKIDANYCASTTEST', secretAccessKey: 'not-a-secret' }
export const TEST_REGION = 'eu-west-1'

/**
 * Keeps the AWS SDK in this test process away from the machine's AWS setup and from the network: no
 * instance metadata (IMDS) lookups, no shared config or credentials files, no profile. Tests still pass
 * credentials, region and a loopback endpoint explicitly to every client.
 */
export function isolateAwsSdk(): void {
  process.env.AWS_EC2_METADATA_DISABLED = 'true'
  process.env.AWS_CONFIG_FILE = '/nonexistent/anycast-monitor-test/aws-config'
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/anycast-monitor-test/aws-credentials'
  for (const name of ['AWS_PROFILE', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_TIMESTREAM_WRITE', 'AWS_ENDPOINT_URL_TIMESTREAM_QUERY']) delete process.env[name]
}

export interface StoredRecord {
  database: string
  table: string
  measureName: string
  /** Epoch ms. */
  time: number
  dimensions: Record<string, string>
  measures: Record<string, { type: string; value: string }>
  version: number
}

export interface ReceivedCall {
  operation: string
  body: Record<string, unknown>
  authorization: string | undefined
  /** The status the call was answered with. */
  status: number
}

export type Failure = 'throttling' | 'internal' | 'unavailable'

export interface TimestreamServerOptions {
  tables: readonly { database: string; table: string }[]
  /** The service's clock, for the memory store's time range (default Date.now). */
  now?: () => number
  /** How far back the memory store takes records (default 24 h). */
  memoryStoreRetentionMs?: number
  /** At most this many rows per Query page, whatever MaxRows says. */
  pageRows?: number
}

export interface TimestreamServer {
  url: string
  records: StoredRecord[]
  calls: ReceivedCall[]
  callsOf(operation: string): ReceivedCall[]
  /** The next `count` calls of `operation` fail, after `after` more calls (default 0) have been answered normally. */
  failNext(operation: 'WriteRecords' | 'Query', count: number, failure: Failure, options?: { after?: number }): void
  close(): Promise<void>
}

class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message)
  }
}

type Json = Record<string, unknown>

export async function startTimestreamServer(options: TimestreamServerOptions): Promise<TimestreamServer> {
  const now = options.now ?? Date.now
  const retentionMs = options.memoryStoreRetentionMs ?? 24 * 3_600_000
  const tables = new Set(options.tables.map((ref) => tableKey(ref.database, ref.table)))
  const records: StoredRecord[] = []
  const bySeriesAndTime = new Map<string, StoredRecord>()
  const calls: ReceivedCall[] = []
  // Per operation, what each coming call gets: null answers normally.
  const failures = new Map<string, (Failure | null)[]>()
  const cursors = new Map<string, Cursor>()
  let address = ''

  const operations: Record<string, (body: Json) => Json> = {
    DescribeEndpoints: () => ({ Endpoints: [{ Address: address, CachePeriodInMinutes: 1440 }] }),
    WriteRecords: writeRecords,
    Query: query,
  }

  function writeRecords(body: Json): Json {
    const database = requiredString(body, 'DatabaseName')
    const table = requiredString(body, 'TableName')
    if (!tables.has(tableKey(database, table))) throw new ServiceError(404, 'ResourceNotFoundException', `The table ${table} in database ${database} does not exist.`)
    const input = body.Records
    if (!Array.isArray(input) || input.length < 1 || input.length > MAX_RECORDS_PER_WRITE) {
      throw validation(`Records must hold between 1 and ${MAX_RECORDS_PER_WRITE} records; got ${Array.isArray(input) ? input.length : 'none'}.`)
    }
    const common = (body.CommonAttributes ?? {}) as Json
    // Every record is checked before any is stored: a malformed one fails the whole request.
    const candidates = input.map((record, index) => recordOf(database, table, common, record as Json, index))
    const rejected: Json[] = []
    const [from, until] = [now() - retentionMs, now() + FUTURE_INGESTION_MS]
    candidates.forEach((record, index) => {
      if (record.time < from || record.time >= until) {
        rejected.push({ RecordIndex: index, Reason: `The record timestamp is outside the time range [${iso(from)}, ${iso(until)}) of the memory store.` })
        return
      }
      const key = seriesKey(record)
      const existing = bySeriesAndTime.get(key)
      if (existing === undefined) {
        records.push(record)
        bySeriesAndTime.set(key, record)
      } else if (record.version > existing.version) {
        Object.assign(existing, { measures: record.measures, version: record.version })
      } else if (JSON.stringify(sorted(existing.measures)) !== JSON.stringify(sorted(record.measures))) {
        rejected.push({
          RecordIndex: index,
          Reason: 'A record with the same dimensions, measure name and time already exists with different measure values and a version at least as high.',
          ExistingVersion: existing.version,
        })
      }
    })
    if (rejected.length > 0) {
      throw new ServiceError(419, 'RejectedRecordsException', 'One or more records have been rejected. See RejectedRecords for details.', { RejectedRecords: rejected })
    }
    return { RecordsIngested: { Total: candidates.length, MemoryStore: candidates.length, MagneticStore: 0 } }
  }

  function query(body: Json): Json {
    const queryString = requiredString(body, 'QueryString')
    const maxRows = body.MaxRows === undefined ? Number.POSITIVE_INFINITY : Number(body.MaxRows)
    const pageSize = Math.min(maxRows, options.pageRows ?? Number.POSITIVE_INFINITY)
    let cursor: Cursor
    if (body.NextToken === undefined) {
      const result = evaluate(queryString)
      cursor = { queryString, queryId: randomUUID(), result, offset: 0 }
      if (Number.isFinite(maxRows) && result.rows.length > maxRows) return page(cursor, [], newToken(cursor, 0))
    } else {
      const held = cursors.get(String(body.NextToken))
      if (held === undefined || held.queryString !== queryString) throw validation('Invalid pagination token.')
      cursor = held
    }
    const end = cursor.offset + pageSize
    const rows = cursor.result.rows.slice(cursor.offset, end)
    return page(cursor, rows, end < cursor.result.rows.length ? newToken(cursor, end) : undefined)
  }

  function newToken(cursor: Cursor, offset: number): string {
    const token = randomUUID()
    cursors.set(token, { ...cursor, offset })
    return token
  }

  function page(cursor: { queryId: string; result: QueryResult }, rows: Cell[][], nextToken: string | undefined): Json {
    return {
      QueryId: cursor.queryId,
      ColumnInfo: cursor.result.columns.map(([name, type]) => ({ Name: name, Type: { ScalarType: type } })),
      Rows: rows.map((row) => ({ Data: row.map((cell) => (cell === null ? { NullValue: true } : { ScalarValue: cell })) })),
      ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      QueryStatus: { ProgressPercentage: nextToken === undefined ? 100 : 50, CumulativeBytesScanned: 1024, CumulativeBytesMetered: 10_000_000 },
    }
  }

  function evaluate(queryString: string): QueryResult {
    const sql = normalised(queryString)
    for (const shape of SHAPES) {
      const match = shape.pattern.exec(sql)
      if (!match) continue
      const [database, table] = [unquoteIdentifier(match.groups?.database ?? ''), unquoteIdentifier(match.groups?.table ?? '')]
      if (!tables.has(tableKey(database, table))) throw validation(`Table ${database}.${table} does not exist`)
      const inTable = records.filter((record) => record.database === database && record.table === table)
      const known = new Set(['time', 'measure_name', ...inTable.flatMap((record) => [...Object.keys(record.dimensions), ...Object.keys(record.measures)])])
      for (const column of [...shape.columns, ...columnsIn(match.groups?.where ?? '')]) {
        if (!known.has(column)) throw validation(`line 1:1: Column '${column}' does not exist`)
      }
      const where = predicateOf(match.groups?.where ?? '')
      return shape.compute(inTable.filter(where), match.groups ?? {})
    }
    throw validation(`This test double does not know the query shape: ${sql}`)
  }

  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => answer(request, response, Buffer.concat(chunks).toString('utf8')))
  })

  function answer(request: IncomingMessage, response: ServerResponse, text: string): void {
    const target = String(request.headers['x-amz-target'] ?? '')
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target
    const call: ReceivedCall = { operation, body: {}, authorization: request.headers.authorization, status: 0 }
    calls.push(call)
    const send = (status: number, json: Json): void => {
      call.status = status
      response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': randomUUID() })
      response.end(JSON.stringify(json))
    }
    try {
      if (request.method !== 'POST' || request.url !== '/') throw new ServiceError(404, 'UnknownOperationException', `No ${request.method} ${request.url} here.`)
      if (request.headers['content-type'] !== 'application/x-amz-json-1.0') throw new ServiceError(400, 'SerializationException', 'Expected application/x-amz-json-1.0.')
      if (!SIGV4_AUTHORIZATION.test(call.authorization ?? '')) throw new ServiceError(403, 'UnrecognizedClientException', 'The request is not signed with SigV4 for timestream.')
      call.body = parseBody(text)
      const handler = operations[operation]
      if (!target.startsWith(TARGET_PREFIX) || handler === undefined) throw new ServiceError(400, 'UnknownOperationException', `Unknown operation ${target}.`)
      const failure = failures.get(operation)?.shift()
      if (failure !== undefined && failure !== null) throw failureOf(failure)
      send(200, handler(call.body))
    } catch (error) {
      // A bug in the double answers 500 with its stack rather than crashing the test run.
      const failure = error instanceof ServiceError ? error : new ServiceError(500, 'InternalFailure', `test double bug: ${(error as Error).stack ?? String(error)}`)
      send(failure.status, { __type: `${ERROR_NAMESPACE}${failure.type}`, Message: failure.message, ...failure.extra })
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  address = `127.0.0.1:${port}`
  return {
    url: `http://${address}`,
    records,
    calls,
    callsOf: (operation) => calls.filter((call) => call.operation === operation),
    failNext: (operation, count, failure, { after = 0 } = {}) => {
      failures.set(operation, [...(failures.get(operation) ?? []), ...Array<null>(after).fill(null), ...Array<Failure>(count).fill(failure)])
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function failureOf(failure: Failure): ServiceError {
  if (failure === 'throttling') return new ServiceError(429, 'ThrottlingException', 'Rate exceeded.')
  if (failure === 'internal') return new ServiceError(500, 'InternalServerException', 'Timestream was unable to fully process this request because of an internal server error.')
  return new ServiceError(503, 'ServiceUnavailable', 'Service unavailable.')
}

function validation(message: string): ServiceError {
  return new ServiceError(400, 'ValidationException', message)
}

function parseBody(text: string): Json {
  try {
    const body = JSON.parse(text) as unknown
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Json
  } catch {
    // answered below
  }
  throw new ServiceError(400, 'SerializationException', 'The body is not a JSON object.')
}

function requiredString(body: Json, field: string): string {
  const value = body[field]
  if (typeof value !== 'string' || value === '') throw validation(`${field} is required.`)
  return value
}

const TIME_UNIT_MS: Record<string, number> = { MILLISECONDS: 1, SECONDS: 1000, MICROSECONDS: 1e-3, NANOSECONDS: 1e-6 }
const MEASURE_TYPES = new Set(['DOUBLE', 'BIGINT', 'VARCHAR', 'BOOLEAN', 'TIMESTAMP'])

/** One record with the CommonAttributes merged in, checked as Timestream checks it; a bad one fails the request. */
function recordOf(database: string, table: string, common: Json, record: Json, index: number): StoredRecord {
  const at = `Records[${index}]`
  const field = (name: string): unknown => record[name] ?? common[name]
  const dimensionList = [...((common.Dimensions as Json[] | undefined) ?? []), ...((record.Dimensions as Json[] | undefined) ?? [])]
  const dimensions: Record<string, string> = {}
  for (const dimension of dimensionList) {
    const name = String(dimension.Name ?? '')
    const value = String(dimension.Value ?? '')
    if (name === '' || value === '') throw validation(`${at}: a dimension needs a name and a non-empty value.`)
    if (name in dimensions) throw validation(`${at}: dimension ${name} is given twice (in the record and in CommonAttributes?).`)
    dimensions[name] = value
  }
  const measureName = field('MeasureName')
  if (typeof measureName !== 'string' || measureName === '') throw validation(`${at}: MeasureName is required.`)
  if (field('MeasureValueType') !== 'MULTI' || field('MeasureValue') !== undefined) throw validation(`${at}: only MULTI records with MeasureValues are supported here.`)
  const measureList = (field('MeasureValues') as Json[] | undefined) ?? []
  if (measureList.length === 0) throw validation(`${at}: a MULTI record needs MeasureValues.`)
  const measures: Record<string, { type: string; value: string }> = {}
  for (const measure of measureList) {
    const [name, value, type] = [String(measure.Name ?? ''), measure.Value, String(measure.Type ?? '')]
    if (name === '' || typeof value !== 'string' || !MEASURE_TYPES.has(type)) throw validation(`${at}: measure ${name} needs a string Value and a Type.`)
    if (name in measures || name in dimensions) throw validation(`${at}: column ${name} is given twice.`)
    if (type === 'DOUBLE' && (value.trim() === '' || !Number.isFinite(Number(value)))) throw validation(`${at}: measure ${name} is not a DOUBLE: ${value}`)
    if (type === 'BIGINT' && !/^-?\d+$/.test(value)) throw validation(`${at}: measure ${name} is not a BIGINT: ${value}`)
    measures[name] = { type, value }
  }
  const time = field('Time')
  const unitMs = TIME_UNIT_MS[String(field('TimeUnit') ?? 'MILLISECONDS')]
  if (typeof time !== 'string' || !/^\d+$/.test(time) || unitMs === undefined) throw validation(`${at}: Time must be an integer string in a known TimeUnit.`)
  const version = field('Version') === undefined ? 1 : Number(field('Version'))
  return { database, table, measureName, time: Math.floor(Number(time) * unitMs), dimensions, measures, version }
}

function tableKey(database: string, table: string): string {
  return JSON.stringify([database, table])
}

function seriesKey(record: StoredRecord): string {
  return JSON.stringify([record.database, record.table, record.measureName, record.time, sorted(record.dimensions)])
}

function sorted<T>(object: Record<string, T>): [string, T][] {
  return Object.entries(object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

// ---- Query evaluation ----

type Cell = string | null
type ScalarType = 'VARCHAR' | 'BIGINT' | 'DOUBLE'
interface QueryResult {
  columns: [string, ScalarType][]
  rows: Cell[][]
}

interface Cursor {
  queryString: string
  queryId: string
  result: QueryResult
  /** Row the page this cursor's token asks for starts at. */
  offset: number
}

interface Shape {
  pattern: RegExp
  /** Columns the shape reads besides those of its WHERE clause: Timestream refuses a column no record has. */
  columns: string[]
  compute(records: StoredRecord[], groups: Record<string, string>): QueryResult
}

const IDENT = '"(?:[^"]|"")+"'
const STRING = "'(?:[^']|'')*'"
const INTERVAL = '\\d+(?:ms|s|m|h|d)'
const TABLE = `(?<database>${IDENT})\\.(?<table>${IDENT})`

const SHAPES: Shape[] = [
  {
    pattern: new RegExp(
      `^SELECT "vantage", to_milliseconds\\(bin\\(time, (?<bin>${INTERVAL})\\)\\) AS "bucket_start", count\\(\\*\\) AS "samples", ` +
        `approx_percentile\\("rtt_ms", 0\\.5\\) AS "p50_ms", approx_percentile\\("rtt_ms", 0\\.95\\) AS "p95_ms" ` +
        `FROM ${TABLE} WHERE (?<where>.+) GROUP BY "vantage", bin\\(time, (?<groupBin>${INTERVAL})\\) ORDER BY "bucket_start", "vantage"$`,
    ),
    columns: ['vantage', 'rtt_ms'],
    compute(records, groups) {
      const binMs = sameInterval(groups)
      const buckets = grouped(records, (record) => [column(record, 'vantage'), Math.floor(record.time / binMs) * binMs])
      return {
        columns: [['vantage', 'VARCHAR'], ['bucket_start', 'BIGINT'], ['samples', 'BIGINT'], ['p50_ms', 'DOUBLE'], ['p95_ms', 'DOUBLE']],
        rows: buckets.map(([vantage, start, members]) => {
          const rtts = members.map((record) => Number(column(record, 'rtt_ms'))).sort((a, b) => a - b)
          return [vantage, String(start), String(members.length), doubleText(nearestRank(rtts, 0.5)), doubleText(nearestRank(rtts, 0.95))]
        }),
      }
    },
  },
  {
    pattern: new RegExp(
      `^SELECT "vantage", to_milliseconds\\(bin\\(time, (?<bin>${INTERVAL})\\)\\) AS "day_start", count\\(\\*\\) AS "probes", ` +
        `count_if\\((?<okColumn>${IDENT}) = (?<okValue>${STRING})\\) AS "ok" ` +
        `FROM ${TABLE} WHERE (?<where>.+) GROUP BY "vantage", bin\\(time, (?<groupBin>${INTERVAL})\\) ORDER BY "day_start", "vantage"$`,
    ),
    columns: ['vantage'],
    compute(records, groups) {
      const binMs = sameInterval(groups)
      const isOk = comparison(unquoteIdentifier(groups.okColumn ?? ''), '=', unquoteString(groups.okValue ?? ''))
      const days = grouped(records, (record) => [column(record, 'vantage'), Math.floor(record.time / binMs) * binMs])
      return {
        columns: [['vantage', 'VARCHAR'], ['day_start', 'BIGINT'], ['probes', 'BIGINT'], ['ok', 'BIGINT']],
        rows: days.map(([vantage, start, members]) => [vantage, String(start), String(members.length), String(members.filter(isOk).length)]),
      }
    },
  },
  {
    pattern: new RegExp(
      `^SELECT "vantage", "address", "transport", "site", "outcome", "rcode", "rtt_ms", to_milliseconds\\(time\\) AS "observed_at" ` +
        `FROM \\(SELECT "vantage", "address", "transport", "site", "outcome", "rcode", "rtt_ms", time, ` +
        `row_number\\(\\) OVER \\(PARTITION BY "vantage", "address", "transport" ORDER BY time DESC\\) AS "recency" ` +
        `FROM ${TABLE} WHERE (?<where>.+)\\) WHERE "recency" = 1 ORDER BY "vantage", "address", "transport"$`,
    ),
    columns: ['vantage', 'address', 'transport', 'site', 'outcome', 'rcode', 'rtt_ms'],
    compute(records) {
      const newest = new Map<string, StoredRecord>()
      for (const record of records) {
        const key = JSON.stringify(['vantage', 'address', 'transport'].map((name) => column(record, name)))
        const held = newest.get(key)
        if (held === undefined || record.time > held.time) newest.set(key, record)
      }
      const keyOf = (record: StoredRecord) => ['vantage', 'address', 'transport'].map((name) => column(record, name) ?? '')
      const ordered = [...newest.values()].sort((a, b) => compareTuples(keyOf(a), keyOf(b)))
      return {
        columns: [['vantage', 'VARCHAR'], ['address', 'VARCHAR'], ['transport', 'VARCHAR'], ['site', 'VARCHAR'], ['outcome', 'VARCHAR'], ['rcode', 'BIGINT'], ['rtt_ms', 'DOUBLE'], ['observed_at', 'BIGINT']],
        rows: ordered.map((record) => [
          ...['vantage', 'address', 'transport', 'site', 'outcome', 'rcode'].map((name) => column(record, name)),
          doubleOrNull(column(record, 'rtt_ms')),
          String(record.time),
        ]),
      }
    },
  },
]

/** Whitespace outside quotes collapsed to one space, none just inside parentheses. */
function normalised(sql: string): string {
  let out = ''
  for (let i = 0; i < sql.length; i += 1) {
    const char = sql[i] as string
    if (char === "'" || char === '"') {
      const end = closingQuote(sql, i)
      out += sql.slice(i, end + 1)
      i = end
    } else if (/\s/.test(char)) {
      if (!out.endsWith(' ') && !out.endsWith('(')) out += ' '
    } else if (char === ')' && out.endsWith(' ')) {
      out = `${out.slice(0, -1)})`
    } else {
      out += char
    }
  }
  return out.trim()
}

/** Index of the quote that closes the one at `start` (a doubled quote is an escaped one). */
function closingQuote(sql: string, start: number): number {
  const quote = sql[start]
  for (let i = start + 1; i < sql.length; i += 1) {
    if (sql[i] !== quote) continue
    if (sql[i + 1] === quote) i += 1
    else return i
  }
  throw validation(`Unterminated ${quote === "'" ? 'string literal' : 'quoted identifier'}.`)
}

function unquoteIdentifier(quoted: string): string {
  return quoted.slice(1, -1).replaceAll('""', '"')
}

function unquoteString(quoted: string): string {
  return quoted.slice(1, -1).replaceAll("''", "'")
}

/** The WHERE clause as a filter: a conjunction of the predicates the archive's queries use, each parsed. */
function predicateOf(where: string): (record: StoredRecord) => boolean {
  const tests = splitAnd(where).map(predicate)
  return (record) => tests.every((test) => test(record))
}

function columnsIn(where: string): string[] {
  return splitAnd(where).flatMap((part) => {
    const match = new RegExp(`^(${IDENT})`).exec(part)
    return match ? [unquoteIdentifier(match[1] as string)] : []
  })
}

function splitAnd(where: string): string[] {
  const parts: string[] = []
  let start = 0
  for (let i = 0; i < where.length; i += 1) {
    const char = where[i] as string
    if (char === "'" || char === '"') i = closingQuote(where, i)
    else if (where.startsWith(' AND ', i)) {
      parts.push(where.slice(start, i))
      start = i + ' AND '.length
      i = start - 1
    }
  }
  parts.push(where.slice(start))
  return parts
}

function predicate(text: string): (record: StoredRecord) => boolean {
  let match = new RegExp(`^measure_name = (${STRING})$`).exec(text)
  if (match) {
    const name = unquoteString(match[1] as string)
    return (record) => record.measureName === name
  }
  match = new RegExp(`^(${IDENT}) (=|<>) (${STRING})$`).exec(text)
  if (match) return comparison(unquoteIdentifier(match[1] as string), match[2] as '=' | '<>', unquoteString(match[3] as string))
  match = new RegExp(`^(${IDENT}) IS (NOT )?NULL$`).exec(text)
  if (match) {
    const [name, negated] = [unquoteIdentifier(match[1] as string), match[2] !== undefined]
    return (record) => (column(record, name) !== null) === negated
  }
  match = /^time (>=|>|<=|<) from_milliseconds\((\d+)\)$/.exec(text)
  if (match) {
    const [op, bound] = [match[1], Number(match[2])]
    return (record) => (op === '>=' ? record.time >= bound : op === '>' ? record.time > bound : op === '<=' ? record.time <= bound : record.time < bound)
  }
  throw validation(`This test double does not know the predicate: ${text}`)
}

/** A VARCHAR comparison: a row without the column (SQL NULL) matches neither = nor <>. */
function comparison(name: string, op: '=' | '<>', value: string): (record: StoredRecord) => boolean {
  return (record) => {
    const held = column(record, name)
    return held !== null && (op === '=' ? held === value : held !== value)
  }
}

function column(record: StoredRecord, name: string): string | null {
  return record.dimensions[name] ?? record.measures[name]?.value ?? null
}

function sameInterval(groups: Record<string, string>): number {
  if (groups.bin !== groups.groupBin) throw validation('SELECT and GROUP BY bin by different intervals.')
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(groups.bin ?? '')
  const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match?.[2] ?? 'ms') as 'ms']
  const ms = Number(match?.[1]) * unitMs
  if (!(ms > 0)) throw validation(`Bad interval ${groups.bin}.`)
  return ms
}

/** Groups by (vantage, bucket start), ordered by start, then vantage. */
function grouped(records: StoredRecord[], keyOf: (record: StoredRecord) => [string | null, number]): [string | null, number, StoredRecord[]][] {
  const groups = new Map<string, [string | null, number, StoredRecord[]]>()
  for (const record of records) {
    const [vantage, start] = keyOf(record)
    const key = JSON.stringify([start, vantage])
    const group = groups.get(key) ?? [vantage, start, []]
    group[2].push(record)
    groups.set(key, group)
  }
  return [...groups.values()].sort((a, b) => a[1] - b[1] || compareTuples([a[0] ?? ''], [b[0] ?? '']))
}

function compareTuples(a: string[], b: string[]): number {
  for (let i = 0; i < a.length; i += 1) {
    const [x, y] = [a[i] as string, b[i] as string]
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

function nearestRank(sortedValues: number[], fraction: number): number {
  return sortedValues[Math.max(1, Math.ceil(fraction * sortedValues.length)) - 1] as number
}

/** Timestream writes a DOUBLE with a decimal point: 12.0, 12.5. */
function doubleText(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value)
}

function doubleOrNull(value: string | null): string | null {
  return value === null ? null : doubleText(Number(value))
}
