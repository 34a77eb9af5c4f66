// Each sink against a real HTTP server on 127.0.0.1 that records what it receives and answers as
// scripted. Nothing leaves the machine.
import { createHmac } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { createPagerDutySink, PAGERDUTY_REMINDER_SKIPPED } from '../../../src/adapters/alert/pagerduty.ts'
import { createSlackSink } from '../../../src/adapters/alert/slack.ts'
import { createWebhookSink, signWebhookBody } from '../../../src/adapters/alert/webhook.ts'
import type { AlertSink } from '../../../src/ports/alert-sink.ts'
import { startHttpReceiver, type HttpReceiver, type ScriptedAnswer } from '../../support/http-receiver.ts'
import { notification, OPENED_AT, resolveOf } from '../../support/notifications.ts'

const STATUS_PAGE = 'https://status.example.net'
const TIMEOUT_MS = 300
const NOW = OPENED_AT + 2_000
const ROUTING_KEY = 'R0UT1NGKEY0000000000000000000000'
const HMAC_SECRET = 'webhook-shared-secret'
const SLACK_SECRET_PATH = '/services/T000/B000/SECRETSECRETSECRET'

const receivers: HttpReceiver[] = []
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()))
})

async function receiver(...answers: ScriptedAnswer[]): Promise<HttpReceiver> {
  const started = await startHttpReceiver((_, index) => answers[Math.min(index, answers.length - 1)] as ScriptedAnswer)
  receivers.push(started)
  return started
}

const common = { statusPageUrl: STATUS_PAGE, targetLabels: { 'k-root': 'K-root' }, timeoutMs: TIMEOUT_MS, nowMs: () => NOW }
const slack = (base: string): AlertSink => createSlackSink({ ...common, route: 'ops-slack', webhookUrl: `${base}${SLACK_SECRET_PATH}` })
const pagerDuty = (base: string): AlertSink =>
  createPagerDutySink({ ...common, route: 'oncall', routingKey: ROUTING_KEY, eventsUrl: `${base}/v2/enqueue` })
const webhook = (base: string): AlertSink => createWebhookSink({ ...common, route: 'noc', url: `${base}/hooks/anycast`, secret: HMAC_SECRET })

const send = (sink: AlertSink, sent = notification()) => sink.send(sent, new AbortController().signal)
const PD_ACCEPTED = { status: 202, body: '{"status":"success","message":"Event processed","dedup_key":"k-root/site-down/site:fra1"}' }

describe('the Slack sink', () => {
  it('posts the Block Kit message as JSON and reports 200 ok as delivered', async () => {
    const slackApi = await receiver({ status: 200, body: 'ok' })
    expect(await send(slack(slackApi.url))).toEqual({ kind: 'delivered', detail: 'HTTP 200: ok' })
    const [request] = slackApi.received
    expect(request?.method).toBe('POST')
    expect(request?.path).toBe(SLACK_SECRET_PATH)
    expect(request?.headers['content-type']).toBe('application/json')
    const body = request?.json as { text: string; blocks: { type: string }[] }
    expect(body.text).toMatch(/^Triggered: site-down on K-root: /)
    expect(body.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: ':rotating_light: Triggered: site-down on K-root' } })
    expect(body.blocks.length).toBeLessThanOrEqual(50)
  })

  it('reports 429 as retryable with Retry-After in ms', async () => {
    const slackApi = await receiver({ status: 429, body: 'rate_limited', headers: { 'Retry-After': '7' } })
    expect(await send(slack(slackApi.url))).toEqual({ kind: 'retryable', error: 'HTTP 429: rate_limited', retryAfterMs: 7000 })
  })

  it('reports 500 as retryable without a Retry-After', async () => {
    const slackApi = await receiver({ status: 500, body: 'rollup_error' })
    expect(await send(slack(slackApi.url))).toEqual({ kind: 'retryable', error: 'HTTP 500: rollup_error', retryAfterMs: null })
  })

  it('reports 400 and 404 as rejected with the body', async () => {
    const slackApi = await receiver({ status: 400, body: 'invalid_payload' }, { status: 404, body: 'channel_not_found' })
    expect(await send(slack(slackApi.url))).toEqual({ kind: 'rejected', error: 'HTTP 400: invalid_payload' })
    expect(await send(slack(slackApi.url))).toEqual({ kind: 'rejected', error: 'HTTP 404: channel_not_found' })
  })

  it('gives up on a receiver that never answers after its timeout, as retryable', async () => {
    const slackApi = await receiver('never')
    const startedMs = performance.now()
    expect(await send(slack(slackApi.url))).toEqual({ kind: 'retryable', error: `no response within ${TIMEOUT_MS} ms`, retryAfterMs: null })
    expect(performance.now() - startedMs).toBeLessThan(TIMEOUT_MS * 5)
    expect(slackApi.received).toHaveLength(1)
  })

  it('does not follow a redirect', async () => {
    const slackApi = await receiver({ status: 302, headers: { Location: 'http://127.0.0.1:9/elsewhere' } })
    expect(await send(slack(slackApi.url))).toEqual({ kind: 'rejected', error: 'HTTP 302' })
  })

  it('reports a refused connection as retryable, without the secret URL in the error', async () => {
    const closed = await receiver({ status: 200 })
    const url = closed.url
    await closed.close()
    receivers.splice(receivers.indexOf(closed), 1)
    const result = await send(slack(url))
    expect(result.kind).toBe('retryable')
    expect(JSON.stringify(result)).toMatch(/network error/)
    expect(JSON.stringify(result)).not.toContain('SECRET')
  })

  it('refuses to start with a webhook URL that does not parse, without repeating it', () => {
    expect(() => createSlackSink({ ...common, route: 'ops-slack', webhookUrl: 'hooks.slack.com/SECRET' })).toThrow(
      'alert:slack route "ops-slack": webhookUrl is not a valid URL',
    )
  })
})

