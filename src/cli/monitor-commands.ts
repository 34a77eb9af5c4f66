import { serve as serveHttp } from '@hono/node-server'
import { deliverDueNotifications } from '../app/deliver-outbox.ts'
import { createRetentionSchedule } from '../app/retention.ts'
import { runCycle, type CycleReport } from '../app/run-cycle.ts'
import { createWebApp } from '../app/create-web-app.ts'
import type { Config } from '../core/config.ts'
import type { ObservationArchive } from '../ports/observation-archive.ts'
import type { MonitorStore } from '../ports/store.ts'
import type { CliIo } from './main.ts'
import { createRunners, createSinks, cycleDeps, loadMonitorConfig, openStore, systemClock } from './monitor-wiring.ts'
import { abortableSleep } from '../adapters/abortable-sleep.ts'
import { openArchive } from './archive-wiring.ts'

const EXIT_OK = 0
const EXIT_BAD_CONFIG = 2
/** Retries of the outbox are due between cycles too, so deliveries are tried this often. */
const DELIVERY_TICK_MS = 5_000

export const RUN_USAGE = 'usage: anycast-monitor run --config FILE --once'
export const SERVE_USAGE = 'usage: anycast-monitor serve --config FILE'

/** `run --config F --once`: one cycle, its deliveries, everything printed as one JSON document. */
export async function runOnceCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const configPath = valueOf(argv, '--config')
  if (!configPath || !argv.includes('--once')) {
    io.stderr(`anycast-monitor run: ${configPath ? 'needs --once (serve runs continuously)' : 'needs --config FILE'}\n${RUN_USAGE}\n`)
    return EXIT_BAD_CONFIG
  }
  const loaded = await loadMonitorConfig(configPath, process.env)
  if (!loaded.ok) {
    io.stderr(`anycast-monitor run: ${loaded.error}\n`)
    return EXIT_BAD_CONFIG
  }
  const store = openStore(loaded.config)
  const archive = openArchive(loaded.config, process.env)
  try {
    const report = await runCycle(cycleDeps(loaded.config, loaded.routes, store, createRunners(loaded.config, store), archive))
    const deliveries = await deliver(store, createSinks(loaded.config, loaded.routes))
    io.stdout(JSON.stringify({ ...reportJson(report), deliveries }, null, 2) + '\n')
    return EXIT_OK
  } finally {
    await archive?.close()
    await store.close()
  }
}

/** `serve --config F`: cycles on the interval, deliveries, the JSON API; stops cleanly on SIGINT/SIGTERM. */
export async function serveCommand(argv: readonly string[], io: CliIo, stop: AbortSignal = shutdownSignal()): Promise<number> {
  const configPath = valueOf(argv, '--config')
  if (!configPath) {
    io.stderr(`anycast-monitor serve: needs --config FILE\n${SERVE_USAGE}\n`)
    return EXIT_BAD_CONFIG
  }
  const loaded = await loadMonitorConfig(configPath, process.env)
  if (!loaded.ok) {
    io.stderr(`anycast-monitor serve: ${loaded.error}\n`)
    return EXIT_BAD_CONFIG
  }
  const { config, routes } = loaded
  const store = openStore(config)
  const sinks = createSinks(config, routes)
  const archive = openArchive(config, process.env)
  const deps = cycleDeps(config, routes, store, createRunners(config, store), archive)
  const log = (event: string, fields: object): void => io.stderr(JSON.stringify({ at: new Date().toISOString(), event, ...fields }) + '\n')
  const server = await listen({ config, store, ingestKeys: loaded.ingestKeys, log, archive }, io)
  const retention = createRetentionSchedule(store, config.store, systemClock)
  try {
    let nextCycleAt = systemClock.nowMs()
    while (!stop.aborted) {
      // The cycle in flight is never cut by a shutdown: it ends within its own deadline and is stored whole.
      const report = await runCycle(deps).catch((error: unknown) => {
        log('cycle-error', { error: String(error) })
        return null
      })
      if (report) log('cycle', cycleSummary(report))
      const pruned = await retention.pruneIfDue()
      if (pruned.kind !== 'not-due') log('prune', pruned)
      nextCycleAt += config.probe.intervalSeconds * 1000
      while (!stop.aborted && systemClock.nowMs() < nextCycleAt) {
        const deliveries = await deliver(store, sinks, stop)
        if (deliveries.claimed > 0) log('deliveries', deliveries)
        await abortableSleep(Math.min(DELIVERY_TICK_MS, nextCycleAt - systemClock.nowMs()), stop)
      }
    }
    log('shutdown', { reason: 'signal' })
    return EXIT_OK
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await archive?.close()
    await store.close()
  }
}

function deliver(store: MonitorStore, sinks: ReturnType<typeof createSinks>, signal?: AbortSignal) {
  return deliverDueNotifications({ store, sinks, clock: systemClock, random: Math.random, ...(signal ? { signal } : {}) })
}

interface ListenParts {
  config: Config
  store: MonitorStore
  ingestKeys: ReadonlyMap<string, string>
  log: (event: string, fields: object) => void
  archive: ObservationArchive | null
}

async function listen(parts: ListenParts, io: CliIo): Promise<ReturnType<typeof serveHttp>> {
  const { config, store, ingestKeys, log, archive } = parts
  const onIngestError = (error: unknown): void => log('ingest-store-error', { error: String(error) })
  const onArchiveError = (error: unknown): void => log('archive-query-error', { error: String(error) })
  const app = createWebApp({ config, store, nowMs: systemClock.nowMs, ingestKeys, onIngestError, ...(archive === null ? {} : { archive, onArchiveError }) })
  return new Promise((resolve) => {
    const server = serveHttp({ fetch: app.fetch, port: config.api.port, hostname: config.api.host }, (info) => {
      io.stdout(`anycast-monitor: status page on http://${hostForUrl(config.api.host)}:${info.port}/, API on http://${hostForUrl(config.api.host)}:${info.port}/api/v1/targets\n`)
      resolve(server)
    })
  })
}

function reportJson(report: CycleReport) {
  return {
    startedAt: report.startedAt,
    observations: report.cycles.flatMap((cycle) => cycle.observations),
    missingVantages: report.cycles.flatMap((cycle) => cycle.missingVantages.map((missing) => ({ target: cycle.target, ...missing }))),
    findings: report.findings,
    notifications: report.notifications,
    conflicts: report.conflicts,
    problems: report.problems,
  }
}

function cycleSummary(report: CycleReport) {
  const observations = report.cycles.flatMap((cycle) => cycle.observations)
  return {
    startedAt: report.startedAt,
    observations: observations.length,
    ok: observations.filter((observation) => observation.outcome === 'ok').length,
    missingVantages: report.cycles.flatMap((cycle) => cycle.missingVantages.map((missing) => missing.vantage)),
    findings: report.findings.map((finding) => `${finding.target}/${finding.kind}/${finding.scope}`),
    notifications: report.notifications.map((notification) => `${notification.event} ${notification.incident.key}`),
    problems: report.problems.map((problem) => `${problem.target}/${problem.step}: ${problem.error}`),
  }
}

export function valueOf(argv: readonly string[], flag: string): string | undefined {
  const index = argv.indexOf(flag)
  if (index >= 0) return argv[index + 1]
  return argv.find((arg) => arg.startsWith(`${flag}=`))?.slice(flag.length + 1)
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

export function shutdownSignal(): AbortSignal {
  const controller = new AbortController()
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort())
  return controller.signal
}
