// The observation archive on Amazon Timestream for LiveAnalytics (closed to new AWS customers since
// 2025-06-20: for accounts that already have it). Writes go out in WriteRecords calls of at most 100
// multi-measure records; a RejectedRecordsException keeps the rest of its batch and reports each refused
// record with Timestream's reason. Queries follow NextToken to the last page. Throttling, 5xx and network
// failures are retried with jittered backoff (the SDK's own retries are off so that these are the only ones).
//
// Endpoint discovery: without `endpoint`, the SDK first calls DescribeEndpoints on
// ingest.timestream.<region>.amazonaws.com (query.… for the query client) and sends every call to the cell
// it names, caching it per client; that is Timestream's required path and is left to the SDK. With
// `endpoint` (a test double, a proxy), the SDK skips discovery altogether and calls that URL directly;
// endpointDiscoveryEnabled must then stay unset, or the SDK refuses the configuration.
import { QueryCommand, TimestreamQueryClient, type QueryResponse } from '@aws-sdk/client-timestream-query'
import { RejectedRecordsException, TimestreamWriteClient, WriteRecordsCommand } from '@aws-sdk/client-timestream-write'
import { ANSWERED_OUTCOMES, type Observation, type Outcome, type TransportName } from '../../core/model.ts'
import type { ArchiveRejection, LatestObservation, ObservationArchive, RttBucket, UptimeDay } from '../../ports/observation-archive.ts'
import { ArchiveError } from './archive-error.ts'
import { COLUMN, COMMON_ATTRIBUTES, MAX_RECORDS_PER_WRITE, recordOf } from './timestream-records.ts'
import { DEFAULT_ARCHIVE_RETRY, withRetries, type ArchiveRetrySettings, type Attempted } from './timestream-retry.ts'
import { double, integer, nullableDouble, nullableInteger, nullableText, rowsOf, text, type ResultRow } from './timestream-rows.ts'
import { latestSql, rttSeriesSql, uptimeSql, type TableRef } from './timestream-sql.ts'

const ORIGIN = 'archive:timestream'
/** A result longer than this many pages is a runaway query, not a status page's read. */
const MAX_QUERY_PAGES = 1_000
const CONNECTION_TIMEOUT_MS = 3_000
const REQUEST_TIMEOUT_MS = 15_000
const OUTCOMES: readonly Outcome[] = [...ANSWERED_OUTCOMES, 'timeout', 'malformed', 'mismatch', 'network-error']
const TRANSPORTS: readonly TransportName[] = ['udp', 'tcp']

export interface TimestreamArchiveOptions {
  region: string
  database: string
  table: string
  /** One URL for both clients (a test double, a proxy); without it the SDK discovers Timestream's endpoints. */
  endpoint?: string
  /** Without them, the SDK's default chain (environment, shared files, container or instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  retry?: ArchiveRetrySettings
  /** MaxRows of each Query page; by default Timestream fills pages up to 1 MB. */
  maxRowsPerPage?: number
  /** Uniform in [0, 1), for the backoff jitter. */
  random?: () => number
  /** Waits between attempts (tests pass one that records and returns at once). */
  sleep?: (ms: number) => Promise<void>
}

