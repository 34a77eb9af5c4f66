// Slack incoming webhook: one Block Kit message per notification. Slack answers 200 "ok"; 429 comes
// with Retry-After (about one message per second per webhook).
import { renderSlackMessage } from '../../core/alerts/slack-message.ts'
import type { AlertSink } from '../../ports/alert-sink.ts'
import { postJson } from './post-json.ts'
import { requireHttpUrl, sinkRuntime, type SinkOptions } from './sink-options.ts'

export interface SlackSinkOptions extends SinkOptions {
  /** The secret: whoever has it can post to the channel. */
  webhookUrl: string
}

export function createSlackSink(options: SlackSinkOptions): AlertSink {
  requireHttpUrl(`alert:slack route "${options.route}"`, 'webhookUrl', options.webhookUrl)
  const runtime = sinkRuntime(options)
  return {
    route: options.route,
    kind: 'slack',
    send: (notification, signal) =>
      postJson({
        url: options.webhookUrl,
        body: JSON.stringify(renderSlackMessage(notification, runtime.contextFor(notification))),
        timeoutMs: runtime.timeoutMs,
        signal,
        fetch: runtime.fetch,
        nowMs: runtime.nowMs,
      }),
  }
}
