// How many observations per second the probe engine produces in one Node process, and what each
// costs in CPU, beside dnsperf sending the same query to the same NSD.
//
//   npx tsx bench/throughput.ts [--probes 20000] [--concurrency 64] [--tcp-probes 5000] [--dnsperf-seconds 3]
//
// Everything goes to 127.0.0.1: NSD is started by test/support/dns-servers.ts on an ephemeral port
// and stopped at the end. Figures only, no thresholds: the exit code is 0 unless the setup fails.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { runProbe, type ProbeDeps, type ProbeRequest } from '../src/app/probe.ts'
import { nodeProbeDeps } from '../src/cli/node-probe-deps.ts'
import type { Observation, TransportName } from '../src/core/model.ts'
import { startDnsServer, type RunningDnsServer } from '../test/support/dns-servers.ts'
import { fixed, renderTable } from './table.ts'
import { installSignalCleanup } from './cleanup.ts'

const QNAME = 'example'
const PROBE_TIMEOUT_MS = 2_000
// Unmeasured probes first, so that JIT compilation is not billed to the measured ones.
const WARMUP_PROBES = 1_000
// dnsperf refuses an empty option value; a one-byte NSID request still gets NSD's NSID back
// (its answers grow from 117 to 130 bytes, the size of the probe's answers).
const DNSPERF_NSID_OPTION = '3:00'
const DNSPERF_TIMEOUT_SECONDS = 2
const MAX_PROBLEMS_SHOWN = 10

interface LoadRun {
  tool: string
  transport: string
  queries: number
  wallSeconds: number
  cpuUserMicros: number
  cpuSystemMicros: number
  /** Anything but an ok answer carrying the NSID, by description, with counts. */
  problems: Map<string, number>
  note: string
}

interface Options {
  udpProbes: number
  tcpProbes: number
  concurrency: number
  dnsperfSeconds: number
}

// ------------------------------------------------------------------------------ probe engine

function probeRequest(port: number, transport: TransportName): ProbeRequest {
  return { vantage: 'bench', address: '127.0.0.1', port, transport, qname: QNAME, timeoutMs: PROBE_TIMEOUT_MS }
}

function problemOf(observation: Observation): string | null {
  if (observation.outcome !== 'ok') return `${observation.outcome}: ${observation.error ?? ''}`
  if (observation.retriedOverTcp) return 'ok, but truncated over UDP and retried over TCP'
  if (observation.identity?.source !== 'nsid') return `ok, identity from ${observation.identity?.source ?? 'nowhere'}`
  return null
}

/** `count` probes, at most `concurrency` in flight, all in this process. */
async function runProbeLoad(deps: ProbeDeps, port: number, transport: TransportName, count: number, concurrency: number): Promise<LoadRun> {
  const problems = new Map<string, number>()
  const request = probeRequest(port, transport)
  let started = 0
  const worker = async (): Promise<void> => {
    while (started < count) {
      started += 1
      const problem = problemOf(await runProbe(deps, request))
      if (problem) problems.set(problem, (problems.get(problem) ?? 0) + 1)
    }
  }
  const cpuBefore = process.cpuUsage()
  const startedAtMs = performance.now()
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  const wallSeconds = (performance.now() - startedAtMs) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  return {
    tool: 'probe',
    transport,
    queries: count,
    wallSeconds,
    cpuUserMicros: cpu.user,
    cpuSystemMicros: cpu.system,
    problems,
    note: `${concurrency} in flight, socket per query`,
  }
}

async function measureProbes(port: number, transport: TransportName, count: number, concurrency: number): Promise<LoadRun> {
  const deps = nodeProbeDeps()
  await runProbeLoad(deps, port, transport, Math.min(WARMUP_PROBES, count), concurrency)
  return runProbeLoad(deps, port, transport, count, concurrency)
}

// ----------------------------------------------------------------------------------- dnsperf

interface DnsperfStats {
  completed: number
  lost: number
  runSeconds: number
  queriesPerSecond: number
  responseCodes: string
}

let runningDnsperf: ChildProcess | undefined

function dnsperfAvailable(): boolean {
  return spawnSync('dnsperf', ['-h'], { stdio: 'ignore' }).error === undefined
}

function statLine(stdout: string, label: string): string {
  const match = new RegExp(`^\\s*${label}:\\s*(.+)$`, 'm').exec(stdout)
  if (!match?.[1]) throw new Error(`dnsperf printed no "${label}" line:\n${stdout}`)
  return match[1].trim()
}

function parseDnsperf(stdout: string): DnsperfStats {
  return {
    completed: Number.parseInt(statLine(stdout, 'Queries completed'), 10),
    lost: Number.parseInt(statLine(stdout, 'Queries lost'), 10),
    runSeconds: Number.parseFloat(statLine(stdout, 'Run time \\(s\\)')),
    queriesPerSecond: Number.parseFloat(statLine(stdout, 'Queries per second')),
    responseCodes: statLine(stdout, 'Response codes'),
  }
}

