// Does the probe measure the round trip the network really has? Client and server namespaces are
// joined by the delayed link of lab/relay-link.ts; NSD listens in the server namespace. For each
// configured delay the client namespace measures the same path with the probe engine
// (bench/rtt-probe-runner.ts), with dig, and with ping (the link's ground truth), and prints
// configured vs measured RTT. Then UDP vs TCP at one delay.
//
//   sudo npx tsx bench/rtt-fidelity.ts [--queries 40]
//
// Target (from the issue): the probe's median within 0.5 ms of the true RTT. Printed as PASS/MISS;
// the exit code is 0 either way, and 1 only when the lab cannot be set up.

import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import {
  addressOf,
  assertLabPrefixesAreFree,
  collectTail,
  createDelayedLink,
  createNamespace,
  deleteNamespace,
  destroyDelayedLink,
  getLinkStatus,
  hasExited,
  labUnavailableReason,
  listNamespaces,
  runInNamespace,
  setLinkImpairment,
  stopChild,
  type DelayedLink,
  type RelayStatus,
} from '../lab/relay-link.ts'
import { measurePingRtt, measureUdpRtt, percentile, startUdpEchoServer, stopUdpEchoServer } from '../lab/probes.ts'
import type { RunnerSample } from './rtt-probe-runner.ts'
import { fixed, renderTable, signed } from './table.ts'
import { installSignalCleanup, onCleanup, runCleanup } from './cleanup.ts'

const ONE_WAY_DELAYS_MS = [0, 5, 15, 30]
const TCP_COMPARISON_ONE_WAY_MS = 15
const TARGET_ERROR_MS = 0.5
// The first probes of a process pay for JIT compilation and first-use allocations; dropped.
const WARMUP_QUERIES = 3
const PROBE_INTERVAL_MS = 20
const PING_INTERVAL_SECONDS = 0.05
const CLIENT_CIDR = '10.252.0.1/24'
const SERVER_CIDR = '10.252.0.2/24'
const SERVER_ADDRESS = addressOf(SERVER_CIDR)
// Inside the server namespace, which has nothing else listening.
const DNS_PORT = 53
const ZONE = 'example'
const NSD_IDENTITY = 'nsd-rtt-lab'
const NSD_READY_TIMEOUT_MS = 10_000
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
const RUNNER_SCRIPT = fileURLToPath(new URL('./rtt-probe-runner.ts', import.meta.url))

interface Summary {
  count: number
  p10Ms: number
  medianMs: number
  p90Ms: number
}

interface DelayRow {
  configuredRttMs: number
  probe: Summary
  probeProblems: string[]
  dig: Summary
  ping: Summary
  echo: Summary
  /** The relay's counters over each tool's run. */
  relayDuringProbe: RelayStatus
  relayDuringPing: RelayStatus
}

interface Lab {
  clientNs: string
  link: DelayedLink
  echoPort: number
}

interface TransportRow {
  transport: string
  rtt: Summary
  connect: Summary
  problems: string[]
}

// ------------------------------------------------------------------------------- the lab

function setupProblem(): string | undefined {
  const labReason = labUnavailableReason()
  if (labReason) return labReason
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing'
  for (const [tool, args] of [['python3', ['--version']], ['ping', ['-V']], ['dig', ['-v']]] as const) {
    if (spawnSync(tool, args, { stdio: 'ignore' }).status !== 0) return `${tool} is not available (scripts/deps.sh installs it)`
  }
  if (!nsdBinary()) return 'nsd is not installed (scripts/deps.sh installs it)'
  return undefined
}

function nsdBinary(): string | undefined {
  return ['/usr/sbin/nsd', '/usr/local/sbin/nsd'].find((candidate) => existsSync(candidate))
}

