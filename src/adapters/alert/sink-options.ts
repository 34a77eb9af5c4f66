// What every alert sink is built from besides its own secret.
import type { AlertContext } from '../../core/alerts/text.ts'
import type { Notification } from '../../core/findings.ts'
import { DEFAULT_SEND_TIMEOUT_MS, type FetchLike } from './post-json.ts'

export interface SinkOptions {
  /** The route's name from the config. */
  route: string
  /** Base URL of the public status page, linked from every message. */
  statusPageUrl: string
  /** Target id -> human-readable label (the config's targets[].label); the id is shown when absent. */
  targetLabels?: Readonly<Record<string, string>>
  /** Per request; default DEFAULT_SEND_TIMEOUT_MS. */
  timeoutMs?: number
  /** Default: the global fetch. */
  fetch?: FetchLike
  /** Wall clock in epoch ms, for Retry-After dates and the webhook's timestamp; default Date.now. */
  nowMs?: () => number
}

export interface SinkRuntime {
  timeoutMs: number
  fetch: FetchLike
  nowMs: () => number
  contextFor: (notification: Notification) => AlertContext
}

export function sinkRuntime(options: SinkOptions): SinkRuntime {
  return {
    timeoutMs: options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    nowMs: options.nowMs ?? (() => Date.now()),
    contextFor: (notification) => ({
      statusPageUrl: options.statusPageUrl,
      targetLabel: options.targetLabels?.[notification.incident.target] ?? notification.incident.target,
    }),
  }
}

/** Thrown at start-up only; never repeats the URL, which may be the secret. */
export class AlertSinkConfigError extends Error {
  constructor(origin: string, message: string) {
    super(`${origin}: ${message}`)
    this.name = 'AlertSinkConfigError'
  }
}

export function requireHttpUrl(origin: string, field: string, url: string): void {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new AlertSinkConfigError(origin, `${field} is not a valid URL`)
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new AlertSinkConfigError(origin, `${field} must be an http(s) URL`)
  }
}
