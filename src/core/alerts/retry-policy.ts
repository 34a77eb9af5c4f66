// What the outbox does after one delivery attempt: done, try again later, or give up.
// Backoff is exponential with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"),
// so that after an outage of a receiver the queued notifications do not all come back at once.

/**
 * How one attempt went. The same shape as ports' SinkResult, restated here because the core imports
 * nothing outside itself; TypeScript's structural typing keeps the two interchangeable.
 */
export type AttemptResult =
  | { kind: 'delivered'; detail: string }
  | { kind: 'retryable'; error: string; retryAfterMs: number | null }
  | { kind: 'rejected'; error: string }

export interface RetryPolicy {
  /** Ceiling of the first retry's delay; doubles with every attempt. */
  baseDelayMs: number
  /** Highest ceiling the doubling reaches. */
  maxDelayMs: number
  /** No retry sooner than this, however small the random draw (keeps a broken receiver from a hot loop). */
  minDelayMs: number
  /** A Retry-After longer than this is cut to it. */
  maxRetryAfterMs: number
  /** Added on top of Retry-After, times random(): senders told the same Retry-After do not return together. */
  retryAfterSpreadMs: number
  /** Attempts (this one included) after which a retryable failure becomes failed. */
  maxAttempts: number
  /** Age of the notification after which a retryable failure becomes failed. */
  maxAgeMs: number
}

const SECOND_MS = 1000
const MINUTE_MS = 60 * SECOND_MS
const HOUR_MS = 60 * MINUTE_MS

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 5 * SECOND_MS,
  maxDelayMs: 10 * MINUTE_MS,
  minDelayMs: 1 * SECOND_MS,
  maxRetryAfterMs: 1 * HOUR_MS,
  retryAfterSpreadMs: 1 * SECOND_MS,
  maxAttempts: 200,
  maxAgeMs: 24 * HOUR_MS,
}

export interface AttemptOutcome {
  /** Which attempt this was, counting from 1. */
  attempt: number
  /** Epoch ms at which the notification was produced: the start of its age. */
  notifiedAt: number
  result: AttemptResult
  nowMs: number
  /** Uniform in [0, 1). */
  random: () => number
}

/** The same shape as ports' DeliveryResult, for the same reason. */
export type DeliveryDecision =
  | { kind: 'delivered'; at: number; detail: string }
  | { kind: 'retry'; at: number; nextAttemptAt: number; error: string }
  | { kind: 'failed'; at: number; error: string }

export function decideDelivery(outcome: AttemptOutcome, policy: RetryPolicy = DEFAULT_RETRY_POLICY): DeliveryDecision {
  const { result, nowMs } = outcome
  switch (result.kind) {
    case 'delivered':
      return { kind: 'delivered', at: nowMs, detail: result.detail }
    case 'rejected':
      return { kind: 'failed', at: nowMs, error: result.error }
    case 'retryable':
      return retryOrGiveUp(outcome, result.error, result.retryAfterMs, policy)
  }
}

function retryOrGiveUp(outcome: AttemptOutcome, error: string, retryAfterMs: number | null, policy: RetryPolicy): DeliveryDecision {
  const { attempt, nowMs } = outcome
  const ageMs = nowMs - outcome.notifiedAt
  if (attempt >= policy.maxAttempts) {
    return { kind: 'failed', at: nowMs, error: `gave up after ${attempt} attempts: ${error}` }
  }
  if (ageMs >= policy.maxAgeMs) {
    return { kind: 'failed', at: nowMs, error: `gave up after ${Math.round(ageMs / MINUTE_MS)} minutes: ${error}` }
  }
  const delayMs =
    retryAfterMs === null ? backoffDelayMs(attempt, outcome.random, policy) : retryAfterDelayMs(retryAfterMs, outcome.random, policy)
  return { kind: 'retry', at: nowMs, nextAttemptAt: nowMs + delayMs, error }
}

/** Full jitter: uniform in [min, min(max, base * 2^(attempt-1))]. */
export function backoffDelayMs(attempt: number, random: () => number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): number {
  const ceilingMs = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1))
  return Math.max(policy.minDelayMs, Math.floor(random() * ceilingMs))
}

/** The receiver's own word, capped, plus a little spread. */
export function retryAfterDelayMs(retryAfterMs: number, random: () => number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): number {
  const waitMs = Math.min(Math.max(0, retryAfterMs), policy.maxRetryAfterMs)
  return Math.max(policy.minDelayMs, waitMs + Math.floor(random() * policy.retryAfterSpreadMs))
}

/**
 * Retry-After (RFC 9110 §10.2.3) as ms from `nowMs`: delay-seconds or an HTTP-date. A date in the past
 * is 0; anything unreadable is null (the caller then backs off as if there were no header).
 */
export function parseRetryAfterMs(value: string | null, nowMs: number): number | null {
  if (value === null) return null
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * SECOND_MS
  // Every HTTP-date form names a month or weekday; without this, Date.parse reads '-5' as a year.
  const dateMs = /[A-Za-z]/.test(trimmed) ? Date.parse(trimmed) : Number.NaN
  if (Number.isNaN(dateMs)) return null
  return Math.max(0, dateMs - nowMs)
}