export function createTimestreamArchive(options: TimestreamArchiveOptions): ObservationArchive {
  const clientConfig = {
    region: options.region,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  }
  const writer = new TimestreamWriteClient(clientConfig)
  const reader = new TimestreamQueryClient(clientConfig)
  const ref: TableRef = { database: options.database, table: options.table }
  const retry = {
    settings: options.retry ?? DEFAULT_ARCHIVE_RETRY,
    random: options.random ?? Math.random,
    sleep: options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
  }

  /** One WriteRecords call, retried; the refused records come back with their index in the batch. */
  function writeBatch(records: readonly Observation[]): Promise<Attempted<ArchiveRejection[]>> {
    const input = { DatabaseName: ref.database, TableName: ref.table, CommonAttributes: COMMON_ATTRIBUTES, Records: records.map(recordOf) }
    return withRetries(retry, async () => {
      try {
        await writer.send(new WriteRecordsCommand(input))
        return []
      } catch (error) {
        // The records it does not name were ingested: this is a result, not a failure to retry.
        if (error instanceof RejectedRecordsException) return rejectionsOf(error, records.length)
        throw error
      }
    })
  }

  async function queryRows(what: string, queryString: string): Promise<ResultRow[]> {
    const rows: ResultRow[] = []
    let nextToken: string | undefined
    for (let page = 1; page <= MAX_QUERY_PAGES; page += 1) {
      const input = {
        QueryString: queryString,
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
        ...(options.maxRowsPerPage === undefined ? {} : { MaxRows: options.maxRowsPerPage }),
      }
      // A retried page asks again with the same NextToken, which Timestream answers with the same rows.
      const attempted = await withRetries(retry, () => reader.send(new QueryCommand(input)))
      if (!attempted.ok) {
        throw new ArchiveError(ORIGIN, `${what} query failed on page ${page}${afterAttempts(attempted.attempts)}: ${describe(attempted.error)}`, { cause: attempted.error })
      }
      rows.push(...parsed(what, attempted.value))
      // A page may be empty and still not the last: Timestream is still running the query.
      nextToken = attempted.value.NextToken
      if (nextToken === undefined) return rows
    }
    throw new ArchiveError(ORIGIN, `${what} query gave more than ${MAX_QUERY_PAGES} pages`)
  }

  async function mapped<T>(what: string, queryString: string, map: (row: ResultRow) => T): Promise<T[]> {
    const rows = await queryRows(what, queryString)
    try {
      return rows.map(map)
    } catch (error) {
      throw new ArchiveError(ORIGIN, `${what} query gave an unexpected result: ${describe(error)}`, { cause: error })
    }
  }

  return {
    name: 'timestream',
    async archive(observations) {
      let written = 0
      const rejected: ArchiveRejection[] = []
      for (let start = 0; start < observations.length; start += MAX_RECORDS_PER_WRITE) {
        const batch = observations.slice(start, start + MAX_RECORDS_PER_WRITE)
        const attempted = await writeBatch(batch)
        if (!attempted.ok) {
          const before = start === 0 ? '' : ` (${written} of ${observations.length} observations were written before)`
          throw new ArchiveError(ORIGIN, `WriteRecords failed${afterAttempts(attempted.attempts)}: ${describe(attempted.error)}${before}`, { cause: attempted.error })
        }
        written += batch.length - attempted.value.length
        rejected.push(...attempted.value.map((rejection) => ({ ...rejection, index: start + rejection.index })))
      }
      return { written, rejected }
    },
    // async: a query the SQL builder refuses (a bucket of 1.5 s, a negative time) rejects like any other failure.
    rttSeries: async (query) => mapped('rttSeries', rttSeriesSql(ref, query), rttBucketOf),
    uptime: async (query) => mapped('uptime', uptimeSql(ref, query), uptimeDayOf),
    latest: async (query) => mapped('latest', latestSql(ref, query), latestOf),
    async close() {
      writer.destroy()
      reader.destroy()
    },
  }
}

function parsed(what: string, page: QueryResponse): ResultRow[] {
  try {
    return rowsOf(page)
  } catch (error) {
    throw new ArchiveError(ORIGIN, `${what} query gave an unreadable page: ${describe(error)}`, { cause: error })
  }
}

function rejectionsOf(error: RejectedRecordsException, batchSize: number): ArchiveRejection[] {
  return (error.RejectedRecords ?? []).flatMap((record) => {
    const index = record.RecordIndex
    if (index === undefined || !Number.isInteger(index) || index < 0 || index >= batchSize) return []
    const reason = record.Reason ?? 'rejected without a reason'
    return [{ index, reason: record.ExistingVersion === undefined ? reason : `${reason} (existing version ${record.ExistingVersion})` }]
  })
}

function rttBucketOf(row: ResultRow): RttBucket {
  return {
    vantage: text(row, 'vantage'),
    bucketStart: integer(row, 'bucket_start'),
    samples: integer(row, 'samples'),
    p50Ms: double(row, 'p50_ms'),
    p95Ms: double(row, 'p95_ms'),
  }
}

function uptimeDayOf(row: ResultRow): UptimeDay {
  return { vantage: text(row, 'vantage'), dayStart: integer(row, 'day_start'), probes: integer(row, 'probes'), ok: integer(row, 'ok') }
}

function latestOf(row: ResultRow): LatestObservation {
  return {
    vantage: text(row, COLUMN.vantage),
    address: text(row, COLUMN.address),
    transport: oneOf(TRANSPORTS, COLUMN.transport, text(row, COLUMN.transport)),
    observedAt: integer(row, 'observed_at'),
    outcome: oneOf(OUTCOMES, COLUMN.outcome, text(row, COLUMN.outcome)),
    rcode: nullableInteger(row, COLUMN.rcode),
    rttMs: nullableDouble(row, COLUMN.rttMs),
    site: nullableText(row, COLUMN.site),
  }
}

function oneOf<T extends string>(allowed: readonly T[], column: string, value: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new TypeError(`column ${column} has an unknown value ${value}`)
  return value as T
}

function afterAttempts(attempts: number): string {
  return attempts > 1 ? ` after ${attempts} attempts` : ''
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  return error.name === 'Error' ? error.message : `${error.name}: ${error.message}`
}