function nsdConfig(directory: string): string {
  const file = (name: string): string => `"${path.join(directory, name)}"`
  // Same shape as test/support/dns-servers.ts, but bound to the server namespace's link address.
  return `server:
    ip-address: ${SERVER_ADDRESS}@${DNS_PORT}
    port: ${DNS_PORT}
    do-ip4: yes
    do-ip6: no
    server-count: 1
    reuseport: no
    username: ""
    chroot: ""
    zonesdir: "${directory}"
    pidfile: ${file('nsd.pid')}
    database: ""
    xfrdfile: ${file('xfrd.state')}
    zonelistfile: ${file('zone.list')}
    identity: "${NSD_IDENTITY}"
    nsid: "ascii_${NSD_IDENTITY}"
    rrl-ratelimit: 0
    verbosity: 1

remote-control:
    control-enable: no

zone:
    name: "${ZONE}"
    zonefile: "${ZONE}.zone"
`
}

function zoneText(): string {
  return `$ORIGIN ${ZONE}.
$TTL 300
@    IN SOA ns1.${ZONE}. hostmaster.${ZONE}. 1 3600 900 604800 300
@    IN NS  ns1.${ZONE}.
ns1  IN A   ${SERVER_ADDRESS}
`
}

/** NSD in the foreground inside the server namespace (`ip netns exec` execs, so the pid is NSD's). */
async function startNsd(serverNs: string, clientNs: string, directory: string): Promise<ChildProcess> {
  await writeFile(path.join(directory, `${ZONE}.zone`), zoneText())
  await writeFile(path.join(directory, 'nsd.conf'), nsdConfig(directory))
  const child = spawn('ip', ['netns', 'exec', serverNs, nsdBinary()!, '-d', '-c', path.join(directory, 'nsd.conf')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const log = { text: '' }
  collectTail(child.stdout, log)
  collectTail(child.stderr, log)
  child.on('error', (error) => {
    log.text += `\n[spawn error] ${error.message}`
  })
  onCleanup(`NSD (pid ${child.pid})`, () => stopChild(child, 5_000))
  await waitForNsd(child, clientNs, log)
  return child
}

async function waitForNsd(child: ChildProcess, clientNs: string, log: { text: string }): Promise<void> {
  const deadline = Date.now() + NSD_READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (hasExited(child)) throw new Error(`NSD exited: ${log.text.trim()}`)
    const answer = await runInNamespace(clientNs, 'dig', ['+short', '+tries=1', '+time=1', '-p', String(DNS_PORT), `@${SERVER_ADDRESS}`, ZONE, 'SOA'])
    if (answer.code === 0 && answer.stdout.trim() !== '') return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`NSD did not answer within ${NSD_READY_TIMEOUT_MS} ms: ${log.text.trim()}`)
}

async function buildLab(runId: string, scratch: string): Promise<Lab> {
  await assertLabPrefixesAreFree([CLIENT_CIDR, SERVER_CIDR])
  const clientNs = `${runId}-cli`
  const serverNs = `${runId}-srv`
  for (const ns of [clientNs, serverNs]) {
    await createNamespace(ns)
    onCleanup(`namespace ${ns}`, () => deleteNamespace(ns))
  }
  const link = await createDelayedLink({
    namespaceA: clientNs,
    namespaceB: serverNs,
    addressA: CLIENT_CIDR,
    addressB: SERVER_CIDR,
    delayMs: 0,
    relayNamespace: `${runId}-rly`,
  })
  onCleanup(`relay link (pid ${link.relayPid})`, () => destroyDelayedLink(link))
  await startNsd(serverNs, clientNs, scratch)
  const echo = await startUdpEchoServer(serverNs, SERVER_ADDRESS)
  onCleanup('UDP echo server', () => stopUdpEchoServer(echo))
  return { clientNs, link, echoPort: echo.port }
}

// -------------------------------------------------------------------------- measurements

function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b)
  return { count: sorted.length, p10Ms: percentile(sorted, 0.1), medianMs: percentile(sorted, 0.5), p90Ms: percentile(sorted, 0.9) }
}

