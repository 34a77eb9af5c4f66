// Delivers due outbox items through their routes' sinks and records how each attempt went. Called on
// every tick; each call handles one leased batch. A restart loses nothing: an item is pending until an
// attempt is recorded, and a lease that ran out (a crash after the claim) makes the item due again.
// Delivery is at least once: a crash between a receiver's answer and recordDelivery() sends the
// item again with the same notification id, which receivers deduplicate on (PagerDuty by dedup_key).
import { decideDelivery, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../core/alerts/retry-policy.ts'
import type { Notification } from '../core/findings.ts'
import type { AlertSink, SinkResult } from '../ports/alert-sink.ts'
import type { Clock } from '../ports/clock.ts'
import type { MonitorStore, OutboxItem } from '../ports/store.ts'

export interface DeliveryLimits {
  /** Items claimed per call. */
  batchSize: number
  /** How long claimed items stay reserved to this call; they are due again after it. */
  leaseMs: number
  /** Sends in flight at once, over all routes. */
  concurrency: number
  /** Longest wait for one receiver's answer; cut further so that every send ends inside the lease. */
  sendTimeoutMs: number
}

export const DEFAULT_DELIVERY_LIMITS: DeliveryLimits = {
  batchSize: 50,
  leaseMs: 5 * 60_000,
  concurrency: 4,
  sendTimeoutMs: 15_000,
}

/** Sends must end within this share of the lease, leaving the rest to record the result. */
const SEND_SHARE_OF_LEASE = 0.8

export interface DeliverDeps {
  store: Pick<MonitorStore, 'claimDueDeliveries' | 'recordDelivery'>
  /** By route name. */
  sinks: ReadonlyMap<string, AlertSink>
  clock: Clock
  /** Uniform in [0, 1): backoff jitter. */
  random: () => number
  limits?: Partial<DeliveryLimits>
  retryPolicy?: RetryPolicy
  /**
   * Shutdown: no new send starts once it is aborted. Sends in flight finish and are recorded, because
   * abandoning one that the receiver already accepted would send it twice.
   */
  signal?: AbortSignal
}

export interface DeliveryReport {
  claimed: number
  delivered: number
  retried: number
  failed: number
  /** Claimed but not started (shutdown, or the lease ran short): due again when the lease ends. */
  notStarted: number
  /** Items whose outcome could not be recorded (store errors); due again when the lease ends. */
  errors: string[]
}

type ItemOutcome = 'delivered' | 'retry' | 'failed' | 'not-started'

export async function deliverDueNotifications(deps: DeliverDeps): Promise<DeliveryReport> {
  const limits = checkedLimits({ ...DEFAULT_DELIVERY_LIMITS, ...deps.limits })
  const claimedAtMs = deps.clock.nowMs()
  const items = await deps.store.claimDueDeliveries(claimedAtMs, limits.batchSize, limits.leaseMs)
  const sendDeadlineMs = claimedAtMs + Math.floor(limits.leaseMs * SEND_SHARE_OF_LEASE)
  const settled = await settleBounded(items, limits.concurrency, (item) => deliverOne(item, deps, limits, sendDeadlineMs))
  return reportOf(items, settled)
}

async function deliverOne(item: OutboxItem, deps: DeliverDeps, limits: DeliveryLimits, sendDeadlineMs: number): Promise<ItemOutcome> {
  const remainingMs = sendDeadlineMs - deps.clock.nowMs()
  if (deps.signal?.aborted || remainingMs <= 0) return 'not-started'
  const sink = deps.sinks.get(item.route)
  const result = sink
    ? await sendSafely(sink, item.notification, Math.min(limits.sendTimeoutMs, remainingMs))
    : unknownRoute(item.route)
  // The claim already counted this attempt in item.attempts.
  const decision = decideDelivery(
    { attempt: item.attempts, notifiedAt: item.notification.at, result, nowMs: deps.clock.nowMs(), random: deps.random },
    deps.retryPolicy ?? DEFAULT_RETRY_POLICY,
  )
  await deps.store.recordDelivery(item.id, decision)
  return decision.kind
}

/** A sink that throws has a bug; the item is kept and retried rather than lost. */
async function sendSafely(sink: AlertSink, notification: Notification, timeoutMs: number): Promise<SinkResult> {
  try {
    return await sink.send(notification, AbortSignal.timeout(timeoutMs))
  } catch (error) {
    return { kind: 'retryable', error: `alert:${sink.kind} sink threw: ${errorText(error)}`, retryAfterMs: null }
  }
}

function unknownRoute(route: string): SinkResult {
  return { kind: 'rejected', error: `no alert sink for route "${route}": it is not among the configured routes` }
}

/** Runs `work` on every item with at most `concurrency` at once; one failure never stops the others. */
async function settleBounded<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length)
  let nextIndex = 0
  const worker = async (): Promise<void> => {
    while (nextIndex < items.length) {
      const index = nextIndex++
      const [result] = await Promise.allSettled([work(items[index] as T)])
      results[index] = result as PromiseSettledResult<R>
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
  return results
}

function reportOf(items: readonly OutboxItem[], settled: readonly PromiseSettledResult<ItemOutcome>[]): DeliveryReport {
  const report: DeliveryReport = { claimed: items.length, delivered: 0, retried: 0, failed: 0, notStarted: 0, errors: [] }
  settled.forEach((result, index) => {
    if (result.status === 'rejected') {
      report.errors.push(`outbox item ${items[index]?.id}: ${errorText(result.reason)}`)
      return
    }
    if (result.value === 'delivered') report.delivered += 1
    else if (result.value === 'retry') report.retried += 1
    else if (result.value === 'failed') report.failed += 1
    else report.notStarted += 1
  })
  return report
}

function checkedLimits(limits: DeliveryLimits): DeliveryLimits {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`delivery limit ${name} must be a positive integer, got ${value}`)
  }
  return limits
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
