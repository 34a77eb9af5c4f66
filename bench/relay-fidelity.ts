// How faithfully does lab/tap-relay.py add delay? Builds client and server
// namespaces joined by the relay link, measures RTT with ping and with a Node
// UDP echo at several one-way delays, and prints configured vs measured RTT.
// A plain veth pair between the same namespaces gives the kernel-only
// baseline, so the relay's own overhead can be told apart.
//
//   npx tsx bench/relay-fidelity.ts [--count 50] [--interval-ms 50]
//                                   [--realtime-priority N] [--strict]
//
// Runs as root. --realtime-priority runs the relay under SCHED_FIFO.
// --strict exits 3 if any median misses the configured RTT by more than 0.5 ms.
// The rows "relay-nocomp" repeat one delay with the relay's wake-up
// compensation switched off, to show what it buys.
// Exit 1: the lab could not be set up (not root, no ip netns, no /dev/net/tun...).

import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import {
  addressOf,
  assertLabPrefixesAreFree,
  createDelayedLink,
  createNamespace,
  deleteNamespace,
  destroyDelayedLink,
  labUnavailableReason,
  listNamespaces,
  runOrThrow,
  sweepStaleNamespaces,
  stopAllLabProcesses,
  setLinkImpairment,
  type DelayedLink,
  type RelayStatus,
} from '../lab/relay-link.ts'
import {
  measurePingRtt,
  measureUdpRtt,
  startUdpEchoServer,
  stopUdpEchoServer,
  summarizeRtt,
  type RttRun,
  type RttSummary,
} from '../lab/probes.ts'
import { installSignalCleanup, onCleanup, runCleanup } from './cleanup.ts'

const ONE_WAY_DELAYS_MS = [0, 5, 15, 30]
const UNCOMPENSATED_ONE_WAY_DELAY_MS = 15
const TARGET_ERROR_MS = 0.5
const WARMUP_PROBES = 2
const RELAY_CLIENT_CIDR = '10.251.0.1/24'
const RELAY_SERVER_CIDR = '10.251.0.2/24'
const VETH_CLIENT_CIDR = '10.251.1.1/24'
const VETH_SERVER_CIDR = '10.251.1.2/24'

interface Row {
  path: string
  tool: string
  configuredRttMs: number
  summary: RttSummary
  lost: number
  relay?: RelayStatus
}

function setupProblem(): string | undefined {
  const labReason = labUnavailableReason()
  if (labReason) return labReason
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing'
  if (spawnSync('python3', ['--version']).status !== 0) return 'python3 is not available'
  return undefined
}

function pingAvailable(): boolean {
  return spawnSync('ping', ['-V']).status === 0
}