/** The probe runner in the client namespace; cwd is the repo so that `--import tsx` resolves. */
function runProbeRunner(clientNs: string, transport: 'udp' | 'tcp', count: number): Promise<RunnerSample[]> {
  const args = ['netns', 'exec', clientNs, process.execPath, '--import', 'tsx', RUNNER_SCRIPT]
  args.push('--address', SERVER_ADDRESS, '--port', String(DNS_PORT), '--count', String(count))
  args.push('--transport', transport, '--interval-ms', String(PROBE_INTERVAL_MS), '--qname', ZONE)
  return new Promise((resolve, reject) => {
    execFile('ip', args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`probe runner failed: ${stderr.trim() || error.message}`))
      resolve((JSON.parse(stdout) as { samples: RunnerSample[] }).samples)
    })
  })
}

function probeProblems(samples: RunnerSample[]): string[] {
  const expected = `nsid:${NSD_IDENTITY}`
  return samples
    .filter((sample) => sample.outcome !== 'ok' || sample.identity !== expected)
    .map((sample) => `${sample.outcome} (identity ${sample.identity ?? 'none'})`)
}

function timings(samples: RunnerSample[], field: 'rttMs' | 'connectMs'): number[] {
  return samples
    .slice(WARMUP_QUERIES)
    .map((sample) => sample[field])
    .filter((value): value is number => value !== null)
}

/** One dig process asking `count` times (dig prints whole milliseconds). */
async function measureDig(clientNs: string, count: number): Promise<number[]> {
  const queries = Array.from({ length: count }, () => [ZONE, 'SOA']).flat()
  const args = ['+nsid', '+tries=1', '+time=2', '-p', String(DNS_PORT), `@${SERVER_ADDRESS}`, ...queries]
  const result = await runInNamespace(clientNs, 'dig', args, 60_000)
  if (result.code !== 0) throw new Error(`dig failed (${result.code}): ${result.stderr.trim()}`)
  const nsidAnswers = result.stdout.split(`("${NSD_IDENTITY}")`).length - 1
  if (nsidAnswers !== count) console.error(`warning: ${nsidAnswers} of ${count} dig answers carried the NSID`)
  return [...result.stdout.matchAll(/^;; Query time: (\d+) msec$/gm)].map((match) => Number(match[1])).slice(WARMUP_QUERIES)
}

async function measurePing(clientNs: string, count: number): Promise<number[]> {
  const run = await measurePingRtt(clientNs, SERVER_ADDRESS, { count: count + WARMUP_QUERIES, intervalSeconds: PING_INTERVAL_SECONDS })
  return run.samples.filter((sample) => sample.seq >= WARMUP_QUERIES).map((sample) => sample.rttMs)
}

/** Node's UDP echo client: timed in userspace like the probe, but with no DNS on either end. */
async function measureEcho(lab: Lab, count: number, configuredRttMs: number): Promise<number[]> {
  const run = await measureUdpRtt(lab.clientNs, SERVER_ADDRESS, lab.echoPort, {
    count: count + WARMUP_QUERIES,
    intervalMs: PROBE_INTERVAL_MS,
    waitMs: Math.max(500, 5 * configuredRttMs),
  })
  return run.samples.filter((sample) => sample.seq >= WARMUP_QUERIES).map((sample) => sample.rttMs)
}

/** The relay's counters since the last reset, then a reset for the next tool. */
async function relayStatusThenReset(link: DelayedLink): Promise<RelayStatus> {
  const status = await getLinkStatus(link)
  await setLinkImpairment(link, { resetStats: true })
  return status
}

async function measureDelay(lab: Lab, oneWayMs: number, queries: number): Promise<DelayRow> {
  await setLinkImpairment(lab.link, { delayMs: oneWayMs, lossPct: 0, resetStats: true })
  const probeSamples = await runProbeRunner(lab.clientNs, 'udp', queries + WARMUP_QUERIES)
  const relayDuringProbe = await relayStatusThenReset(lab.link)
  const dig = await measureDig(lab.clientNs, queries + WARMUP_QUERIES)
  await relayStatusThenReset(lab.link)
  const ping = await measurePing(lab.clientNs, queries)
  const relayDuringPing = await relayStatusThenReset(lab.link)
  const echo = await measureEcho(lab, queries, 2 * oneWayMs)
  return {
    configuredRttMs: 2 * oneWayMs,
    probe: summarize(timings(probeSamples, 'rttMs')),
    probeProblems: probeProblems(probeSamples),
    dig: summarize(dig),
    ping: summarize(ping),
    echo: summarize(echo),
    relayDuringProbe,
    relayDuringPing,
  }
}

