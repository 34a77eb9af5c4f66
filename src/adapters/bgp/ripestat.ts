// BgpSource over the RIPEstat Data API (RIS route collectors). One snapshot asks:
// - looking-glass: every RIS peer's route to the prefix, near real time (required: without it the
//   result is stale or unavailable);
// - routing-status: RIS's own visibility count at the last 8-hourly dump (context);
// - bgp-updates: announcements and withdrawals in the last updatesWindowMs (flap detection);
// - rpki-validation: one call per origin AS seen (at most maxRpkiOrigins).
// A failing optional call leaves its part null with a gap saying why. Every request carries
// `sourceapp`, goes through one semaphore (RIPEstat allows 8 concurrent requests per IP) and the
// retrying client (http-json.ts); answers are cached per data call for about as long as they cannot
// change (RIPESTAT_CACHE_TTL_MS).
import { totalsOf, type BgpGap, type BgpSnapshot, type BgpSourceResult, type RpkiCheck } from '../../core/bgp/model.ts'
import {
  dumpVisibilityOf,
  lookingGlassView,
  parseRipestatBody,
  rpkiCheckOf,
  updatesOf,
  type RipestatData,
  type RipestatParse,
} from '../../core/bgp/ripestat-normalise.ts'
import type { RipestatDataCall } from '../../core/bgp/ripestat-schemas.ts'
import { RIPESTAT_MAX_CONCURRENT_REQUESTS } from '../../core/bgp/settings.ts'
import type { BgpSource } from '../../ports/bgp-source.ts'
import { createCircuitBreaker, DEFAULT_CIRCUIT_BREAKER, type CircuitBreakerSettings } from './circuit-breaker.ts'
import { createHttpJsonClient, DEFAULT_HTTP_RETRY, type FetchLike, type HttpRetrySettings } from './http-json.ts'
import { createSemaphore } from './semaphore.ts'
import { createTtlCache } from './ttl-cache.ts'

const MINUTE_MS = 60_000
const HOUR_MS = 60 * MINUTE_MS

/**
 * How long an answer is reused, per data call:
 * - looking-glass 60 s: near-real-time data, but one cycle asks for each prefix from several places
 *   (site status, detectors, the view); a minute of reuse saves requests and loses nothing at a
 *   minutes-long poll.
 * - routing-status 30 min: it only changes at the RIB dumps (00:00, 08:00, 16:00 UTC); 30 min bounds
 *   how late a new dump is picked up.
 * - bgp-updates 5 min: the flap window is an hour or more; 5 min of lag does not change a verdict.
 * - rpki-validation 15 min: VRPs change on the validators' refresh cycle (BGPalerter refreshes its VRP
 *   list every 15 min).
 */
export const RIPESTAT_CACHE_TTL_MS = {
  'looking-glass': 1 * MINUTE_MS,
  'routing-status': 30 * MINUTE_MS,
  'bgp-updates': 5 * MINUTE_MS,
  'rpki-validation': 15 * MINUTE_MS,
} satisfies Partial<Record<RipestatDataCall, number>>

type SnapshotCall = keyof typeof RIPESTAT_CACHE_TTL_MS

export const RIPESTAT_DEFAULTS = {
  name: 'ripestat',
  baseUrl: 'https://stat.ripe.net',
  requestTimeoutMs: 10_000,
  maxConcurrentRequests: RIPESTAT_MAX_CONCURRENT_REQUESTS,
  /** RIS data lagging `now` by more than this is stale: RIS normally lags by well under a minute. */
  maxDataAgeMs: 15 * MINUTE_MS,
  updatesWindowMs: 2 * HOUR_MS,
  /** RIPEstat's own default: routes last confirmed more than a day ago are left out. */
  lookBackLimitSeconds: 86_400,
  /** The last good snapshot is shown (as stale) for this long after the source starts failing. */
  staleKeepMs: 6 * HOUR_MS,
  /** A hijack adds one origin; more than a few distinct origins is noise not worth a request each. */
  maxRpkiOrigins: 4,
}

export interface RipestatSourceOptions {
  /** RIPEstat's `sourceapp`: letters, digits, '-' and '_'. */
  sourceapp: string
  name?: string
  baseUrl?: string
  fetch?: FetchLike
  nowMs?: () => number
  random?: () => number
  requestTimeoutMs?: number
  maxConcurrentRequests?: number
  retry?: Partial<HttpRetrySettings>
  breaker?: CircuitBreakerSettings
  maxDataAgeMs?: number
  updatesWindowMs?: number
  lookBackLimitSeconds?: number
  staleKeepMs?: number
  maxRpkiOrigins?: number
  cacheTtlMs?: Partial<Record<SnapshotCall, number>>
}

type Settings = typeof RIPESTAT_DEFAULTS & { cacheTtlMs: Record<SnapshotCall, number> }

