// `anycast-monitor agent`: this machine is one remote vantage of a monitor. It reads the monitor's config
// (for the targets, the probe settings and its vantage's keyEnv), its key from that env var, probes over
// UDP and TCP on the config's interval and pushes to the monitor's ingest API, keeping batches on disk
// (--spool) while the monitor cannot take them. --once runs one round, sends what it can and exits: for
// a cron job whose spool directory persists between runs.
import { join } from 'node:path'
import { abortableSleep } from '../adapters/abortable-sleep.ts'
import { createDiskSpool } from '../adapters/ingest/disk-spool.ts'
import { createIngestPusher } from '../adapters/ingest/push-client.ts'
import { runAgent } from '../app/agent.ts'
import { remoteVantageKey } from '../core/ingest/keys.ts'
import type { CliIo } from './main.ts'
import { shutdownSignal, valueOf } from './monitor-commands.ts'
import { readConfigFile } from './monitor-wiring.ts'
import { nodeProbeDeps } from './node-probe-deps.ts'

export const AGENT_USAGE = 'usage: anycast-monitor agent --config FILE --vantage ID --push URL [--spool DIR] [--once]'

const EXIT_OK = 0
const EXIT_BATCHES_LEFT = 1
const EXIT_BAD_CONFIG = 2
const DEFAULT_SPOOL_PARENT = 'anycast-monitor-spool'
const MS_PER_SECOND = 1000
/** After a failed send: the first wait, doubling up to the longest (and a new try at every round anyway). */
const RETRY = { minMs: 1_000, maxMs: 60_000 }

interface AgentArgs {
  configPath: string
  vantage: string
  pushUrl: string
  spoolDir: string
  once: boolean
}

export async function agentCommand(argv: readonly string[], io: CliIo, stop: AbortSignal = shutdownSignal()): Promise<number> {
  const args = agentArgs(argv)
  if (typeof args === 'string') {
    io.stderr(`anycast-monitor agent: ${args}\n${AGENT_USAGE}\n`)
    return EXIT_BAD_CONFIG
  }
  const read = await readConfigFile(args.configPath)
  const remote = read.ok ? remoteVantageKey(read.config.vantages, args.vantage, process.env) : read
  if (!read.ok || !remote.ok) {
    io.stderr(`anycast-monitor agent: ${remote.ok ? '' : remote.error}\n`)
    return EXIT_BAD_CONFIG
  }
  const { config } = read
  const log = (event: string, fields: object): void => io.stderr(JSON.stringify({ at: new Date().toISOString(), event, vantage: args.vantage, ...fields }) + '\n')
  const deps = {
    config,
    vantage: args.vantage,
    probe: nodeProbeDeps(),
    spool: createDiskSpool({ dir: args.spoolDir }),
    pusher: createIngestPusher({ url: args.pushUrl, vantage: args.vantage, key: remote.key }),
    log,
    sleep: abortableSleep,
    intervalMs: config.probe.intervalSeconds * MS_PER_SECOND,
    retry: RETRY,
  }
  const last = await runAgent(deps, stop, { once: args.once })
  if (last.pending === 0) return EXIT_OK
  log('batches-left', { pending: last.pending, spool: args.spoolDir, error: last.error })
  return EXIT_BATCHES_LEFT
}

function agentArgs(argv: readonly string[]): AgentArgs | string {
  const configPath = valueOf(argv, '--config')
  const vantage = valueOf(argv, '--vantage')
  const pushUrl = valueOf(argv, '--push')
  const missing = [['--config FILE', configPath], ['--vantage ID', vantage], ['--push URL', pushUrl]].flatMap(([flag, value]) => (value ? [] : [flag]))
  if (missing.length > 0 || !configPath || !vantage || !pushUrl) return `needs ${missing.join(', ')}`
  if (!/^https?:\/\//.test(pushUrl)) return `--push must be the monitor's http(s) URL, not ${JSON.stringify(pushUrl)}`
  const spoolDir = valueOf(argv, '--spool') ?? join(DEFAULT_SPOOL_PARENT, vantage)
  return { configPath, vantage, pushUrl, spoolDir, once: argv.includes('--once') }
}