async function measureTransports(lab: Lab, queries: number): Promise<TransportRow[]> {
  await setLinkImpairment(lab.link, { delayMs: TCP_COMPARISON_ONE_WAY_MS, lossPct: 0 })
  const rows: TransportRow[] = []
  for (const transport of ['udp', 'tcp'] as const) {
    const samples = await runProbeRunner(lab.clientNs, transport, queries + WARMUP_QUERIES)
    rows.push({
      transport,
      rtt: summarize(timings(samples, 'rttMs')),
      connect: summarize(timings(samples, 'connectMs')),
      problems: probeProblems(samples),
    })
  }
  return rows
}

// -------------------------------------------------------------------------------- report

const verdict = (errorMs: number): string => (Math.abs(errorMs) <= TARGET_ERROR_MS ? 'PASS' : 'MISS')

function lateness(status: RelayStatus): string {
  const meanUs = Math.max(status.aToB.meanLatenessUs, status.bToA.meanLatenessUs)
  const maxUs = Math.max(status.aToB.maxLatenessUs, status.bToA.maxLatenessUs)
  return `${fixed(meanUs, 0)}/${fixed(maxUs, 0)}`
}

function printDelayTable(rows: DelayRow[]): void {
  const header = ['cfg RTT', 'n', 'probe p10', 'probe med', 'probe p90', 'dig med', 'ping med', 'echo med', 'probe-cfg', 'probe-ping', 'probe-echo', 'vs cfg', 'vs ping', 'relay late: probe', 'ping']
  const lines = rows.map((row) => [
    fixed(row.configuredRttMs, 0),
    String(row.probe.count),
    fixed(row.probe.p10Ms, 3),
    fixed(row.probe.medianMs, 3),
    fixed(row.probe.p90Ms, 3),
    fixed(row.dig.medianMs, 0),
    fixed(row.ping.medianMs, 3),
    fixed(row.echo.medianMs, 3),
    signed(row.probe.medianMs - row.configuredRttMs, 3),
    signed(row.probe.medianMs - row.ping.medianMs, 3),
    signed(row.probe.medianMs - row.echo.medianMs, 3),
    verdict(row.probe.medianMs - row.configuredRttMs),
    verdict(row.probe.medianMs - row.ping.medianMs),
    lateness(row.relayDuringProbe),
    lateness(row.relayDuringPing),
  ])
  console.log(renderTable(header, lines, 0))
}

function printTransportTable(rows: TransportRow[]): void {
  const configuredRttMs = 2 * TCP_COMPARISON_ONE_WAY_MS
  const header = ['transport', 'n', 'rtt p10', 'rtt med', 'rtt p90', 'rtt-cfg', 'connect p10', 'connect med', 'connect p90']
  const lines = rows.map((row) => [
    row.transport,
    String(row.rtt.count),
    fixed(row.rtt.p10Ms, 3),
    fixed(row.rtt.medianMs, 3),
    fixed(row.rtt.p90Ms, 3),
    signed(row.rtt.medianMs - configuredRttMs, 3),
    fixed(row.connect.p10Ms, 3),
    fixed(row.connect.medianMs, 3),
    fixed(row.connect.p90Ms, 3),
  ])
  console.log(renderTable(header, lines, 1))
}

function printProblems(rows: Array<{ label: string; problems: string[] }>): void {
  for (const { label, problems } of rows) {
    if (problems.length > 0) console.log(`${label}: ${problems.length} probes not ok with NSID: ${[...new Set(problems)].join('; ')}`)
  }
}

