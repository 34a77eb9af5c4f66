// RTT probes that run inside lab namespaces: a Node UDP echo server and
// client (each a `node -e` process under `ip netns exec`), and iputils ping.
// Nothing here sends a packet from the calling process's own namespace.

import { spawn, type ChildProcess } from 'node:child_process'
import { collectTail, runInNamespace, stopChild, trackChild, waitForOutputLine } from './relay-link.ts'

// Plain CommonJS for `node -e`. It exits when its stdin closes, so it cannot
// outlive the process that started it.
const UDP_ECHO_SERVER_SOURCE = [
  "const dgram = require('node:dgram')",
  'const [address, port] = process.argv.slice(1)',
  "const socket = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4')",
  "socket.on('message', (message, from) => socket.send(message, from.port, from.address))",
  "socket.on('error', (error) => { console.error(error.message); process.exit(1) })",
  "socket.bind(Number(port), address, () => console.log('listening ' + socket.address().port))",
  "process.stdin.on('end', () => process.exit(0))",
  'process.stdin.resume()',
  "process.on('SIGTERM', () => process.exit(0))",
].join('\n')

// Sends `count` datagrams every `intervalMs` (scheduled against the start time
// so that timer drift does not accumulate), matches replies by sequence
// number, and prints one JSON line. The socket is connected so that each send
// skips the address lookup.
const UDP_RTT_CLIENT_SOURCE = [
  "const dgram = require('node:dgram')",
  'const [address, port, countText, intervalText, waitText] = process.argv.slice(1)',
  'const count = Number(countText), intervalMs = Number(intervalText), waitMs = Number(waitText)',
  "const socket = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4')",
  'const sentAt = new Map(), samples = []',
  'let sent = 0, start = 0n, finished = false, waitTimer',
  'function finish() {',
  '  if (finished) return',
  '  finished = true',
  '  clearTimeout(waitTimer)',
  "  process.stdout.write(JSON.stringify({ sent, samples }) + '\\n', () => process.exit(0))",
  '}',
  'function sendNext() {',
  '  const payload = Buffer.alloc(32)',
  '  payload.writeUInt32BE(sent, 0)',
  '  sentAt.set(sent, process.hrtime.bigint())',
  '  socket.send(payload)',
  '  sent += 1',
  '  if (sent < count) {',
  '    const dueNs = start + BigInt(Math.round(sent * intervalMs * 1e6))',
  '    setTimeout(sendNext, Math.max(0, Number(dueNs - process.hrtime.bigint()) / 1e6))',
  '  } else {',
  '    waitTimer = setTimeout(finish, waitMs)',
  '  }',
  '}',
  "socket.on('message', (message) => {",
  '  const now = process.hrtime.bigint()',
  '  if (message.length < 4) return',
  '  const seq = message.readUInt32BE(0)',
  '  const then = sentAt.get(seq)',
  '  if (then === undefined) return',
  '  sentAt.delete(seq)',
  '  samples.push({ seq, rttMs: Number(now - then) / 1e6 })',
  '  if (sent === count && sentAt.size === 0) finish()',
  '})',
  // An ICMP port unreachable surfaces as an error on a connected socket: a lost probe.
  "socket.on('error', () => {})",
  // Like the server: stop when the parent goes away (its end of stdin closes).
  "process.stdin.on('end', () => process.exit(1))",
  'process.stdin.resume()',
  'socket.connect(Number(port), address, () => { start = process.hrtime.bigint(); sendNext() })',
].join('\n')

export interface RttSample {
  seq: number
  rttMs: number
}

export interface RttRun {
  sent: number
  samples: RttSample[]
}

export interface UdpEchoServer {
  namespace: string
  address: string
  port: number
  process: ChildProcess
}

