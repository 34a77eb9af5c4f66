// The monitor as the Worker runs it, built once per isolate (or Durable Object) from the env: the
// config (MONITOR_CONFIG, else the bundled monitor.config.json) checked for what a Worker can do, the
// alert routes with their secrets, the remote vantages' ingest keys, the D1 store and the polling BGP sources.
import { createD1Store } from '../../src/adapters/store/d1.ts'
import { resolveRouteSecrets, type ResolvedAlertRoute } from '../../src/core/alerts/routes.ts'
import { formatConfigErrors, parseConfig, type Config } from '../../src/core/config.ts'
import { resolveIngestKeys } from '../../src/core/ingest/keys.ts'
import { checkWorkerConfig } from '../../src/core/worker-config.ts'
import type { BgpCheckDeps } from '../../src/app/bgp-check.ts'
import type { MonitorStore } from '../../src/ports/store.ts'
import { bgpCheckDepsOf, createPollingBgpSources } from '../../src/wiring/bgp.ts'
import bundledConfig from '../monitor.config.json' with { type: 'json' }
import { checkEnv, type Env } from './env.ts'
import { checkProbeLimits } from './probe-region.ts'

export interface WorkerMonitor {
  env: Env
  config: Config
  routes: ResolvedAlertRoute[]
  /** Each remote vantage's ingest key (POST /api/v1/ingest), by vantage id. */
  ingestKeys: Map<string, string>
  store: MonitorStore
  /** What the Worker leaves out of the config (UDP, RIS Live), for the log. */
  notes: string[]
  bgp?: BgpCheckDeps
}

export type LoadedWorkerMonitor = { ok: true; monitor: WorkerMonitor } | { ok: false; error: string }

export function loadWorkerMonitor(rawEnv: unknown): LoadedWorkerMonitor {
  const checked = checkEnv(rawEnv)
  if (!checked.ok) return checked
  const source = checked.env.MONITOR_CONFIG === undefined ? 'workers/monitor.config.json' : 'MONITOR_CONFIG'
  const json = configJson(checked.env.MONITOR_CONFIG)
  if (!json.ok) return { ok: false, error: `${source} is not JSON: ${json.error}` }
  const parsed = parseConfig(json.value)
  if (!parsed.ok) return { ok: false, error: `${source} is invalid:\n${formatConfigErrors(parsed.errors)}` }
  const limits = checkProbeLimits(checked.env)
  if (!limits.ok) return { ok: false, error: `environment: ${limits.error}` }
  const check = checkWorkerConfig(parsed.config, limits.limits)
  if (check.problems.length > 0) return { ok: false, error: `${source} cannot run on the Worker:\n${check.problems.map((problem) => `  ${problem}`).join('\n')}` }
  const secrets = resolveRouteSecrets(check.config.alerts.routes, checked.strings, ['alerts', 'routes'])
  if (!secrets.ok) return { ok: false, error: `${source}: alert secrets missing (wrangler secret put NAME):\n${formatConfigErrors(secrets.errors)}` }
  const keys = resolveIngestKeys(check.config.vantages, checked.strings)
  if (!keys.ok) return { ok: false, error: `${source}: ingest keys of remote vantages missing (wrangler secret put NAME):\n${formatConfigErrors(keys.errors)}` }
  const { config } = check
  const bgp = config.bgp === undefined ? undefined : bgpCheckDepsOf(config.bgp, Object.values(createPollingBgpSources(config.bgp)))
  const store = createD1Store(checked.env.DB)
  const monitor: WorkerMonitor = { env: checked.env, config, routes: secrets.sinksConfig, ingestKeys: keys.keys, store, notes: check.notes }
  return { ok: true, monitor: bgp === undefined ? monitor : { ...monitor, bgp } }
}

function configJson(text: string | undefined): { ok: true; value: unknown } | { ok: false; error: string } {
  if (text === undefined) return { ok: true, value: bundledConfig }
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch (error) {
    return { ok: false, error: (error as Error).message }
  }
}
