// BgpSource over a private looking glass: BIRD behind birdwatcher (alice-lg/birdwatcher). It asks
// - GET /routes/prefix?prefix=P: `show route P all`, the routes to exactly P (module "routes_prefixed").
//   /route/net/:net is `show route for <net>` (longest match for an address; the path cannot carry the
//   "/len"), so it would answer for a covering prefix once P is gone: not usable to see a withdrawal.
// - GET /protocols/bgp: the BGP sessions (module "protocols_bgp"), for each route's peer address and
//   AS, and the number of established sessions (the peers that could see the prefix). Optional: when
//   it fails, peers fall back to the route's gateway and the total is unknown.
// birdwatcher answers 429 while its parser is busy and 500 when BIRD is unreachable; the retrying
// client handles both. It has no update history and no RPKI view.
import {
  birdwatcherDataAt,
  BirdwatcherProtocolsSchema,
  BirdwatcherRoutesSchema,
  routesOfBirdwatcher,
  sessionsOf,
  type BirdwatcherSession,
} from '../../core/bgp/birdwatcher.ts'
import { totalsOf, type BgpGap, type BgpSnapshot, type BgpSourceResult } from '../../core/bgp/model.ts'
import type { BgpSource } from '../../ports/bgp-source.ts'
import { createCircuitBreaker, DEFAULT_CIRCUIT_BREAKER, type CircuitBreakerSettings } from './circuit-breaker.ts'
import { createHttpJsonClient, DEFAULT_HTTP_RETRY, type FetchLike, type HttpRetrySettings, type JsonResult } from './http-json.ts'
import { createSemaphore } from './semaphore.ts'
import { createTtlCache } from './ttl-cache.ts'

const MINUTE_MS = 60_000
/** birdwatcher runs one birdc per uncached request; a looking glass is no place for a burst. */
const MAX_CONCURRENT_REQUESTS = 2
const STALE_KEEP_MS = 6 * 60 * MINUTE_MS

export interface BirdwatcherSourceOptions {
  /** Source and collector name, e.g. 'lg-fra'. */
  name?: string
  baseUrl: string
  /** E.g. an Authorization header for the HTTPS shim in front of birdwatcher. */
  headers?: Record<string, string>
  fetch?: FetchLike
  nowMs?: () => number
  random?: () => number
  requestTimeoutMs?: number
  retry?: Partial<HttpRetrySettings>
  breaker?: CircuitBreakerSettings
  /** Data older than this (birdwatcher's cached_at) makes the result stale. */
  maxDataAgeMs?: number
}

export function createBirdwatcherSource(options: BirdwatcherSourceOptions): BgpSource {
  const name = options.name ?? 'birdwatcher'
  const nowMs = options.nowMs ?? Date.now
  const maxDataAgeMs = options.maxDataAgeMs ?? 15 * MINUTE_MS
  const client = createHttpJsonClient({
    fetch: options.fetch ?? fetch,
    nowMs,
    random: options.random ?? Math.random,
    timeoutMs: options.requestTimeoutMs ?? 10_000,
    retry: { ...DEFAULT_HTTP_RETRY, ...options.retry },
    semaphore: createSemaphore(MAX_CONCURRENT_REQUESTS),
    breaker: createCircuitBreaker(options.breaker ?? DEFAULT_CIRCUIT_BREAKER),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
  })
  const lastGood = createTtlCache<BgpSnapshot>({ keepMs: STALE_KEEP_MS, maxEntries: 200 })
  const base = options.baseUrl.replace(/\/+$/, '')

  async function snapshot(prefix: string, signal: AbortSignal): Promise<BgpSourceResult> {
    const fetchedAt = nowMs()
    const [routesAnswer, protocolsAnswer] = await Promise.all([
      client({ url: `${base}/routes/prefix?${new URLSearchParams({ prefix })}`, label: '/routes/prefix', signal }),
      client({ url: `${base}/protocols/bgp`, label: '/protocols/bgp', signal }),
    ])
    const routes = parseWith(routesAnswer, BirdwatcherRoutesSchema, '/routes/prefix')
    if (!routes.ok) return fallback(prefix, routes.error)
    const protocols = parseWith(protocolsAnswer, BirdwatcherProtocolsSchema, '/protocols/bgp')
    const sessions = protocols.ok ? sessionsOf(protocols.data) : new Map<string, BirdwatcherSession>()
    const peerRoutes = routesOfBirdwatcher(routes.data, prefix, name, sessions)
    const established = [...sessions.values()].filter((session) => session.established).length
    const peersTotal = protocols.ok ? established : null
    const gaps: BgpGap[] = protocols.ok ? [] : [{ part: 'totals', reason: protocols.error }]
    const result: BgpSnapshot = {
      source: name,
      prefix,
      fetchedAt,
      dataAt: birdwatcherDataAt(routes.data) ?? fetchedAt,
      collectors: [name],
      routes: peerRoutes,
      totals: totalsOf(peerRoutes, peersTotal, peersTotal === null ? new Map() : new Map([[name, peersTotal]])),
      dumpVisibility: null,
      updates: null,
      rpki: null,
      gaps,
    }
    const ageMs = fetchedAt - result.dataAt
    if (ageMs > maxDataAgeMs) {
      return { kind: 'stale', source: name, prefix, snapshot: result, reason: `looking glass data is ${Math.round(ageMs / MINUTE_MS)} min old` }
    }
    lastGood.put(prefix, result, STALE_KEEP_MS, fetchedAt)
    return { kind: 'snapshot', snapshot: result }
  }

  function fallback(prefix: string, error: string): BgpSourceResult {
    const last = lastGood.lastGood(prefix, nowMs())
    if (last === undefined) return { kind: 'unavailable', source: name, prefix, reason: error }
    const reason = `${error}; last good data from ${new Date(last.value.dataAt).toISOString()}`
    return { kind: 'stale', source: name, prefix, snapshot: last.value, reason }
  }

  return { name, snapshot }
}

type Parsed<T> = { ok: true; data: T } | { ok: false; error: string }

/** The body in the endpoint's shape; birdwatcher reports a rejected query as 200 with `error`. */
function parseWith<T extends { error?: string | null | undefined }>(
  answer: JsonResult,
  schema: { safeParse(input: unknown): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } } },
  label: string,
): Parsed<T> {
  if (!answer.ok) return answer
  const parsed = schema.safeParse(answer.body)
  if (!parsed.success) return { ok: false, error: `${label}: unexpected body (${parsed.error.issues[0]?.message ?? 'invalid'})` }
  if (parsed.data.error) return { ok: false, error: `${label}: birdwatcher says "${parsed.data.error}"` }
  return { ok: true, data: parsed.data }
}
