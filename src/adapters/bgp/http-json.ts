// GET a JSON document with the manners a shared public API needs: a timeout on every attempt, a
// concurrency cap, retries with full-jitter exponential backoff on timeouts, network errors, 5xx, 429
// and unreadable bodies, Retry-After honoured (a longer wait than we are willing to make stops the
// source until then), and a circuit breaker. Never rejects: failures are results with a reason.
import { backoffDelayMs, parseRetryAfterMs, retryAfterDelayMs, type RetryPolicy } from '../../core/alerts/retry-policy.ts'
import type { CircuitBreaker } from './circuit-breaker.ts'
import type { Semaphore } from './semaphore.ts'
import { abortableSleep } from '../abortable-sleep.ts'

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

export interface HttpRetrySettings {
  /** Attempts per request, the first included. */
  maxAttempts: number
  /** Ceiling of the first backoff; doubles with every attempt (full jitter: the wait is uniform below it). */
  baseDelayMs: number
  maxDelayMs: number
  /** A Retry-After up to this long is waited out; a longer one ends the request and holds the source. */
  maxRetryAfterMs: number
}

/**
 * 3 attempts, backoff ceilings 500 ms then 1 s (so at most ~1.5 s of waiting), Retry-After honoured
 * up to 15 s: a snapshot stays well inside a monitor cycle, and an outage costs RIPEstat 3 requests
 * per call until the breaker opens.
 */
export const DEFAULT_HTTP_RETRY: HttpRetrySettings = { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 4_000, maxRetryAfterMs: 15_000 }
/** No retry sooner than this, however small the random draw. */
const MIN_RETRY_DELAY_MS = 50
/** Spread added to a Retry-After, so that clients told the same time do not come back together. */
const RETRY_AFTER_SPREAD_MS = 250
const RESPONSE_SNIPPET_CHARS = 200
const HTTP_REQUEST_TIMEOUT = 408
const HTTP_TOO_MANY_REQUESTS = 429
const HTTP_SERVER_ERROR = 500

export interface HttpJsonOptions {
  fetch: FetchLike
  nowMs: () => number
  /** Uniform in [0, 1), for the jitter. */
  random: () => number
  timeoutMs: number
  retry: HttpRetrySettings
  semaphore: Semaphore
  breaker: CircuitBreaker
  headers?: Record<string, string>
}

export interface JsonRequest {
  url: string
  /** How errors name the request (never the URL, which may carry a secret). */
  label: string
  signal: AbortSignal
}

export type JsonResult = { ok: true; body: unknown } | { ok: false; error: string }

type Attempt =
  | { ok: true; body: unknown }
  | { ok: false; error: string; retryable: boolean; retryAfterMs: number | null }

export type HttpJsonClient = (request: JsonRequest) => Promise<JsonResult>

export function createHttpJsonClient(options: HttpJsonOptions): HttpJsonClient {
  const policy = retryPolicyOf(options.retry)
  return async (request) => {
    const blocked = options.breaker.blockedReason(options.nowMs())
    if (blocked !== null) return { ok: false, error: `${request.label}: ${blocked}` }
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await options.semaphore.run(() => attemptOnce(options, request))
      if (outcome.ok) {
        options.breaker.recordSuccess()
        return outcome
      }
      const waitTooLong = outcome.retryAfterMs !== null && outcome.retryAfterMs > options.retry.maxRetryAfterMs
      if (waitTooLong) return holdFor(options, request, outcome.error, outcome.retryAfterMs ?? 0)
      if (!outcome.retryable || attempt >= options.retry.maxAttempts || request.signal.aborted) {
        if (outcome.retryable) options.breaker.recordFailure(options.nowMs())
        return { ok: false, error: `${request.label}: ${outcome.error}${attempt > 1 ? ` (after ${attempt} attempts)` : ''}` }
      }
      const delayMs =
        outcome.retryAfterMs === null ? backoffDelayMs(attempt, options.random, policy) : retryAfterDelayMs(outcome.retryAfterMs, options.random, policy)
      await abortableSleep(delayMs, request.signal)
    }
  }
}

function holdFor(options: HttpJsonOptions, request: JsonRequest, error: string, retryAfterMs: number): JsonResult {
  const seconds = Math.ceil(retryAfterMs / 1000)
  options.breaker.holdUntil(options.nowMs() + retryAfterMs, `the server asked for ${seconds} s of quiet`)
  return { ok: false, error: `${request.label}: ${error}; Retry-After ${seconds} s is longer than this source waits` }
}

function retryPolicyOf(retry: HttpRetrySettings): RetryPolicy {
  return {
    baseDelayMs: retry.baseDelayMs,
    maxDelayMs: retry.maxDelayMs,
    minDelayMs: MIN_RETRY_DELAY_MS,
    maxRetryAfterMs: retry.maxRetryAfterMs,
    retryAfterSpreadMs: RETRY_AFTER_SPREAD_MS,
    maxAttempts: retry.maxAttempts,
    maxAgeMs: Number.POSITIVE_INFINITY,
  }
}

async function attemptOnce(options: HttpJsonOptions, request: JsonRequest): Promise<Attempt> {
  const timeout = AbortSignal.timeout(options.timeoutMs)
  try {
    // One signal bounds the headers and the body: a server that stalls mid-body is cut off too.
    const response = await options.fetch(request.url, {
      method: 'GET',
      headers: { Accept: 'application/json', 'User-Agent': 'anycast-monitor', ...options.headers },
      signal: AbortSignal.any([request.signal, timeout]),
    })
    const text = await response.text()
    if (!response.ok) return httpFailure(response, text, options.nowMs())
    return parseBody(text)
  } catch (error) {
    if (timeout.aborted) return { ok: false, error: `no response within ${options.timeoutMs} ms`, retryable: true, retryAfterMs: null }
    if (request.signal.aborted) return { ok: false, error: 'cancelled', retryable: false, retryAfterMs: null }
    return { ok: false, error: `network error: ${errorText(error)}`, retryable: true, retryAfterMs: null }
  }
}

function httpFailure(response: Response, text: string, nowMs: number): Attempt {
  const status = response.status
  const retryable = status >= HTTP_SERVER_ERROR || status === HTTP_TOO_MANY_REQUESTS || status === HTTP_REQUEST_TIMEOUT
  const retryAfterMs = retryable ? parseRetryAfterMs(response.headers.get('Retry-After'), nowMs) : null
  return { ok: false, error: `HTTP ${status}${snippetOf(text)}`, retryable, retryAfterMs }
}

/** An HTML error page from a proxy in front of the API is an outage, worth another try. */
function parseBody(text: string): Attempt {
  try {
    return { ok: true, body: JSON.parse(text) as unknown }
  } catch {
    return { ok: false, error: `malformed JSON${snippetOf(text)}`, retryable: true, retryAfterMs: null }
  }
}

function snippetOf(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim()
  if (oneLine === '') return ''
  return `: ${oneLine.length > RESPONSE_SNIPPET_CHARS ? `${oneLine.slice(0, RESPONSE_SNIPPET_CHARS)}…` : oneLine}`
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message
}
