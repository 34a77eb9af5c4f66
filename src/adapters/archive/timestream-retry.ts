// Which Timestream failures are worth another attempt, and the attempts themselves: throttling (429,
// ThrottlingException), server faults (5xx, InternalServerException) and the network failing before any
// answer are retried with full-jitter exponential backoff; anything else (validation, access, a missing
// table) is final at once.
import { backoffDelayMs, type RetryPolicy } from '../../core/alerts/retry-policy.ts'

export interface ArchiveRetrySettings {
  /** Attempts per call, the first included. */
  maxAttempts: number
  /** Ceiling of the first backoff; doubles with every attempt (full jitter: the wait is uniform below it). */
  baseDelayMs: number
  maxDelayMs: number
}

/** 4 attempts, waits below 200 ms, 400 ms, 800 ms: at most ~1.4 s added to a cycle by a throttled call. */
export const DEFAULT_ARCHIVE_RETRY: ArchiveRetrySettings = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 2_000 }
/** No retry sooner than this, however small the random draw. */
const MIN_RETRY_DELAY_MS = 20

const RETRYABLE_ERROR_NAMES = new Set(['ThrottlingException', 'InternalServerException', 'ServiceUnavailable', 'ServiceUnavailableException', 'TimeoutError', 'RequestTimeout'])
const RETRYABLE_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'])
const HTTP_TOO_MANY_REQUESTS = 429
const HTTP_SERVER_ERROR = 500

export function isRetryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  if (error.name === 'AbortError') return false
  if (RETRYABLE_ERROR_NAMES.has(error.name)) return true
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
  if (status !== undefined) return status === HTTP_TOO_MANY_REQUESTS || status >= HTTP_SERVER_ERROR
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code)
}

export interface RetryDeps {
  settings: ArchiveRetrySettings
  /** Uniform in [0, 1), for the jitter. */
  random: () => number
  sleep: (ms: number) => Promise<void>
}

export type Attempted<T> = { ok: true; value: T; attempts: number } | { ok: false; error: unknown; attempts: number }

/** Runs `call` until it succeeds, fails for good, or has used its attempts; never rejects. */
export async function withRetries<T>(deps: RetryDeps, call: () => Promise<T>): Promise<Attempted<T>> {
  const policy = retryPolicyOf(deps.settings)
  for (let attempt = 1; ; attempt += 1) {
    try {
      return { ok: true, value: await call(), attempts: attempt }
    } catch (error) {
      if (!isRetryable(error) || attempt >= deps.settings.maxAttempts) return { ok: false, error, attempts: attempt }
      await deps.sleep(backoffDelayMs(attempt, deps.random, policy))
    }
  }
}

function retryPolicyOf(settings: ArchiveRetrySettings): RetryPolicy {
  return {
    baseDelayMs: settings.baseDelayMs,
    maxDelayMs: settings.maxDelayMs,
    minDelayMs: MIN_RETRY_DELAY_MS,
    maxRetryAfterMs: 0,
    retryAfterSpreadMs: 0,
    maxAttempts: settings.maxAttempts,
    maxAgeMs: Number.POSITIVE_INFINITY,
  }
}