describe('the PagerDuty sink', () => {
  it('triggers and resolves with the same dedup_key and reports 202 as delivered', async () => {
    const events = await receiver(PD_ACCEPTED)
    const sink = pagerDuty(events.url)
    const opened = notification()
    expect(await send(sink, opened)).toEqual({ kind: 'delivered', detail: `HTTP 202: ${PD_ACCEPTED.body}` })
    expect(await send(sink, resolveOf(opened, OPENED_AT + 60_000))).toMatchObject({ kind: 'delivered' })

    const [trigger, resolve] = events.received
    expect(trigger?.path).toBe('/v2/enqueue')
    expect(trigger?.headers['content-type']).toBe('application/json')
    expect(trigger?.json).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: 'k-root/site-down/site:fra1',
      payload: {
        summary: '[K-root] site-down: site fra1 stopped answering: its vantages now reach lhr1 or time out',
        source: '198.51.100.53',
        severity: 'critical',
        timestamp: '2026-11-22T12:00:00.000Z',
        component: 'fra1',
        group: 'k-root',
        class: 'site-down',
        custom_details: { sites: ['fra1'], vantages: ['par', 'ams'], notification_id: opened.id },
      },
      links: [{ href: `${STATUS_PAGE}/incidents/k-root%2Fsite-down%2Fsite%3Afra1` }],
    })
    expect(resolve?.json).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: 'k-root/site-down/site:fra1' })
  })

  it('sends nothing for a reminder', async () => {
    const events = await receiver(PD_ACCEPTED)
    expect(await send(pagerDuty(events.url), notification({ event: 'reminder' }))).toEqual({ kind: 'delivered', detail: PAGERDUTY_REMINDER_SKIPPED })
    expect(events.received).toHaveLength(0)
  })

  it('reports 400 invalid event as rejected with the response', async () => {
    const body = '{"status":"invalid event","message":"Event object is invalid","errors":["Length of \'summary\' is incorrect"]}'
    const events = await receiver({ status: 400, body })
    expect(await send(pagerDuty(events.url))).toEqual({ kind: 'rejected', error: `HTTP 400: ${body}` })
  })

  it('reads a Retry-After given as an HTTP date', async () => {
    const events = await receiver({ status: 429, headers: { 'Retry-After': new Date(NOW + 30_000).toUTCString() } })
    expect(await send(pagerDuty(events.url))).toEqual({ kind: 'retryable', error: 'HTTP 429', retryAfterMs: 30_000 })
  })

  it('retries a 502 from the load balancer', async () => {
    const events = await receiver({ status: 502, body: '<html>Bad Gateway</html>' })
    expect(await send(pagerDuty(events.url))).toEqual({ kind: 'retryable', error: 'HTTP 502: <html>Bad Gateway</html>', retryAfterMs: null })
  })
})

describe('the webhook sink', () => {
  it('posts the versioned payload with a signature that verifies by the documented recipe', async () => {
    const hooks = await receiver({ status: 202 })
    const sent = notification()
    expect(await send(webhook(hooks.url), sent)).toEqual({ kind: 'delivered', detail: 'HTTP 202' })

    const [request] = hooks.received
    expect(request?.path).toBe('/hooks/anycast')
    expect(request?.headers['content-type']).toBe('application/json')
    const timestamp = request?.headers['x-anycast-monitor-timestamp']
    expect(timestamp).toBe(String(Math.floor(NOW / 1000)))
    const expected = `v1=${createHmac('sha256', HMAC_SECRET).update(`${timestamp}.${request?.body}`).digest('hex')}`
    expect(request?.headers['x-anycast-monitor-signature']).toBe(expected)
    expect(request?.headers['x-anycast-monitor-notification-id']).toBe(sent.id)
    expect(request?.headers['x-anycast-monitor-event']).toBe('trigger')
    expect(request?.json).toMatchObject({
      version: 1,
      event: 'trigger',
      notificationId: sent.id,
      sentAt: new Date(NOW).toISOString(),
      incident: { key: 'k-root/site-down/site:fra1', status: 'open' },
    })
  })

  it('signs so that a changed body or timestamp no longer verifies', async () => {
    const timestamp = '1795003200'
    const signature = await signWebhookBody(HMAC_SECRET, timestamp, '{"version":1}')
    expect(signature).toBe(createHmac('sha256', HMAC_SECRET).update(`${timestamp}.{"version":1}`).digest('hex'))
    expect(await signWebhookBody(HMAC_SECRET, timestamp, '{"version":2}')).not.toBe(signature)
    expect(await signWebhookBody(HMAC_SECRET, '1795003201', '{"version":1}')).not.toBe(signature)
    expect(await signWebhookBody('another-secret', timestamp, '{"version":1}')).not.toBe(signature)
  })

  it('reports 503 with Retry-After as retryable and 401 as rejected', async () => {
    const hooks = await receiver({ status: 503, headers: { 'Retry-After': '120' } }, { status: 401, body: 'bad signature' })
    expect(await send(webhook(hooks.url))).toEqual({ kind: 'retryable', error: 'HTTP 503', retryAfterMs: 120_000 })
    expect(await send(webhook(hooks.url))).toEqual({ kind: 'rejected', error: 'HTTP 401: bad signature' })
  })
})
