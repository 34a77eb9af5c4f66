// PagerDuty Events API v2: trigger and resolve with the incident key as dedup_key. PagerDuty answers
// 202; 400 means the event is invalid (not retried); 429 and 5xx are retried.
import { PAGERDUTY_DEFAULT_EVENTS_URL, renderPagerDutyEvent } from '../../core/alerts/pagerduty-event.ts'
import type { AlertSink } from '../../ports/alert-sink.ts'
import { postJson } from './post-json.ts'
import { requireHttpUrl, sinkRuntime, type SinkOptions } from './sink-options.ts'

export interface PagerDutySinkOptions extends SinkOptions {
  /** The integration key of an Events API v2 integration: the secret. */
  routingKey: string
  /** Default PAGERDUTY_DEFAULT_EVENTS_URL; EU accounts use https://events.eu.pagerduty.com/v2/enqueue. */
  eventsUrl?: string
}

export const PAGERDUTY_REMINDER_SKIPPED = 'not sent: PagerDuty has no reminder event (its escalation policy re-notifies)'

export function createPagerDutySink(options: PagerDutySinkOptions): AlertSink {
  const eventsUrl = options.eventsUrl ?? PAGERDUTY_DEFAULT_EVENTS_URL
  requireHttpUrl(`alert:pagerduty route "${options.route}"`, 'eventsUrl', eventsUrl)
  const runtime = sinkRuntime(options)
  return {
    route: options.route,
    kind: 'pagerduty',
    send: async (notification, signal) => {
      const event = renderPagerDutyEvent(notification, runtime.contextFor(notification), options.routingKey)
      if (event === null) return { kind: 'delivered', detail: PAGERDUTY_REMINDER_SKIPPED }
      const body = JSON.stringify(event)
      return postJson({ url: eventsUrl, body, timeoutMs: runtime.timeoutMs, signal, fetch: runtime.fetch, nowMs: runtime.nowMs })
    },
  }
}
