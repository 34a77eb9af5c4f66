// The long-term archive's queries over HTTP, under /api/v1/targets/:id/archive/: RTT percentiles per vantage
// and bucket, probes and ok answers per vantage and UTC day, and the newest observation of each series.
// Without a configured archive every one of them answers 404 saying so; an archive that fails answers 503
// without its details (they go to onError, for the log).
import { Hono, type Context } from 'hono'
import type { Target } from '../core/config.ts'
import type { ObservationArchive } from '../ports/observation-archive.ts'

const MINUTE_MS = 60_000
const HOUR_MS = 60 * MINUTE_MS
const DAY_MS = 24 * HOUR_MS
/** The bucket lengths a client may ask for, by name. */
const BUCKETS_MS: Readonly<Record<string, number>> = { '1m': MINUTE_MS, '5m': 5 * MINUTE_MS, '15m': 15 * MINUTE_MS, '1h': HOUR_MS, '6h': 6 * HOUR_MS, '1d': DAY_MS }
const DEFAULT_BUCKET = '1h'
const DEFAULT_RTT_WINDOW_MS = DAY_MS
const DEFAULT_UPTIME_WINDOW_MS = 90 * DAY_MS
const DEFAULT_LATEST_WINDOW_MS = HOUR_MS
/** Buckets per vantage in one RTT answer: more is a runaway request, not a chart. */
const MAX_BUCKETS = 2_000
const MAX_UPTIME_DAYS = 400
const HTTP_BAD_REQUEST = 400
const HTTP_NOT_FOUND = 404
const HTTP_UNAVAILABLE = 503

export interface ArchiveApiDeps {
  targets: readonly Target[]
  nowMs: () => number
  archive?: ObservationArchive
  onError?: (error: unknown) => void
}

export function createArchiveApi(deps: ArchiveApiDeps): Hono {
  const app = new Hono()
  const targetIds = new Set(deps.targets.map((target) => target.id))
  const { archive } = deps

  app.use('/api/v1/targets/:id/archive/*', async (c, next) => {
    if (!archive) return c.json({ error: 'no archive is configured (the config has no "archive" block)' }, HTTP_NOT_FOUND)
    if (!targetIds.has(c.req.param('id'))) return c.json({ error: `no target ${c.req.param('id')}` }, HTTP_NOT_FOUND)
    await next()
  })
  if (!archive) return app

  app.get('/api/v1/targets/:id/archive/rtt', async (c) => {
    const target = c.req.param('id')
    const bucket = c.req.query('bucket') ?? DEFAULT_BUCKET
    const bucketMs = BUCKETS_MS[bucket]
    if (bucketMs === undefined) return badRequest(c, `bucket is one of ${Object.keys(BUCKETS_MS).join(', ')}`)
    const range = rangeOf(c.req.query('from'), c.req.query('until'), deps.nowMs(), DEFAULT_RTT_WINDOW_MS)
    if (range === null) return badRequest(c, RANGE_RULE)
    if ((range.until - range.from) / bucketMs > MAX_BUCKETS) return badRequest(c, `at most ${MAX_BUCKETS} buckets: widen the bucket or narrow from..until`)
    return answered(c, deps, async () => ({ target, ...range, bucket, bucketMs, series: await archive.rttSeries({ target, ...range, bucketMs }) }))
  })
  app.get('/api/v1/targets/:id/archive/uptime', async (c) => {
    const target = c.req.param('id')
    const range = rangeOf(c.req.query('from'), c.req.query('until'), deps.nowMs(), DEFAULT_UPTIME_WINDOW_MS)
    if (range === null) return badRequest(c, RANGE_RULE)
    if (range.until - range.from > MAX_UPTIME_DAYS * DAY_MS) return badRequest(c, `at most ${MAX_UPTIME_DAYS} days from..until`)
    return answered(c, deps, async () => ({ target, ...range, days: await archive.uptime({ target, ...range }) }))
  })
  app.get('/api/v1/targets/:id/archive/latest', async (c) => {
    const target = c.req.param('id')
    const since = integerParam(c.req.query('since'), deps.nowMs() - DEFAULT_LATEST_WINDOW_MS)
    if (since === null) return badRequest(c, 'since is epoch ms')
    return answered(c, deps, async () => ({ target, since, latest: await archive.latest({ target, since }) }))
  })
  return app
}

const RANGE_RULE = 'from and until are epoch ms with from < until'

function rangeOf(rawFrom: string | undefined, rawUntil: string | undefined, nowMs: number, defaultWindowMs: number): { from: number; until: number } | null {
  const until = integerParam(rawUntil, nowMs)
  if (until === null) return null
  const from = integerParam(rawFrom, Math.max(0, until - defaultWindowMs))
  return from === null || from >= until ? null : { from, until }
}

function integerParam(raw: string | undefined, fallback: number): number | null {
  if (raw === undefined) return fallback
  return /^\d{1,15}$/.test(raw) ? Number(raw) : null
}

function badRequest(c: Context, error: string): Response {
  return c.json({ error }, HTTP_BAD_REQUEST)
}

async function answered(c: Context, deps: ArchiveApiDeps, query: () => Promise<object>): Promise<Response> {
  try {
    return c.json(await query())
  } catch (error) {
    deps.onError?.(error)
    return c.json({ error: `the archive (${deps.archive?.name ?? 'none'}) could not answer; the monitor's log has the details` }, HTTP_UNAVAILABLE)
  }
}