/** A veth pair created inside the client namespace, its peer moved straight into the server's. */
async function createReferenceVeth(clientNs: string, serverNs: string): Promise<void> {
  await runOrThrow('ip', ['-n', clientNs, 'link', 'add', 'amrlyref0', 'type', 'veth', 'peer', 'name', 'amrlyref1', 'netns', serverNs])
  for (const [ns, name, cidr] of [[clientNs, 'amrlyref0', VETH_CLIENT_CIDR], [serverNs, 'amrlyref1', VETH_SERVER_CIDR]] as const) {
    await runOrThrow('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `net.ipv6.conf.${name}.disable_ipv6=1`])
    await runOrThrow('ip', ['-n', ns, 'addr', 'add', cidr, 'dev', name])
    await runOrThrow('ip', ['-n', ns, 'link', 'set', name, 'up'])
  }
}

function toRow(path: string, tool: string, configuredRttMs: number, run: RttRun, relay?: RelayStatus): Row {
  const summary = summarizeRtt(run, WARMUP_PROBES)
  return { path, tool, configuredRttMs, summary, lost: run.sent - run.samples.length, ...(relay ? { relay } : {}) }
}

interface ProbeTargets {
  clientNs: string
  relayUdpPort: number
  withPing: boolean
  count: number
  intervalMs: number
}

async function measurePath(targets: ProbeTargets, path: string, serverAddress: string, udpPort: number, configuredRttMs: number): Promise<Row[]> {
  const rows: Array<{ tool: string; run: RttRun }> = []
  if (targets.withPing) {
    const run = await measurePingRtt(targets.clientNs, serverAddress, { count: targets.count + WARMUP_PROBES, intervalSeconds: targets.intervalMs / 1000 })
    rows.push({ tool: 'ping', run })
  }
  const udpRun = await measureUdpRtt(targets.clientNs, serverAddress, udpPort, {
    count: targets.count + WARMUP_PROBES,
    intervalMs: targets.intervalMs,
    waitMs: Math.max(500, configuredRttMs * 5),
  })
  rows.push({ tool: 'udp-echo', run: udpRun })
  return rows.map(({ tool, run }) => toRow(path, tool, configuredRttMs, run))
}

/** Median/p90/max of the relay's lateness, in us, as "a->b | b->a". */
function formatLateness(relay: RelayStatus): string {
  const one = (d: RelayStatus['aToB']): string => `${d.medianLatenessUs.toFixed(0)}/${d.p90LatenessUs.toFixed(0)}/${d.maxLatenessUs.toFixed(0)}`
  return `${one(relay.aToB)} | ${one(relay.bToA)}`
}

function vethMedian(rows: Row[], tool: string): number {
  return rows.find((row) => row.path === 'veth' && row.tool === tool)?.summary.medianMs ?? Number.NaN
}

function formatSignedMs(value: number): string {
  return (value >= 0 ? '+' : '') + formatMs(value)
}

function formatMs(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : '-'
}

function printTable(rows: Row[]): void {
  const header = ['path', 'tool', 'cfg RTT', 'n', 'lost', 'min', 'median', 'p90', 'max', 'median err', 'relay err', 'relay lateness med/p90/max us a->b | b->a']
  const lines = rows.map((row) => [
    row.path,
    row.tool,
    formatMs(row.configuredRttMs),
    String(row.summary.count),
    String(row.lost),
    formatMs(row.summary.minMs),
    formatMs(row.summary.medianMs),
    formatMs(row.summary.p90Ms),
    formatMs(row.summary.maxMs),
    formatSignedMs(row.summary.medianMs - row.configuredRttMs),
    row.path === 'veth' ? '' : formatSignedMs(row.summary.medianMs - row.configuredRttMs - vethMedian(rows, row.tool)),
    row.relay ? formatLateness(row.relay) : '',
  ])
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)))
  const render = (cells: string[]): string => cells.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')
  console.log(render(header))
  console.log(widths.map((width) => '-'.repeat(width)).join('  '))
  for (const line of lines) console.log(render(line))
  console.log('(times in ms; relay lateness = when the relay wrote a frame minus its due time, negative = early;')
  console.log(' relay err = median err minus the veth median of the same tool, i.e. the part the relay adds)')
}

function baselineLines(rows: Row[]): string[] {
  const zero = rows.filter((row) => row.configuredRttMs === 0)
  return zero.map((row) => `baseline ${row.path}/${row.tool}: median ${formatMs(row.summary.medianMs)} ms at 0 ms configured delay`)
}

function missesTarget(row: Row): boolean {
  return row.path.startsWith('relay') && !(Math.abs(row.summary.medianMs - row.configuredRttMs) <= TARGET_ERROR_MS)
}

async function measureRelayAt(link: DelayedLink, targets: ProbeTargets, path: string, oneWayMs: number): Promise<Row[]> {
  console.error(`measuring ${path} at ${oneWayMs} ms one-way...`)
  await setLinkImpairment(link, { delayMs: oneWayMs, lossPct: 0, resetStats: true })
  const rows = await measurePath(targets, path, addressOf(RELAY_SERVER_CIDR), targets.relayUdpPort, 2 * oneWayMs)
  const relay = await setLinkImpairment(link, {})
  return rows.map((row) => ({ ...row, relay }))
}

