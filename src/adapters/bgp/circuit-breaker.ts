// Stops asking a source that keeps failing, or that said "come back later" for longer than we wait:
// requests then fail at once with the reason, instead of piling retries onto an outage (RIPEstat's
// July 2025 incident was worker exhaustion, which retries from every client only prolong).

export interface CircuitBreaker {
  /** Why requests may not go out now, or null when they may. */
  blockedReason(nowMs: number): string | null
  recordSuccess(): void
  /** A request failed for a reason worth retrying (timeout, 5xx, 429, network, malformed body), retries spent. */
  recordFailure(nowMs: number): void
  /** The server asked us to stay away until then (a long Retry-After). */
  holdUntil(untilMs: number, reason: string): void
}

export interface CircuitBreakerSettings {
  /** Failed requests in a row that open the breaker. */
  failureThreshold: number
  /** How long an open breaker refuses requests. */
  cooldownMs: number
}

export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerSettings = { failureThreshold: 5, cooldownMs: 60_000 }

export function createCircuitBreaker(settings: CircuitBreakerSettings = DEFAULT_CIRCUIT_BREAKER): CircuitBreaker {
  let failuresInRow = 0
  let openUntil = 0
  let openReason = ''
  return {
    blockedReason: (nowMs) =>
      nowMs < openUntil ? `not asking until ${new Date(openUntil).toISOString()} (${openReason})` : null,
    recordSuccess: () => {
      failuresInRow = 0
    },
    recordFailure: (nowMs) => {
      failuresInRow += 1
      if (failuresInRow < settings.failureThreshold) return
      openUntil = Math.max(openUntil, nowMs + settings.cooldownMs)
      openReason = `${failuresInRow} failed requests in a row`
    },
    holdUntil: (untilMs, reason) => {
      if (untilMs <= openUntil) return
      openUntil = untilMs
      openReason = reason
    },
  }
}
