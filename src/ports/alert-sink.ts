import type { Notification } from '../core/findings.ts'

/** How one delivery attempt went, in terms the outbox can act on. */
export type SinkResult =
  | { kind: 'delivered'; detail: string }
  /** Worth trying again: a timeout, a network error, 5xx, 429. retryAfterMs from Retry-After when given. */
  | { kind: 'retryable'; error: string; retryAfterMs: number | null }
  /** Trying again cannot help (4xx other than 429): recorded as failed with the response. */
  | { kind: 'rejected'; error: string }

export interface AlertSink {
  /** The route name from the config, e.g. 'oncall-pagerduty'. */
  readonly route: string
  readonly kind: 'slack' | 'pagerduty' | 'webhook'
  send(notification: Notification, signal: AbortSignal): Promise<SinkResult>
}