async function runBenchmark(count: number, intervalMs: number, realtimePriority: number): Promise<Row[]> {
  const runId = `amrly-bench-${process.pid}`
  const clientNs = `${runId}-cli`
  const serverNs = `${runId}-srv`
  await assertLabPrefixesAreFree([RELAY_CLIENT_CIDR, VETH_CLIENT_CIDR])
  const swept = await sweepStaleNamespaces(['amrly-bench', 'amrly-relay'])
  if (swept.length > 0) console.error(`removed namespaces of earlier, killed runs: ${swept.join(' ')}`)

  for (const ns of [clientNs, serverNs]) {
    await createNamespace(ns)
    onCleanup(`namespace ${ns}`, () => deleteNamespace(ns))
  }
  const link: DelayedLink = await createDelayedLink({
    namespaceA: clientNs,
    namespaceB: serverNs,
    addressA: RELAY_CLIENT_CIDR,
    addressB: RELAY_SERVER_CIDR,
    delayMs: 0,
    relayNamespace: `${runId}-rly`,
    realtimePriority,
  })
  onCleanup(`relay link (pid ${link.relayPid})`, () => destroyDelayedLink(link))
  await createReferenceVeth(clientNs, serverNs)

  const relayEcho = await startUdpEchoServer(serverNs, addressOf(RELAY_SERVER_CIDR))
  onCleanup('UDP echo (relay)', () => stopUdpEchoServer(relayEcho))
  const vethEcho = await startUdpEchoServer(serverNs, addressOf(VETH_SERVER_CIDR))
  onCleanup('UDP echo (veth)', () => stopUdpEchoServer(vethEcho))

  const withPing = pingAvailable()
  if (!withPing) console.error('ping not found: ping rows skipped (apt-get install -y iputils-ping)')
  const targets: ProbeTargets = { clientNs, relayUdpPort: relayEcho.port, withPing, count, intervalMs }

  console.error(`measuring veth baseline, ${count} probes per tool...`)
  const rows = await measurePath(targets, 'veth', addressOf(VETH_SERVER_CIDR), vethEcho.port, 0)
  for (const oneWayMs of ONE_WAY_DELAYS_MS) rows.push(...(await measureRelayAt(link, targets, 'relay', oneWayMs)))
  await setLinkImpairment(link, { wakeCompensation: false })
  rows.push(...(await measureRelayAt(link, targets, 'relay-nocomp', UNCOMPENSATED_ONE_WAY_DELAY_MS)))
  return rows
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '50' },
      'interval-ms': { type: 'string', default: '50' },
      'realtime-priority': { type: 'string', default: '0' },
      strict: { type: 'boolean', default: false },
    },
  })
  const realtimePriority = Number(values['realtime-priority'])
  const count = Number(values.count)
  const intervalMs = Number(values['interval-ms'])
  if (!(count > 0 && intervalMs > 0)) throw new Error('--count and --interval-ms must be positive numbers')

  const problem = setupProblem()
  if (problem) {
    console.error(`relay-fidelity: cannot set up the lab: ${problem}`)
    return 1
  }
  installSignalCleanup(() => runCleanup(stopAllLabProcesses))
  let rows: Row[]
  try {
    console.error(`load average before: ${loadavg().map((load) => load.toFixed(2)).join(' ')}`)
    rows = await runBenchmark(count, intervalMs, realtimePriority)
  } catch (error) {
    console.error(`relay-fidelity: ${(error as Error).message}`)
    return 1
  } finally {
    await runCleanup(stopAllLabProcesses)
  }
  const leftovers = await listNamespaces(`amrly-bench-${process.pid}`)
  if (leftovers.length > 0) console.error(`warning: namespaces left behind: ${leftovers.join(' ')}`)

  console.log(`load average after: ${loadavg().map((load) => load.toFixed(2)).join(' ')}; relay scheduling: ${realtimePriority ? `SCHED_FIFO ${realtimePriority}` : 'normal'}`)
  printTable(rows)
  for (const line of baselineLines(rows)) console.log(line)
  const misses = rows.filter(missesTarget)
  console.log(
    misses.length === 0
      ? `target met: every relay median within ${TARGET_ERROR_MS} ms of the configured RTT`
      : `target missed (>${TARGET_ERROR_MS} ms): ${misses.map((row) => `${row.tool}@${row.configuredRttMs}ms`).join(', ')}`,
  )
  return misses.length > 0 && values.strict ? 3 : 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  async (error: unknown) => {
    console.error(`relay-fidelity: ${(error as Error).message}`)
    await runCleanup(stopAllLabProcesses)
    process.exitCode = 1
  },
)