function printReport(rows: DelayRow[], transports: TransportRow[], queries: number): void {
  console.log(`\nrtt-fidelity: probe vs dig vs ping over the relay link, ${queries} queries per tool and delay (after ${WARMUP_QUERIES} warm-up)`)
  console.log(`${os.cpus().length} CPUs, load average ${os.loadavg().map((load) => load.toFixed(1)).join(' ')}, Node ${process.version}`)
  console.log(`probe: UDP, one at a time every ${PROBE_INTERVAL_MS} ms, rttMs from send to answer; dig: whole ms; ping: ICMP every ${PING_INTERVAL_SECONDS * 1000} ms,`)
  console.log(`kernel receive timestamps, printed to 0.1 ms from 10 ms up; echo: Node UDP echo (lab/probes.ts) every ${PROBE_INTERVAL_MS} ms, userspace timestamps\n`)
  printDelayTable(rows)
  console.log('(ms; "relay late" = mean/max µs by which the relay wrote frames after their due time, during the probe run and the ping run)')
  console.log(`\nUDP vs TCP at ${2 * TCP_COMPARISON_ONE_WAY_MS} ms configured RTT (TCP rtt: write to answer on the open connection; connect: SYN to established)\n`)
  printTransportTable(transports)
  console.log('')
  printProblems([
    ...rows.map((row) => ({ label: `UDP at ${row.configuredRttMs} ms`, problems: row.probeProblems })),
    ...transports.map((row) => ({ label: `${row.transport} at ${2 * TCP_COMPARISON_ONE_WAY_MS} ms`, problems: row.problems })),
  ])
  const misses = rows.filter((row) => verdict(row.probe.medianMs - row.configuredRttMs) === 'MISS')
  console.log(
    misses.length === 0
      ? `target met: every probe median within ${TARGET_ERROR_MS} ms of the configured RTT`
      : `target missed (> ${TARGET_ERROR_MS} ms from the configured RTT) at ${misses.map((row) => `${row.configuredRttMs} ms`).join(', ')}`,
  )
}

// ---------------------------------------------------------------------------------- main

async function runBenchmark(queries: number): Promise<{ rows: DelayRow[]; transports: TransportRow[] }> {
  const runId = `amrtt-${process.pid}`
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'anycast-monitor-rtt-'))
  onCleanup('scratch directory', () => rm(scratch, { recursive: true, force: true }))
  const lab = await buildLab(runId, scratch)
  const rows: DelayRow[] = []
  for (const oneWayMs of ONE_WAY_DELAYS_MS) {
    console.error(`RTT ${2 * oneWayMs} ms: probe, dig, ping...`)
    rows.push(await measureDelay(lab, oneWayMs, queries))
  }
  console.error(`RTT ${2 * TCP_COMPARISON_ONE_WAY_MS} ms: probe over UDP and TCP...`)
  const transports = await measureTransports(lab, queries)
  return { rows, transports }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { queries: { type: 'string', default: '40' } } })
  const queries = Number(values.queries)
  if (!Number.isInteger(queries) || queries < 1) throw new Error('--queries must be a positive integer')
  const problem = setupProblem()
  if (problem) {
    console.error(`rtt-fidelity: cannot set up the lab: ${problem}`)
    return 1
  }
  installSignalCleanup()
  let result: { rows: DelayRow[]; transports: TransportRow[] }
  try {
    result = await runBenchmark(queries)
  } catch (error) {
    console.error(`rtt-fidelity: ${(error as Error).message}`)
    return 1
  } finally {
    await runCleanup()
  }
  const leftovers = await listNamespaces(`amrtt-${process.pid}`)
  if (leftovers.length > 0) console.error(`warning: namespaces left behind: ${leftovers.join(' ')}`)
  printReport(result.rows, result.transports, queries)
  return 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  async (error: unknown) => {
    console.error(`rtt-fidelity: ${(error as Error).message}`)
    await runCleanup()
    process.exitCode = 1
  },
)