/** bash's `times` prints "XmY.YYYs XmY.YYYs" for the shell, then the same for its children. */
function parseChildCpuMicros(stdout: string): { user: number; system: number } {
  const lines = [...stdout.matchAll(/^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/gm)]
  const children = lines[lines.length - 1]
  if (!children) throw new Error(`no CPU times after dnsperf's output:\n${stdout}`)
  const micros = (minutes: string | undefined, seconds: string | undefined): number =>
    Math.round((Number(minutes) * 60 + Number(seconds)) * 1e6)
  return { user: micros(children[1], children[2]), system: micros(children[3], children[4]) }
}

/**
 * dnsperf under bash, whose `times` builtin then reports the CPU its child used (getrusage of
 * RUSAGE_CHILDREN, all threads included, millisecond print resolution). bash leads its own process
 * group so that a signal can stop both.
 */
function runDnsperf(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const script = 'dnsperf "$@" 2>&1; status=$?; times; exit $status'
    const child = spawn('bash', ['-c', script, 'bash', ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    runningDnsperf = child
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      runningDnsperf = undefined
      if (code === 0) resolve(output)
      else reject(new Error(`dnsperf ${args.join(' ')} exited ${code}:\n${output}`))
    })
  })
}

async function measureDnsperf(port: number, queryFile: string, options: Options, mode: 'udp' | 'tcp' | 'tcp-persistent'): Promise<LoadRun> {
  const concurrency = String(options.concurrency)
  const args = ['-s', '127.0.0.1', '-p', String(port), '-d', queryFile, '-E', DNSPERF_NSID_OPTION, '-l', String(options.dnsperfSeconds)]
  args.push('-c', concurrency, '-q', concurrency, '-T', '1', '-t', String(DNSPERF_TIMEOUT_SECONDS))
  if (mode !== 'udp') args.push('-m', 'tcp')
  // One query per connection is what the probe does; persistent connections show what that costs.
  if (mode === 'tcp') args.push('-O', 'num-queries-per-conn=1')
  const output = await runDnsperf(args)
  const stats = parseDnsperf(output)
  const cpu = parseChildCpuMicros(output)
  const problems = new Map<string, number>()
  if (stats.lost > 0) problems.set('lost', stats.lost)
  if (!/^NOERROR \d+ \(100\.00%\)$/.test(stats.responseCodes)) problems.set(`response codes: ${stats.responseCodes}`, 1)
  const note = mode === 'udp' ? `-c/-q ${concurrency}, 1 thread` : mode === 'tcp' ? `-c/-q ${concurrency}, 1 query per connection` : `-c/-q ${concurrency}, persistent connections`
  return {
    tool: 'dnsperf',
    transport: mode === 'udp' ? 'udp' : 'tcp',
    queries: stats.completed,
    wallSeconds: stats.runSeconds,
    cpuUserMicros: cpu.user,
    cpuSystemMicros: cpu.system,
    problems,
    note,
  }
}

async function writeQueryFile(directory: string): Promise<string> {
  const file = path.join(directory, 'queries.txt')
  await writeFile(file, `${QNAME} SOA\n`)
  return file
}

// ------------------------------------------------------------------------------------ report

const queriesPerSecond = (run: LoadRun): number => run.queries / run.wallSeconds
const cpuMicrosPerQuery = (run: LoadRun): number => (run.cpuUserMicros + run.cpuSystemMicros) / run.queries
const systemMicrosPerQuery = (run: LoadRun): number => run.cpuSystemMicros / run.queries

function printRuns(runs: LoadRun[]): void {
  const header = ['tool', 'transport', 'queries', 'seconds', 'queries/s', 'CPU µs/query', 'of which sys', 'not ok', 'how']
  const rows = runs.map((run) => [
    run.tool,
    run.transport,
    String(run.queries),
    fixed(run.wallSeconds, 2),
    fixed(queriesPerSecond(run), 0),
    fixed(cpuMicrosPerQuery(run), 1),
    fixed(systemMicrosPerQuery(run), 1),
    String([...run.problems.values()].reduce((sum, count) => sum + count, 0)),
    run.note,
  ])
  console.log(renderTable(header, rows, 2))
}

function printRatio(label: string, probe: LoadRun | undefined, dnsperf: LoadRun | undefined): void {
  if (!probe || !dnsperf) return
  const rate = queriesPerSecond(probe) / queriesPerSecond(dnsperf)
  const cpu = cpuMicrosPerQuery(probe) / cpuMicrosPerQuery(dnsperf)
  console.log(`${label}: probe/dnsperf  queries/s ${fixed(rate, 3)}  CPU µs/query ${fixed(cpu, 1)}`)
}

