// Notification -> the generic webhook's versioned JSON body and its headers.
//
// How a receiver verifies a delivery (the sink signs with WebCrypto, see adapters/alert/webhook.ts):
//   1. Read the raw body bytes as sent (before any JSON parsing) and the X-Anycast-Monitor-Timestamp
//      header (Unix seconds).
//   2. Reject the request when the timestamp is more than 5 minutes away from your clock (replays).
//   3. Compute HMAC-SHA256 with the shared secret (the UTF-8 bytes of the env var's value) over the
//      UTF-8 string `${timestamp}.${body}`, and hex-encode it in lowercase.
//   4. Compare `v1=<that hex>` with X-Anycast-Monitor-Signature in constant time.
//   5. Deduplicate on X-Anycast-Monitor-Notification-Id (also `notificationId` in the body): a
//      delivery whose answer was lost is sent again with the same id.
//   Node: `'v1=' + createHmac('sha256', secret).update(`${ts}.${rawBody}`).digest('hex')`.
import type { Incident, Notification, NotificationEvent } from '../findings.ts'
import { incidentUrl, isoTime, type AlertContext } from './text.ts'

export const WEBHOOK_PAYLOAD_VERSION = 1
export const WEBHOOK_SIGNATURE_SCHEME = 'v1'
export const WEBHOOK_TIMESTAMP_HEADER = 'X-Anycast-Monitor-Timestamp'
export const WEBHOOK_SIGNATURE_HEADER = 'X-Anycast-Monitor-Signature'
export const WEBHOOK_NOTIFICATION_ID_HEADER = 'X-Anycast-Monitor-Notification-Id'
export const WEBHOOK_EVENT_HEADER = 'X-Anycast-Monitor-Event'
/** What receivers are told to accept; the sender does not enforce it. */
export const WEBHOOK_RECOMMENDED_TOLERANCE_SECONDS = 300

export interface WebhookPayload {
  /** Bumped on any incompatible change of this shape. */
  version: typeof WEBHOOK_PAYLOAD_VERSION
  event: NotificationEvent
  notificationId: string
  /** When the incident policy produced the notification (ISO 8601). */
  notifiedAt: string
  /** When this attempt was sent (ISO 8601); differs between retries, unlike notificationId. */
  sentAt: string
  targetLabel: string
  incident: Incident
  links: { statusPage: string; incident: string }
}

export function renderWebhookPayload(notification: Notification, context: AlertContext, sentAtMs: number): WebhookPayload {
  return {
    version: WEBHOOK_PAYLOAD_VERSION,
    event: notification.event,
    notificationId: notification.id,
    notifiedAt: isoTime(notification.at),
    sentAt: isoTime(sentAtMs),
    targetLabel: context.targetLabel,
    incident: notification.incident,
    links: { statusPage: context.statusPageUrl, incident: incidentUrl(context.statusPageUrl, notification.incident.key) },
  }
}

/** Unix seconds, as the timestamp header carries them. */
export function webhookTimestamp(sentAtMs: number): string {
  return String(Math.floor(sentAtMs / 1000))
}

/** The exact string the HMAC covers: binding the timestamp stops replays of an old body. */
export function webhookSignedContent(timestamp: string, body: string): string {
  return `${timestamp}.${body}`
}

export function webhookHeaders(input: {
  notification: Notification
  timestamp: string
  signatureHex: string
}): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    [WEBHOOK_TIMESTAMP_HEADER]: input.timestamp,
    [WEBHOOK_SIGNATURE_HEADER]: `${WEBHOOK_SIGNATURE_SCHEME}=${input.signatureHex}`,
    [WEBHOOK_NOTIFICATION_ID_HEADER]: input.notification.id,
    [WEBHOOK_EVENT_HEADER]: input.notification.event,
  }
}