export function createRipestatSource(options: RipestatSourceOptions): BgpSource {
  const settings: Settings = {
    ...RIPESTAT_DEFAULTS,
    ...definedOnly(options),
    cacheTtlMs: { ...RIPESTAT_CACHE_TTL_MS, ...options.cacheTtlMs },
  }
  const nowMs = options.nowMs ?? Date.now
  const client = createHttpJsonClient({
    fetch: options.fetch ?? fetch,
    nowMs,
    random: options.random ?? Math.random,
    timeoutMs: settings.requestTimeoutMs,
    retry: { ...DEFAULT_HTTP_RETRY, ...options.retry },
    // RIPEstat's limit is per source IP: no setting may exceed it.
    semaphore: createSemaphore(Math.min(settings.maxConcurrentRequests, RIPESTAT_MAX_CONCURRENT_REQUESTS)),
    breaker: createCircuitBreaker(options.breaker ?? DEFAULT_CIRCUIT_BREAKER),
  })
  const answers = createTtlCache<unknown>({ keepMs: settings.staleKeepMs, maxEntries: 1_000 })
  const lastGood = createTtlCache<BgpSnapshot>({ keepMs: settings.staleKeepMs, maxEntries: 200 })

  /** `cacheParams` name the answer in the cache when `params` hold a moving time (bgp-updates' starttime). */
  async function call<C extends SnapshotCall>(
    name: C,
    params: Record<string, string>,
    signal: AbortSignal,
    cacheParams: Record<string, string> = params,
  ): Promise<RipestatParse<C>> {
    const key = `${name}?${new URLSearchParams(cacheParams)}`
    const cached = answers.fresh(key, nowMs())
    if (cached !== undefined) return { ok: true, data: cached as RipestatData<C> }
    const url = `${settings.baseUrl.replace(/\/+$/, '')}/data/${name}/data.json?${new URLSearchParams({ ...params, sourceapp: options.sourceapp })}`
    const response = await client({ url, label: name, signal })
    if (!response.ok) return response
    const parsed = parseRipestatBody(name, response.body)
    if (parsed.ok) answers.put(key, parsed.data, settings.cacheTtlMs[name], nowMs())
    return parsed
  }

  async function snapshot(prefix: string, signal: AbortSignal): Promise<BgpSourceResult> {
    const fetchedAt = nowMs()
    // Rounded to the minute so that the cache key and RIPEstat's own URL cache stay stable within a minute.
    const updatesFrom = Math.floor((fetchedAt - settings.updatesWindowMs) / MINUTE_MS) * MINUTE_MS
    const [lookingGlass, routingStatus, updates] = await Promise.all([
      call('looking-glass', { resource: prefix, look_back_limit: String(settings.lookBackLimitSeconds) }, signal),
      call('routing-status', { resource: prefix }, signal),
      call('bgp-updates', { resource: prefix, starttime: String(updatesFrom / 1000) }, signal, {
        resource: prefix,
        windowMs: String(settings.updatesWindowMs),
      }),
    ])
    if (!lookingGlass.ok) return fallback(prefix, lookingGlass.error)
    const view = lookingGlassView(lookingGlass.data)
    const rpki = await rpkiChecks(prefix, originsToValidate(view.routes), signal)
    const gaps: BgpGap[] = [
      ...(routingStatus.ok ? [] : [{ part: 'dump-visibility' as const, reason: routingStatus.error }]),
      ...(updates.ok ? [] : [{ part: 'updates' as const, reason: updates.error }]),
      ...rpki.gaps,
    ]
    const result: BgpSnapshot = {
      source: settings.name,
      prefix,
      fetchedAt,
      dataAt: view.dataAt ?? fetchedAt,
      collectors: view.collectors,
      routes: view.routes,
      totals: totalsOf(view.routes, null),
      dumpVisibility: routingStatus.ok ? dumpVisibilityOf(routingStatus.data, prefix) : null,
      updates: updates.ok ? updatesOf(updates.data, { from: updatesFrom, until: fetchedAt }) : null,
      rpki: rpki.checks,
      gaps,
    }
    const ageMs = fetchedAt - result.dataAt
    if (ageMs > settings.maxDataAgeMs) {
      return { kind: 'stale', source: settings.name, prefix, snapshot: result, reason: `RIS data is ${Math.round(ageMs / MINUTE_MS)} min old` }
    }
    lastGood.put(prefix, result, settings.staleKeepMs, fetchedAt)
    return { kind: 'snapshot', snapshot: result }
  }

  function originsToValidate(routes: BgpSnapshot['routes']): number[] {
    const origins = routes.flatMap((route) => (route.originAsn === null ? [] : [route.originAsn]))
    const peersByOrigin = new Map<number, number>()
    for (const origin of origins) peersByOrigin.set(origin, (peersByOrigin.get(origin) ?? 0) + 1)
    return [...peersByOrigin.entries()]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, settings.maxRpkiOrigins)
      .map(([origin]) => origin)
  }

  async function rpkiChecks(
    prefix: string,
    origins: readonly number[],
    signal: AbortSignal,
  ): Promise<{ checks: RpkiCheck[] | null; gaps: BgpGap[] }> {
    const answers = await Promise.all(origins.map((origin) => call('rpki-validation', { resource: String(origin), prefix }, signal)))
    const checks = answers.flatMap((answer, index) => (answer.ok ? [rpkiCheckOf(answer.data, origins[index] ?? 0)] : []))
    const gaps = answers.flatMap((answer) => (answer.ok ? [] : [{ part: 'rpki' as const, reason: answer.error }]))
    // Partial RPKI data would hide an invalid origin among the failed ones: all or nothing.
    return { checks: gaps.length === 0 ? checks : null, gaps }
  }

  function fallback(prefix: string, error: string): BgpSourceResult {
    const last = lastGood.lastGood(prefix, nowMs())
    if (last === undefined) return { kind: 'unavailable', source: settings.name, prefix, reason: error }
    const reason = `${error}; last good data from ${new Date(last.value.dataAt).toISOString()}`
    return { kind: 'stale', source: settings.name, prefix, snapshot: last.value, reason }
  }

  return { name: settings.name, snapshot }
}

/** The options that were given, so that an explicit `undefined` does not wipe a default. */
function definedOnly(options: RipestatSourceOptions): Partial<typeof RIPESTAT_DEFAULTS> {
  const keys = Object.keys(RIPESTAT_DEFAULTS) as (keyof typeof RIPESTAT_DEFAULTS)[]
  return Object.fromEntries(keys.flatMap((key) => (options[key] === undefined ? [] : [[key, options[key]]])))
}
