// The one writer of the monitor's decisions on Cloudflare: a single Durable Object (named
// "coordinator") runs each cycle: the regional probe Durable Objects' reports, the observations into
// D1, the detectors and the incident policy, the outbox's deliveries. Cron invocations that overlap
// or repeat (Cloudflare retries, a slow cycle) meet here: a tick already run, or arriving while a
// cycle runs, is skipped, so an incident is decided and paged once. (The policy state's
// compare-and-set in the store guards the same thing for any other writer.)
import { DurableObject } from 'cloudflare:workers'
import { createDurableObjectRunner, type RegionNamespace } from '../../src/adapters/runner/durable-object.ts'
import { deliverDueNotifications } from '../../src/app/deliver-outbox.ts'
import { createRemoteRunner } from '../../src/app/remote-runner.ts'
import { createRetentionSchedule, type RetentionSchedule } from '../../src/app/retention.ts'
import { runCycle } from '../../src/app/run-cycle.ts'
import type { Clock } from '../../src/ports/clock.ts'
import type { VantageRunner } from '../../src/ports/vantage-runner.ts'
import { createSinks, cycleDepsOf } from '../../src/wiring/monitor.ts'
import type { Env } from './env.ts'
import { loadWorkerMonitor, type WorkerMonitor } from './monitor.ts'
import { probeLimitsOf } from './probe-region.ts'

const LAST_TICK_KEY = 'lastTick'

/** In production the clock moves only on I/O, in whole ms (workers-tcp.ts says what that means for RTTs). */
const workerClock: Clock = { nowMs: () => Date.now(), monotonicMs: () => performance.now() }

export type CycleSummary =
  | { status: 'skipped'; tick: number; reason: string }
  | { status: 'failed'; tick: number; error: string }
  | {
      status: 'ran'
      tick: number
      observations: number
      missingVantages: string[]
      findings: string[]
      notifications: string[]
      delivered: number
      problems: string[]
      notes: string[]
    }

export class Coordinator extends DurableObject<Env> {
  private running: Promise<CycleSummary> | null = null
  private monitor: WorkerMonitor | null = null
  private retention: RetentionSchedule | null = null
  /**
   * Instance fields, which RPC does not expose (only class methods are): the workerd tests set them
   * through runInDurableObject to give a loopback config and to make one region fail.
   */
  protected configOverride: string | null = null
  protected regions: RegionNamespace<unknown> | null = null

  /** Runs the cycle of `tick` (the cron's scheduledTime), unless it ran already or another one runs. */
  runCycle(tick: number): Promise<CycleSummary> {
    if (this.running !== null) return Promise.resolve({ status: 'skipped', tick, reason: 'another cycle is running' })
    this.running = this.cycle(tick).finally(() => {
      this.running = null
    })
    return this.running
  }

  private async cycle(tick: number): Promise<CycleSummary> {
    const last = (await this.ctx.storage.get<number>(LAST_TICK_KEY)) ?? 0
    if (tick <= last) return { status: 'skipped', tick, reason: `tick ${new Date(tick).toISOString()} already ran` }
    await this.ctx.storage.put(LAST_TICK_KEY, tick)
    const env = this.configOverride === null ? this.env : { ...this.env, MONITOR_CONFIG: this.configOverride }
    const loaded = this.monitor === null ? loadWorkerMonitor(env) : { ok: true as const, monitor: this.monitor }
    if (!loaded.ok) return { status: 'failed', tick, error: loaded.error }
    this.monitor = loaded.monitor
    this.retention ??= createRetentionSchedule(loaded.monitor.store, loaded.monitor.config.store, workerClock)
    const summary = await runMonitorCycle(loaded.monitor, this.regions ?? loaded.monitor.env.PROBE_REGION, tick)
    const pruned = await this.retention.pruneIfDue()
    return pruned.kind === 'failed' && summary.status === 'ran' ? { ...summary, problems: [...summary.problems, `prune: ${pruned.error}`] } : summary
  }
}

async function runMonitorCycle(monitor: WorkerMonitor, regions: RegionNamespace<unknown>, tick: number): Promise<CycleSummary> {
  const { config, routes, store } = monitor
  const runners = regionRunners(monitor, regions)
  const report = await runCycle(cycleDepsOf({ config, routes, store, runners, clock: workerClock, ...(monitor.bgp ? { bgp: monitor.bgp } : {}) }))
  const delivery = await deliverDueNotifications({ store, sinks: createSinks(config, routes), clock: workerClock, random: Math.random })
  return {
    status: 'ran',
    tick,
    observations: report.cycles.reduce((sum, cycle) => sum + cycle.observations.length, 0),
    missingVantages: [...new Set(report.cycles.flatMap((cycle) => cycle.missingVantages.map((missing) => `${missing.vantage}: ${missing.reason}`)))],
    findings: report.findings.map((finding) => `${finding.target}/${finding.kind}/${finding.scope}`),
    notifications: report.notifications.map((notification) => `${notification.event} ${notification.incident.key}`),
    delivered: delivery.delivered,
    problems: report.problems.map((problem) => `${problem.target} ${problem.step}: ${problem.error}`),
    notes: monitor.notes,
  }
}

/** Cloudflare regions probe through their Durable Objects; remote vantages hand over what they pushed to D1. */
function regionRunners(monitor: WorkerMonitor, namespace: RegionNamespace<unknown>): VantageRunner[] {
  const limits = probeLimitsOf(monitor.env)
  return monitor.config.vantages.flatMap((vantage): VantageRunner[] => {
    if (vantage.runner.kind === 'cloudflare-region') {
      return [createDurableObjectRunner({ vantage: vantage.id, locationHint: vantage.runner.locationHint, namespace, limits })]
    }
    return vantage.runner.kind === 'remote' ? [createRemoteRunner({ vantage: vantage.id, store: monitor.store })] : []
  })
}
