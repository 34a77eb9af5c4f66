// What the Cloudflare Worker can do with a config, checked before it runs one: it probes only from
// `cloudflare-region` vantages (Durable Objects; `remote` vantages push to its ingest API, over any
// transport), only over TCP (Workers have no outbound UDP), never
// to Cloudflare's own addresses, and it polls BGP (RIS Live's long-lived socket is the Node
// monitor's). Problems stop the Worker with their list; notes say what it leaves out.
import type { Config } from './config.ts'
import { cloudflareRangeOf } from './net/cloudflare-ranges.ts'

export interface WorkerConfigCheck {
  problems: string[]
  notes: string[]
  /** The config as the Worker runs it: TCP only, RIS Live left out. */
  config: Config
}

export function checkWorkerConfig(config: Config): WorkerConfigCheck {
  const problems = [...vantageProblems(config), ...targetProblems(config)]
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

function workerView(config: Config): Config {
  const targets = config.targets.map((target) => ({ ...target, transports: target.transports.filter((transport) => transport === 'tcp') }))
  if (config.bgp === undefined) return { ...config, targets }
  const { risLive: _risLive, ...sources } = config.bgp.sources
  return { ...config, targets, bgp: { ...config.bgp, sources } }
}
