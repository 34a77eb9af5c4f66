import { describe, expect, it } from 'vitest'
import {
  backoffDelayMs,
  decideDelivery,
  DEFAULT_RETRY_POLICY,
  parseRetryAfterMs,
  type AttemptOutcome,
} from '../../../src/core/alerts/retry-policy.ts'

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0)
const HOUR_MS = 3_600_000

function attempt(overrides: Partial<AttemptOutcome>): AttemptOutcome {
  return {
    attempt: 1,
    notifiedAt: NOW,
    result: { kind: 'retryable', error: 'HTTP 500', retryAfterMs: null },
    nowMs: NOW,
    random: () => 0.5,
    ...overrides,
  }
}

describe('the retry policy', () => {
  it('records a delivery as delivered with the receiver\'s answer', () => {
    expect(decideDelivery(attempt({ result: { kind: 'delivered', detail: 'HTTP 202' } }))).toEqual({ kind: 'delivered', at: NOW, detail: 'HTTP 202' })
  })

  it('waits at least the 7 s of a 429 with Retry-After: 7', () => {
    const result = { kind: 'retryable' as const, error: 'HTTP 429', retryAfterMs: 7000 }
    for (const draw of [0, 0.5, 0.999]) {
      const decision = decideDelivery(attempt({ result, random: () => draw }))
      expect(decision.kind).toBe('retry')
      if (decision.kind !== 'retry') return
      expect(decision.nextAttemptAt - NOW).toBeGreaterThanOrEqual(7000)
      expect(decision.nextAttemptAt - NOW).toBeLessThan(7000 + DEFAULT_RETRY_POLICY.retryAfterSpreadMs)
    }
  })

  it('cuts a Retry-After of a day to an hour', () => {
    const result = { kind: 'retryable' as const, error: 'HTTP 429', retryAfterMs: 24 * HOUR_MS }
    const decision = decideDelivery(attempt({ result, random: () => 0 }))
    expect(decision).toEqual({ kind: 'retry', at: NOW, nextAttemptAt: NOW + HOUR_MS, error: 'HTTP 429' })
  })

  it('backs off a 500 with full jitter: half of 5 s, 10 s, 20 s ... for a draw of 0.5, never above 10 minutes', () => {
    const delays = [1, 2, 3, 4, 10, 30].map((n) => {
      const decision = decideDelivery(attempt({ attempt: n }))
      return decision.kind === 'retry' ? decision.nextAttemptAt - NOW : null
    })
    expect(delays).toEqual([2500, 5000, 10_000, 20_000, 300_000, 300_000])
  })

  it('keeps every backoff within [1 s, min(10 min, 5 s * 2^(n-1))] whatever the draw', () => {
    for (const n of [1, 2, 5, 8, 50]) {
      const ceilingMs = Math.min(600_000, 5000 * 2 ** (n - 1))
      expect(backoffDelayMs(n, () => 0)).toBe(1000)
      expect(backoffDelayMs(n, () => 0.999_999)).toBeLessThanOrEqual(ceilingMs)
      expect(backoffDelayMs(n, () => 0.999_999)).toBeGreaterThan(ceilingMs * 0.99)
    }
  })

  it('fails a 400 at once, with the response', () => {
    const result = { kind: 'rejected' as const, error: 'HTTP 400: invalid_payload' }
    expect(decideDelivery(attempt({ result }))).toEqual({ kind: 'failed', at: NOW, error: 'HTTP 400: invalid_payload' })
  })

  it('gives up once the notification is 24 hours old', () => {
    const later = NOW + 24 * HOUR_MS
    expect(decideDelivery(attempt({ nowMs: later - 1 })).kind).toBe('retry')
    expect(decideDelivery(attempt({ nowMs: later }))).toEqual({ kind: 'failed', at: later, error: 'gave up after 1440 minutes: HTTP 500' })
  })

  it('gives up after the last allowed attempt', () => {
    const last = DEFAULT_RETRY_POLICY.maxAttempts
    expect(decideDelivery(attempt({ attempt: last - 1 })).kind).toBe('retry')
    expect(decideDelivery(attempt({ attempt: last }))).toEqual({ kind: 'failed', at: NOW, error: `gave up after ${last} attempts: HTTP 500` })
  })
})

describe('Retry-After', () => {
  it('reads delay-seconds and HTTP dates, and ignores what it cannot read', () => {
    expect(parseRetryAfterMs('7', NOW)).toBe(7000)
    expect(parseRetryAfterMs(' 120 ', NOW)).toBe(120_000)
    expect(parseRetryAfterMs(new Date(NOW + 30_000).toUTCString(), NOW)).toBe(30_000)
    expect(parseRetryAfterMs(new Date(NOW - 30_000).toUTCString(), NOW)).toBe(0)
    expect(parseRetryAfterMs('soon', NOW)).toBeNull()
    expect(parseRetryAfterMs('-5', NOW)).toBeNull()
    expect(parseRetryAfterMs(null, NOW)).toBeNull()
  })
})
