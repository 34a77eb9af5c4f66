import { describe, expect, it } from 'vitest'
import type { AlertContext } from '../../../src/core/alerts/text.ts'
import {
  renderWebhookPayload,
  webhookHeaders,
  webhookSignedContent,
  webhookTimestamp,
} from '../../../src/core/alerts/webhook-payload.ts'
import { notification, OPENED_AT } from '../../support/notifications.ts'

const context: AlertContext = { statusPageUrl: 'https://status.example.net', targetLabel: 'K-root' }
const SENT_AT = OPENED_AT + 1_500

describe('the webhook payload', () => {
  it('is version 1 with the event, the notification id, the whole incident and the send time', () => {
    const sent = notification()
    expect(renderWebhookPayload(sent, context, SENT_AT)).toEqual({
      version: 1,
      event: 'trigger',
      notificationId: sent.id,
      notifiedAt: '2026-11-22T12:00:00.000Z',
      sentAt: '2026-11-22T12:00:01.500Z',
      targetLabel: 'K-root',
      incident: sent.incident,
      links: {
        statusPage: 'https://status.example.net',
        incident: 'https://status.example.net/incidents/k-root%2Fsite-down%2Fsite%3Afra1',
      },
    })
  })

  it('signs "<unix seconds>.<body>" and says so in headers, with the notification id for deduplication', () => {
    const sent = notification()
    const timestamp = webhookTimestamp(SENT_AT)
    expect(timestamp).toBe(String(OPENED_AT / 1000 + 1))
    expect(webhookSignedContent(timestamp, '{"a":1}')).toBe(`${timestamp}.{"a":1}`)
    expect(webhookHeaders({ notification: sent, timestamp, signatureHex: 'ab12' })).toEqual({
      'Content-Type': 'application/json',
      'X-Anycast-Monitor-Timestamp': timestamp,
      'X-Anycast-Monitor-Signature': 'v1=ab12',
      'X-Anycast-Monitor-Notification-Id': sent.id,
      'X-Anycast-Monitor-Event': 'trigger',
    })
  })
})
