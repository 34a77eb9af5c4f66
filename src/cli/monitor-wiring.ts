// Builds the monitor from a config file and the environment: the one place that knows which adapter
// serves which port on Node.
import { readFile } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { createNetnsRunner } from '../adapters/runner/netns.ts'
import { createSqliteStore } from '../adapters/store/sqlite.ts'
import { createLocalRunner } from '../app/local-runner.ts'
import { createRemoteRunner } from '../app/remote-runner.ts'
import type { CycleDeps } from '../app/run-cycle.ts'
import { resolveRouteSecrets, type ResolvedAlertRoute } from '../core/alerts/routes.ts'
import { formatConfigErrors, parseConfig, type Config } from '../core/config.ts'
import { resolveIngestKeys } from '../core/ingest/keys.ts'
import type { Clock } from '../ports/clock.ts'
import type { ObservationArchive } from '../ports/observation-archive.ts'
import type { MonitorStore } from '../ports/store.ts'
import type { VantageRunner } from '../ports/vantage-runner.ts'
import { bgpCheckDeps } from './bgp-wiring.ts'
import { nodeProbeDeps } from './node-probe-deps.ts'
import { cycleDepsOf } from '../wiring/monitor.ts'

export { createSinks } from '../wiring/monitor.ts'

export const systemClock: Clock = { nowMs: () => Date.now(), monotonicMs: () => performance.now() }

export type LoadedMonitor =
  | { ok: true; config: Config; routes: ResolvedAlertRoute[]; ingestKeys: Map<string, string> }
  | { ok: false; error: string }

export type ReadConfig = { ok: true; config: Config } | { ok: false; error: string }

/** Reads, parses and validates a config file; every problem is listed. */
export async function readConfigFile(path: string): Promise<ReadConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    return { ok: false, error: `cannot read config ${path}: ${(error as Error).message}` }
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return { ok: false, error: `config ${path} is not JSON: ${(error as Error).message}` }
  }
  const parsed = parseConfig(json)
  return parsed.ok ? parsed : { ok: false, error: `config ${path} is invalid:\n${formatConfigErrors(parsed.errors)}` }
}

/** Reads the config and every secret it names from env (alert routes, remote vantages' ingest keys). Every problem is listed. */
export async function loadMonitorConfig(path: string, env: Readonly<Record<string, string | undefined>>): Promise<LoadedMonitor> {
  const read = await readConfigFile(path)
  if (!read.ok) return read
  const { config } = read
  // Their cycles would always miss them: refuse rather than report them missing forever.
  const workerOnly = config.vantages.filter((vantage) => vantage.runner.kind === 'cloudflare-region').map((vantage) => vantage.id)
  if (workerOnly.length > 0) {
    return { ok: false, error: `config ${path}: vantages ${workerOnly.join(', ')} run only on the Cloudflare Worker (runner "cloudflare-region"): deploy workers/, or give them a "local" or "netns" runner` }
  }
  const secrets = resolveRouteSecrets(config.alerts.routes, env, ['alerts', 'routes'])
  if (!secrets.ok) return { ok: false, error: `config ${path}: alert secrets missing:\n${formatConfigErrors(secrets.errors)}` }
  const keys = resolveIngestKeys(config.vantages, env)
  if (!keys.ok) return { ok: false, error: `config ${path}: ingest keys of remote vantages missing:\n${formatConfigErrors(keys.errors)}` }
  return { ok: true, config, routes: secrets.sinksConfig, ingestKeys: keys.keys }
}

/** A remote vantage's runner hands over what it pushed to the store (the ingest API); Cloudflare regions run on the Worker only. */
export function createRunners(config: Config, store: MonitorStore): VantageRunner[] {
  return config.vantages.flatMap((vantage): VantageRunner[] => {
    if (vantage.runner.kind === 'local') return [createLocalRunner(vantage.id, nodeProbeDeps())]
    if (vantage.runner.kind === 'netns') return [createNetnsRunner({ vantage: vantage.id, namespace: vantage.runner.namespace })]
    if (vantage.runner.kind === 'remote') return [createRemoteRunner({ vantage: vantage.id, store })]
    return []
  })
}

export function openStore(config: Config): MonitorStore {
  return createSqliteStore({ path: config.store.path })
}

export function cycleDeps(
  config: Config,
  routes: readonly ResolvedAlertRoute[],
  store: MonitorStore,
  runners: VantageRunner[],
  archive: ObservationArchive | null = null,
): CycleDeps {
  return cycleDepsOf({
    config,
    routes,
    store,
    runners,
    clock: systemClock,
    ...(config.bgp === undefined ? {} : { bgp: bgpCheckDeps(config.bgp) }),
    ...(archive === null ? {} : { archive }),
  })
}
