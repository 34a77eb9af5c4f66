// The outbox deliverer with the in-memory store and the real sinks posting to HTTP receivers on
// 127.0.0.1. The store's clock is a variable the tests move; receiver timeouts are real (short) ones.
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { createPagerDutySink } from '../../src/adapters/alert/pagerduty.ts'
import { createSlackSink } from '../../src/adapters/alert/slack.ts'
import { createWebhookSink } from '../../src/adapters/alert/webhook.ts'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryStore } from '../../src/adapters/store/memory.ts'
import { createSqliteStore } from '../../src/adapters/store/sqlite.ts'
import { deliverDueNotifications, type DeliverDeps, type DeliveryReport } from '../../src/app/deliver-outbox.ts'
import type { Notification } from '../../src/core/findings.ts'
import type { AlertSink } from '../../src/ports/alert-sink.ts'
import type { MonitorStore } from '../../src/ports/store.ts'
import { startHttpReceiver, type HttpReceiver, type ReceivedRequest, type ScriptedAnswer } from '../support/http-receiver.ts'
import { finding, incident, notification, OPENED_AT } from '../support/notifications.ts'
import { mulberry32 } from '../support/seeded-random.ts'

const SEND_TIMEOUT_MS = 300
const LEASE_MS = 60_000
const SLACK_OK: ScriptedAnswer = { status: 200, body: 'ok' }
const PD_ACCEPTED: ScriptedAnswer = { status: 202, body: '{"status":"success","message":"Event processed"}' }

const receivers: HttpReceiver[] = []
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()))
})

async function receiver(script: (request: ReceivedRequest, index: number) => ScriptedAnswer): Promise<HttpReceiver> {
  const started = await startHttpReceiver(script)
  receivers.push(started)
  return started
}

/** Answers in order, repeating the last. */
const inOrder = (...answers: ScriptedAnswer[]) => (_: ReceivedRequest, index: number) => answers[Math.min(index, answers.length - 1)] as ScriptedAnswer

interface World {
  store: MonitorStore
  /** What a restart of the monitor does to its store: nothing in memory, close and reopen the same SQLite file. */
  restart: () => Promise<void>
  clock: { nowMs: () => number; monotonicMs: () => number }
  setNow: (epochMs: number) => void
  now: () => number
}

function world(): World {
  let nowMs = OPENED_AT
  return {
    store: createMemoryStore(),
    restart: async () => {},
    clock: { nowMs: () => nowMs, monotonicMs: () => performance.now() },
    setNow: (epochMs) => {
      nowMs = epochMs
    },
    now: () => nowMs,
  }
}

