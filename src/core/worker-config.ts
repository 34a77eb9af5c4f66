// What the Cloudflare Worker can do with a config, checked before it runs one: it probes only from
// `cloudflare-region` vantages (Durable Objects; `remote` vantages push to its ingest API, over any
// transport), only over TCP (Workers have no outbound UDP), never
// to Cloudflare's own addresses, each region's plan must finish within the probe interval, and it
// polls BGP (RIS Live's long-lived socket is the Node monitor's). Problems stop the Worker with their
// list; notes say what it leaves out.
import type { Config } from './config.ts'
import { cloudflareRangeOf } from './net/cloudflare-ranges.ts'
import { regionWorstCase, WORKERS_FREE_LIMITS, worstCaseConnects, type ProbeLimits, type TimedTask } from './probe-budget.ts'

const MS_PER_SECOND = 1_000

export interface WorkerConfigCheck {
  problems: string[]
  notes: string[]
  /** The config as the Worker runs it: TCP only, RIS Live left out. */
  config: Config
}

/** `limits`: what one ProbeRegion invocation may spend (workers/src/probe-region.ts reads them from the env). */
export function checkWorkerConfig(config: Config, limits: ProbeLimits = WORKERS_FREE_LIMITS): WorkerConfigCheck {
  const problems = [...vantageProblems(config), ...targetProblems(config), ...timeProblems(workerView(config), limits)]
  const udpTargets = config.targets.filter((target) => target.transports.includes('udp') && target.transports.includes('tcp'))
  const notes = [
    ...(udpTargets.length === 0 ? [] : [`targets ${udpTargets.map((t) => t.id).join(', ')}: probed over TCP only (Workers have no outbound UDP)`]),
    ...(config.bgp?.sources.risLive === undefined ? [] : ['bgp.sources.risLive: not used on the Worker, which polls RIPEstat instead']),
    ...(config.archive === undefined ? [] : ['archive: not used on the Worker, which keeps its observations in D1; the Node monitor archives to Timestream']),
  ]
  return { problems, notes, config: workerView(config) }
}

function vantageProblems(config: Config): string[] {
  const others = config.vantages.filter((vantage) => vantage.runner.kind === 'local' || vantage.runner.kind === 'netns')
  const reporting = config.vantages.filter((vantage) => vantage.runner.kind === 'cloudflare-region' || vantage.runner.kind === 'remote')
  return [
    ...others.map((vantage) => `vantages: ${vantage.id} has runner "${vantage.runner.kind}", which only the Node monitor runs; the Worker runs "cloudflare-region" vantages`),
    ...(reporting.length === 0 ? ['vantages: none has runner "cloudflare-region" or "remote": the Worker would probe from nowhere'] : []),
  ]
}

function targetProblems(config: Config): string[] {
  return config.targets.flatMap((target) => [
    ...(target.transports.includes('tcp') ? [] : [`targets: ${target.id} is probed over UDP only; Workers have no outbound UDP: add "tcp" to its transports`]),
    ...target.addresses.flatMap((address) => {
      const range = cloudflareRangeOf(address)
      return range === null ? [] : [`targets: ${target.id} address ${address} is in Cloudflare's range ${range}, which Workers cannot connect to`]
    }),
  ])
}

/**
 * Every Cloudflare region runs the whole plan (every target's addresses over TCP), in invocations one
 * after another; a region whose worst case does not fit the probe interval would run into the next cycle
 * (whose tick the coordinator then skips) or be cut by the cycle's deadline, so it is refused with its
 * numbers and what would make it fit. Remote vantages probe on their own schedule and are not counted.
 */
function timeProblems(config: Config, limits: ProbeLimits): string[] {
  const regions = config.vantages.flatMap((vantage) => (vantage.runner.kind === 'cloudflare-region' ? [{ id: vantage.id, hint: vantage.runner.locationHint }] : []))
  if (regions.length === 0) return []
  const { timeoutMs, identityFallback, intervalSeconds } = config.probe
  const tasks: TimedTask[] = config.targets.flatMap((target) =>
    target.transports.includes('tcp') ? target.addresses.map(() => ({ transport: 'tcp' as const, identityFallback, timeoutMs })) : [],
  )
  // A cycle's plan asks for more probes in flight than an invocation has sockets: the limit decides.
  const worst = regionWorstCase(tasks, limits.maxConnections, limits)
  if (!worst.ok) return regions.map((region) => `vantages: ${region.id} (${region.hint}): ${worst.error}`)
  const intervalMs = intervalSeconds * MS_PER_SECOND
  if (worst.worstCaseMs <= intervalMs) return []
  const perInvocation = Math.floor(limits.subrequestBudget / worstCaseConnects({ transport: 'tcp', identityFallback }))
  const numbers =
    `${worst.tasks} TCP tasks need ${worst.invocations} invocation${worst.invocations === 1 ? '' : 's'} of ≤${worst.concurrency} sockets, ` +
    `worst case ${seconds(worst.worstCaseMs)} s > interval ${intervalSeconds} s`
  const how =
    `(≤${perInvocation} tasks per invocation within ${limits.subrequestBudget} subrequests, each probe up to ${timeoutMs} ms): ` +
    `lower probe.timeoutMs${identityFallback ? ', set probe.identityFallback to false' : ''}, probe fewer addresses, ` +
    `raise probe.intervalSeconds, or on the Paid plan raise PROBE_SUBREQUESTS_PER_INVOCATION`
  return regions.map((region) => `vantages: ${region.id} (${region.hint}): ${numbers} ${how}`)
}

function seconds(ms: number): string {
  return (ms / MS_PER_SECOND).toFixed(1)
}

function workerView(config: Config): Config {
  const targets = config.targets.map((target) => ({ ...target, transports: target.transports.filter((transport) => transport === 'tcp') }))
  if (config.bgp === undefined) return { ...config, targets }
  const { risLive: _risLive, ...sources } = config.bgp.sources
  return { ...config, targets, bgp: { ...config.bgp, sources } }
}