/** Starts a UDP echo server inside `namespace`; port 0 picks a free port. */
export async function startUdpEchoServer(namespace: string, address: string, port = 0): Promise<UdpEchoServer> {
  const child = trackChild(
    spawn('ip', ['netns', 'exec', namespace, process.execPath, '-e', UDP_ECHO_SERVER_SOURCE, address, String(port)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  )
  const log = { text: '' }
  collectTail(child.stderr, log)
  child.on('error', (error) => {
    log.text += `\n[spawn error] ${error.message}`
  })
  try {
    const line = await waitForOutputLine(child, 'listening ', 10_000, log)
    return { namespace, address, port: Number(line.split(' ')[1]), process: child }
  } catch (error) {
    await stopChild(child)
    throw new Error(`UDP echo server in ${namespace}: ${(error as Error).message}`)
  }
}

export function stopUdpEchoServer(server: UdpEchoServer): Promise<void> {
  return stopChild(server.process)
}

export interface UdpRttOptions {
  count: number
  intervalMs: number
  /** How long to wait for replies after the last send. */
  waitMs: number
}

/** Runs the UDP RTT client inside `namespace` against `address:port`. */
export async function measureUdpRtt(namespace: string, address: string, port: number, options: UdpRttOptions): Promise<RttRun> {
  const budgetMs = options.count * options.intervalMs + options.waitMs + 10_000
  const result = await runInNamespace(
    namespace,
    process.execPath,
    ['-e', UDP_RTT_CLIENT_SOURCE, address, String(port), String(options.count), String(options.intervalMs), String(options.waitMs)],
    budgetMs,
  )
  if (result.code !== 0) throw new Error(`UDP RTT client in ${namespace} failed (${result.code}): ${result.stderr.trim()}`)
  return JSON.parse(result.stdout) as RttRun
}

export interface PingOptions {
  count: number
  intervalSeconds: number
}

/** iputils ping inside `namespace`; lost probes are simply absent. */
export async function measurePingRtt(namespace: string, address: string, options: PingOptions): Promise<RttRun> {
  const budgetMs = options.count * options.intervalSeconds * 1000 + 15_000
  const args = ['-n', '-c', String(options.count), '-i', String(options.intervalSeconds), '-W', '2', address]
  const result = await runInNamespace(namespace, 'ping', args, budgetMs)
  // Exit 1 means some replies were missing; that is a measurement, not a failure.
  if (result.code !== 0 && result.code !== 1) throw new Error(`ping in ${namespace} failed (${result.code}): ${result.stderr.trim()}`)
  const samples: RttSample[] = []
  for (const match of result.stdout.matchAll(/icmp_seq=(\d+) .*time=([\d.]+) ms/g)) {
    // icmp_seq counts from 1; samples count from 0 like the UDP client's.
    samples.push({ seq: Number(match[1]) - 1, rttMs: Number(match[2]) })
  }
  return { sent: options.count, samples }
}

export interface RttSummary {
  count: number
  minMs: number
  medianMs: number
  p90Ms: number
  maxMs: number
}

/** Linear interpolation between order statistics (the usual "type 7"). */
export function percentile(sortedValues: number[], fraction: number): number {
  if (sortedValues.length === 0) return Number.NaN
  const position = (sortedValues.length - 1) * fraction
  const below = sortedValues[Math.floor(position)]!
  const above = sortedValues[Math.ceil(position)]!
  return below + (above - below) * (position - Math.floor(position))
}

/** Summary of the samples whose sequence number is at least `skipFirst` (warm-up). */
export function summarizeRtt(run: RttRun, skipFirst = 0): RttSummary {
  const values = run.samples
    .filter((sample) => sample.seq >= skipFirst)
    .map((sample) => sample.rttMs)
    .sort((a, b) => a - b)
  return {
    count: values.length,
    minMs: values[0] ?? Number.NaN,
    medianMs: percentile(values, 0.5),
    p90Ms: percentile(values, 0.9),
    maxMs: values[values.length - 1] ?? Number.NaN,
  }
}