/** A world whose store is a SQLite file, reopened on restart as a new monitor process would. */
function sqliteWorld(): World {
  const w = world()
  const dir = mkdtempSync(join(tmpdir(), 'outbox-restart-'))
  const path = join(dir, 'monitor.sqlite')
  const open = () => createSqliteStore({ path, clock: w.clock })
  const sqlite: World = { ...w, store: open(), restart: async () => {
    await sqlite.store.close()
    sqlite.store = open()
  } }
  onTestFinished(async () => {
    await sqlite.store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return sqlite
}

/** The way notifications reach the outbox in production: with the policy's state, once per route. */
async function enqueue(store: MonitorStore, notifications: readonly Notification[], routes: readonly string[]): Promise<void> {
  const { version } = await store.loadPolicyState('k-root')
  const outbox = notifications.flatMap((sent) => routes.map((route) => ({ route, notification: sent })))
  const saved = await store.savePolicyState('k-root', version, { step: version + 1 }, notifications.map((sent) => sent.incident), outbox)
  if (!saved) throw new Error('the test enqueued concurrently')
}

const common = (w: World) => ({
  statusPageUrl: 'https://status.example.net',
  targetLabels: { 'k-root': 'K-root' },
  timeoutMs: SEND_TIMEOUT_MS,
  nowMs: w.clock.nowMs,
})

function sinksFor(w: World, urls: { slack?: string; pagerduty?: string; webhook?: string }): Map<string, AlertSink> {
  const sinks: AlertSink[] = []
  if (urls.slack) sinks.push(createSlackSink({ ...common(w), route: 'ops-slack', webhookUrl: `${urls.slack}/services/T/B/X` }))
  if (urls.pagerduty) {
    sinks.push(createPagerDutySink({ ...common(w), route: 'oncall', routingKey: 'R0UT1NGKEY', eventsUrl: `${urls.pagerduty}/v2/enqueue` }))
  }
  if (urls.webhook) sinks.push(createWebhookSink({ ...common(w), route: 'noc', url: `${urls.webhook}/hook`, secret: 'hmac-secret' }))
  return new Map(sinks.map((sink) => [sink.route, sink]))
}

function deps(w: World, sinks: Map<string, AlertSink>, extra: Partial<DeliverDeps> = {}): DeliverDeps {
  return {
    store: w.store,
    sinks,
    clock: w.clock,
    random: mulberry32(7),
    limits: { sendTimeoutMs: SEND_TIMEOUT_MS * 2, leaseMs: LEASE_MS, concurrency: 3, batchSize: 10 },
    ...extra,
  }
}

/** Runs the deliverer, moving the clock to the next due item, until nothing is pending. */
async function deliverUntilSettled(w: World, run: DeliverDeps, maxRuns = 50): Promise<DeliveryReport[]> {
  const reports: DeliveryReport[] = []
  for (let runs = 0; runs < maxRuns; runs++) {
    reports.push(await deliverDueNotifications(run))
    const pending = await w.store.outbox({ status: 'pending' })
    if (pending.length === 0) return reports
    w.setNow(Math.max(w.now(), Math.min(...pending.map((item) => item.nextAttemptAt))))
  }
  throw new Error(`still pending after ${maxRuns} runs`)
}

async function onlyItem(store: MonitorStore) {
  const [item, ...others] = await store.outbox({})
  expect(others).toEqual([])
  return item!
}

const sixNotifications = (): Notification[] =>
  ['fra1', 'ams1', 'lhr1', 'cdg1', 'waw1', 'mad1'].map((site) =>
    notification({ incident: incident({ lastFinding: finding({ scope: `site:${site}`, summary: `site ${site} down` }) }) }),
  )

/** Which notification a received request carried, by the id each format exposes. */
function notificationIdOf(route: 'ops-slack' | 'oncall' | 'noc', request: ReceivedRequest): string {
  if (route === 'noc') return String(request.headers['x-anycast-monitor-notification-id'])
  if (route === 'oncall') return String((request.json as { payload: { custom_details: { notification_id: string } } }).payload.custom_details.notification_id)
  const blocks = (request.json as { blocks: { type: string; elements?: { text: string }[] }[] }).blocks
  const footer = blocks.at(-1)?.elements?.[0]?.text ?? ''
  return footer.split(' · notification ')[1] ?? ''
}

function acceptedIds(route: 'ops-slack' | 'oncall' | 'noc', received: readonly ReceivedRequest[]): string[] {
  return received
    .filter((request) => request.answeredStatus !== null && request.answeredStatus < 300)
    .map((request) => notificationIdOf(route, request))
    .sort()
}

describe('delivering the outbox', () => {
  it('delivers exactly once after a 500 then a 202', async () => {
    const w = world()
    const events = await receiver(inOrder({ status: 500, body: 'oops' }, PD_ACCEPTED))
    await enqueue(w.store, [notification()], ['oncall'])
    const run = deps(w, sinksFor(w, { pagerduty: events.url }))

    expect(await deliverDueNotifications(run)).toEqual({ claimed: 1, delivered: 0, retried: 1, failed: 0, notStarted: 0, errors: [] })
    const waiting = await onlyItem(w.store)
    expect(waiting).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 500: oops' })
    expect(waiting.nextAttemptAt - w.now()).toBeGreaterThanOrEqual(1000)
    expect(waiting.nextAttemptAt - w.now()).toBeLessThanOrEqual(5000)

    expect((await deliverDueNotifications(run)).claimed).toBe(0)
    w.setNow(waiting.nextAttemptAt)
    expect(await deliverDueNotifications(run)).toMatchObject({ claimed: 1, delivered: 1 })
    w.setNow(w.now() + 48 * 3_600_000)
    expect((await deliverDueNotifications(run)).claimed).toBe(0)

    expect(events.received.map((request) => request.answeredStatus)).toEqual([500, 202])
    expect(events.received[0]?.body).toBe(events.received[1]?.body)
    expect(await onlyItem(w.store)).toMatchObject({ status: 'delivered', attempts: 2 })
  })

  it('waits for the Retry-After of a 429 before trying again', async () => {
    const w = world()
    const slack = await receiver(inOrder({ status: 429, body: 'rate_limited', headers: { 'Retry-After': '7' } }, SLACK_OK))
    await enqueue(w.store, [notification()], ['ops-slack'])
    const run = deps(w, sinksFor(w, { slack: slack.url }))

    expect(await deliverDueNotifications(run)).toMatchObject({ retried: 1 })
    const { nextAttemptAt } = await onlyItem(w.store)
    expect(nextAttemptAt - OPENED_AT).toBeGreaterThanOrEqual(7000)
    w.setNow(OPENED_AT + 6999)
    expect((await deliverDueNotifications(run)).claimed).toBe(0)
    w.setNow(nextAttemptAt)
    expect(await deliverDueNotifications(run)).toMatchObject({ delivered: 1 })
    expect(slack.received).toHaveLength(2)
  })

  it('records a 400 as failed with the response and never sends it again', async () => {
    const w = world()
    const hooks = await receiver(inOrder({ status: 400, body: 'unknown event version' }))
    await enqueue(w.store, [notification()], ['noc'])
    const run = deps(w, sinksFor(w, { webhook: hooks.url }))

    expect(await deliverDueNotifications(run)).toMatchObject({ claimed: 1, failed: 1 })
    w.setNow(OPENED_AT + 48 * 3_600_000)
    expect((await deliverDueNotifications(run)).claimed).toBe(0)
    expect(hooks.received).toHaveLength(1)
    expect(await onlyItem(w.store)).toMatchObject({ status: 'failed', lastError: 'HTTP 400: unknown event version' })
  })

  it('tries a receiver that never answered again after the timeout', async () => {
    const w = world()
    const slack = await receiver(inOrder('never', SLACK_OK))
    await enqueue(w.store, [notification()], ['ops-slack'])
    const run = deps(w, sinksFor(w, { slack: slack.url }))

    expect(await deliverDueNotifications(run)).toMatchObject({ retried: 1 })
    expect(await onlyItem(w.store)).toMatchObject({ status: 'pending', lastError: `no response within ${SEND_TIMEOUT_MS} ms` })
    await deliverUntilSettled(w, run)
    expect(slack.received.map((request) => request.answeredStatus)).toEqual([null, 200])
    expect(await onlyItem(w.store)).toMatchObject({ status: 'delivered' })
  })

  it('fails an item whose route is not configured, naming the route', async () => {
    const w = world()
    await enqueue(w.store, [notification()], ['removed-route'])
    expect(await deliverDueNotifications(deps(w, new Map()))).toMatchObject({ failed: 1 })
    expect(await onlyItem(w.store)).toMatchObject({
      status: 'failed',
      lastError: 'no alert sink for route "removed-route": it is not among the configured routes',
    })
  })

  it('does not let a silent receiver or a throwing sink hold up the other routes', async () => {
    const w = world()
    const events = await receiver(inOrder('never'))
    const slack = await receiver(inOrder(SLACK_OK))
    const broken: AlertSink = {
      route: 'broken',
      kind: 'webhook',
      send: () => Promise.reject(new Error('bug in the sink')),
    }
    const sinks = sinksFor(w, { slack: slack.url, pagerduty: events.url }).set('broken', broken)
    await enqueue(w.store, sixNotifications(), ['oncall', 'broken', 'ops-slack'])

    const report = await deliverDueNotifications(deps(w, sinks, { limits: { concurrency: 2, batchSize: 18, sendTimeoutMs: SEND_TIMEOUT_MS } }))
    expect(report).toEqual({ claimed: 18, delivered: 6, retried: 12, failed: 0, notStarted: 0, errors: [] })
    expect(acceptedIds('ops-slack', slack.received)).toEqual(sixNotifications().map((sent) => sent.id).sort())
    const broke = (await w.store.outbox({ status: 'pending' })).filter((item) => item.route === 'broken')
    expect(broke.map((item) => item.lastError)).toEqual(Array(6).fill('alert:webhook sink threw: bug in the sink'))
  })

  it.each(['memory', 'sqlite file'])('loses nothing and sends nothing twice across a stop mid-way, a crash after a claim and a restart (%s store)', async (kind) => {
    const w = kind === 'memory' ? world() : sqliteWorld()
    const stop = new AbortController()
    const slack = await receiver((_, index) => {
      if (index === 2) stop.abort() // the operator stops the monitor while the third Slack message is on its way
      return index < 2 ? { status: 500, body: 'rollup_error' } : { ...SLACK_OK, delayMs: 20 } as ScriptedAnswer
    })
    const events = await receiver((_, index) => (index === 1 ? { status: 429, headers: { 'Retry-After': '3' } } : PD_ACCEPTED))
    const hooks = await receiver(() => ({ status: 202, delayMs: 10 }))
    const urls = { slack: slack.url, pagerduty: events.url, webhook: hooks.url }
    const notifications = sixNotifications()
    await enqueue(w.store, notifications, ['ops-slack', 'oncall', 'noc'])

    // First life: stopped mid-way. Sends in flight finish and are recorded; the rest is not started.
    const first = await deliverDueNotifications(deps(w, sinksFor(w, urls), { signal: stop.signal, limits: { concurrency: 2, batchSize: 12, leaseMs: LEASE_MS } }))
    expect(first.claimed).toBe(12)
    expect(first.notStarted).toBeGreaterThan(0)
    expect(first.errors).toEqual([])

    // A second process claims three items and dies before sending them.
    expect(await w.store.claimDueDeliveries(w.now(), 3, LEASE_MS)).toHaveLength(3)

    // Restart: new sinks, the same store. Leased items come back when their leases end.
    await w.restart()
    const reports = await deliverUntilSettled(w, deps(w, sinksFor(w, urls)))
    expect(reports.flatMap((report) => report.errors)).toEqual([])

    const expected = notifications.map((sent) => sent.id).sort()
    expect(acceptedIds('ops-slack', slack.received)).toEqual(expected)
    expect(acceptedIds('oncall', events.received)).toEqual(expected)
    expect(acceptedIds('noc', hooks.received)).toEqual(expected)
    expect((await w.store.outbox({})).map((item) => item.status)).toEqual(Array(18).fill('delivered'))
  })

  it('sends again, with the same notification id, when the result could not be recorded', async () => {
    const w = world()
    const hooks = await receiver(() => ({ status: 202 }))
    await enqueue(w.store, [notification()], ['noc'])
    let failNextRecord = true
    const flakyStore: DeliverDeps['store'] = {
      claimDueDeliveries: (...args) => w.store.claimDueDeliveries(...args),
      recordDelivery: (id, result) => {
        if (!failNextRecord) return w.store.recordDelivery(id, result)
        failNextRecord = false
        return Promise.reject(new Error('store:memory: disk full'))
      },
    }
    const run = deps(w, sinksFor(w, { webhook: hooks.url }), { store: flakyStore })

    const first = await deliverDueNotifications(run)
    expect(first.errors).toEqual([`outbox item ${notification().id}|noc: store:memory: disk full`])
    await deliverUntilSettled(w, run)
    const ids = hooks.received.map((request) => request.headers['x-anycast-monitor-notification-id'])
    expect(ids).toEqual([notification().id, notification().id])
    expect(await onlyItem(w.store)).toMatchObject({ status: 'delivered', attempts: 2 })
  })
})
