// Generic webhook: the versioned JSON payload of core/alerts/webhook-payload.ts (which documents how a
// receiver verifies it), signed with HMAC-SHA256 through WebCrypto, present in Node 20 and workerd.
import {
  renderWebhookPayload,
  webhookHeaders,
  webhookSignedContent,
  webhookTimestamp,
} from '../../core/alerts/webhook-payload.ts'
import { hmacSha256Hex, importHmacSha256Key } from '../../core/hmac.ts'
import type { AlertSink } from '../../ports/alert-sink.ts'
import { postJson } from './post-json.ts'
import { requireHttpUrl, sinkRuntime, type SinkOptions } from './sink-options.ts'

export interface WebhookSinkOptions extends SinkOptions {
  /** Receiver URL; not secret. */
  url: string
  /** HMAC-SHA256 key, shared with the receiver: the secret. */
  secret: string
}

export function createWebhookSink(options: WebhookSinkOptions): AlertSink {
  requireHttpUrl(`alert:webhook route "${options.route}"`, 'url', options.url)
  const runtime = sinkRuntime(options)
  const key = importHmacSha256Key(options.secret, 'sign')
  return {
    route: options.route,
    kind: 'webhook',
    send: async (notification, signal) => {
      const sentAtMs = runtime.nowMs()
      const body = JSON.stringify(renderWebhookPayload(notification, runtime.contextFor(notification), sentAtMs))
      const timestamp = webhookTimestamp(sentAtMs)
      const signatureHex = await hmacSha256Hex(await key, new TextEncoder().encode(webhookSignedContent(timestamp, body)))
      const headers = webhookHeaders({ notification, timestamp, signatureHex })
      return postJson({ url: options.url, body, headers, timeoutMs: runtime.timeoutMs, signal, fetch: runtime.fetch, nowMs: runtime.nowMs })
    },
  }
}

/** The documented signature of `body` sent at `timestamp` (Unix seconds), as lowercase hex. */
export async function signWebhookBody(secret: string, timestamp: string, body: string): Promise<string> {
  return hmacSha256Hex(await importHmacSha256Key(secret, 'sign'), new TextEncoder().encode(webhookSignedContent(timestamp, body)))
}