function printProblems(runs: LoadRun[]): void {
  for (const run of runs) {
    const entries = [...run.problems.entries()].sort((a, b) => b[1] - a[1])
    if (entries.length === 0) continue
    console.log(`\n${run.tool} ${run.transport} (${run.note}): not ok`)
    for (const [problem, count] of entries.slice(0, MAX_PROBLEMS_SHOWN)) console.log(`  ${count} x ${problem}`)
    if (entries.length > MAX_PROBLEMS_SHOWN) console.log(`  ... ${entries.length - MAX_PROBLEMS_SHOWN} more kinds`)
  }
}

// -------------------------------------------------------------------------------------- main

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      probes: { type: 'string', default: '20000' },
      concurrency: { type: 'string', default: '64' },
      'tcp-probes': { type: 'string', default: '5000' },
      'dnsperf-seconds': { type: 'string', default: '3' },
    },
  })
  const options = {
    udpProbes: Number(values.probes),
    tcpProbes: Number(values['tcp-probes']),
    concurrency: Number(values.concurrency),
    dnsperfSeconds: Number(values['dnsperf-seconds']),
  }
  for (const [name, value] of Object.entries(options)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, not ${value}`)
  }
  return options
}

async function measureAll(server: RunningDnsServer, options: Options, queryFile: string | undefined): Promise<LoadRun[]> {
  const runs: LoadRun[] = []
  console.error(`UDP: ${options.udpProbes} probes at concurrency ${options.concurrency}...`)
  runs.push(await measureProbes(server.port, 'udp', options.udpProbes, options.concurrency))
  if (queryFile) {
    console.error(`UDP: dnsperf for ${options.dnsperfSeconds} s...`)
    runs.push(await measureDnsperf(server.port, queryFile, options, 'udp'))
  }
  console.error(`TCP: ${options.tcpProbes} probes at concurrency ${options.concurrency}...`)
  runs.push(await measureProbes(server.port, 'tcp', options.tcpProbes, options.concurrency))
  if (queryFile) {
    console.error(`TCP: dnsperf for 2 x ${options.dnsperfSeconds} s...`)
    runs.push(await measureDnsperf(server.port, queryFile, options, 'tcp'))
    runs.push(await measureDnsperf(server.port, queryFile, options, 'tcp-persistent'))
  }
  return runs
}

function printReport(runs: LoadRun[], options: Options): void {
  console.log(`\nthroughput: NSD on 127.0.0.1, qname ${QNAME} SOA with EDNS + NSID`)
  console.log(`${os.cpus().length} CPUs, load average ${os.loadavg().map((load) => load.toFixed(1)).join(' ')}, Node ${process.version}`)
  console.log(`(probe: after ${WARMUP_PROBES} warm-up probes; CPU = process.cpuUsage() of this process; dnsperf: CPU of the dnsperf process from bash 'times')\n`)
  printRuns(runs)
  console.log('')
  const find = (tool: string, transport: string, note?: string): LoadRun | undefined =>
    runs.find((run) => run.tool === tool && run.transport === transport && (note === undefined || run.note.includes(note)))
  printRatio('UDP', find('probe', 'udp'), find('dnsperf', 'udp'))
  printRatio('TCP, a connection per query', find('probe', 'tcp'), find('dnsperf', 'tcp', '1 query per connection'))
  if (find('dnsperf', 'tcp', '1 query per connection')) {
    console.log('(dnsperf 2.10 with num-queries-per-conn=1 waits ~100 ms before each reconnect: its queries/s there is a dnsperf limit, not NSD\'s)')
  }
  printProblems(runs)
  if (options.concurrency > 1) console.log(`\nNSD, the probes and dnsperf share the machine's ${os.cpus().length} CPUs.`)
}

let server: RunningDnsServer | undefined
let scratch: string | undefined

async function stopEverything(): Promise<void> {
  if (runningDnsperf?.pid !== undefined) {
    try {
      process.kill(-runningDnsperf.pid, 'SIGTERM')
    } catch {
      // it ended on its own in the meantime
    }
  }
  await server?.stop()
  if (scratch) await rm(scratch, { recursive: true, force: true })
}

async function main(): Promise<number> {
  const options = parseOptions()
  installSignalCleanup(stopEverything)
  try {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'anycast-monitor-throughput-'))
    server = await startDnsServer('nsd')
    const withDnsperf = dnsperfAvailable()
    if (!withDnsperf) console.error('dnsperf not found: its rows are skipped (scripts/deps.sh installs it)')
    const runs = await measureAll(server, options, withDnsperf ? await writeQueryFile(scratch) : undefined)
    printReport(runs, options)
    return 0
  } finally {
    await stopEverything()
  }
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    console.error(`throughput: ${(error as Error).message}`)
    process.exitCode = 1
  },
)
