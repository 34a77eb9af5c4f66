// Starts real Debian DNS daemons (NSD, BIND, Knot) on 127.0.0.1 for tests and benchmarks.
// Each server gets a free ephemeral port (UDP and TCP), its own temp dir with config, zone,
// pid file and working files, and runs in the foreground as a child of this process.
// Nothing here talks to anything but loopback: no recursion, no notify, no transfers.
import { spawn, type ChildProcess } from 'node:child_process'
import dgram from 'node:dgram'
import { accessSync, constants as fsConstants, rmSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import dnsPacket from 'dns-packet'

export type DnsServerKind = 'nsd' | 'bind' | 'bind-hostname' | 'knot'

export interface RunningDnsServer {
  kind: DnsServerKind
  address: string // '127.0.0.1'
  port: number
  zone: string // e.g. 'example' – the zone it is authoritative for (has SOA + NS)
  expectedIdentity: { source: 'nsid' | 'hostname.bind' | 'id.server'; text: string }
  pid: number
  stop(): Promise<void> // kills by its own PID, waits for exit, removes the temp dir
}

const LOOPBACK_ADDRESS = '127.0.0.1'
const DEFAULT_ZONE = 'example'
const DEFAULT_IDENTITY: Record<DnsServerKind, string> = {
  nsd: 'nsd-lab-1',
  bind: 'bind-lab-1',
  'bind-hostname': 'bind-hostname-lab-1',
  knot: 'knot-lab-1',
}
const DAEMON_BINARY: Record<DnsServerKind, string> = {
  nsd: 'nsd',
  bind: 'named',
  'bind-hostname': 'named',
  knot: 'knotd',
}
const START_DEADLINE_MS = 10_000
const READY_QUERY_TIMEOUT_MS = 300
const READY_POLL_INTERVAL_MS = 100
const STOP_GRACE_MS = 5_000
const MAX_PORT_PICK_TRIES = 50
const MAX_OUTPUT_CHARS = 64 * 1024
// The daemons are in /usr/sbin, which a non-root PATH often lacks.
const EXTRA_BINARY_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin']
// What NSD, BIND and Knot print when the port was taken between our probe and their bind().
const PORT_TAKEN_PATTERN = /address already in use|unable to listen on any configured interfaces|can't bind|cannot bind/i

interface DaemonSetup {
  args: string[]
  configFileName: string
  configText: string
  expectedIdentity: RunningDnsServer['expectedIdentity']
}

interface SetupInput {
  dir: string
  port: number
  zone: string
  identity: string
  zoneFileName: string
}

// ---------------------------------------------------------------------------------------------
// Public API

export function dnsServerAvailable(kind: DnsServerKind): { ok: true } | { ok: false; reason: string } {
  const binary = DAEMON_BINARY[kind]
  if (findExecutable(binary)) return { ok: true }
  return { ok: false, reason: `${binary} (needed for '${kind}') is not installed: run scripts/deps.sh as root` }
}

export async function startDnsServer(
  kind: DnsServerKind,
  opts: { identity?: string; zone?: string } = {},
): Promise<RunningDnsServer> {
  const identity = validIdentity(opts.identity ?? DEFAULT_IDENTITY[kind])
  const zone = validZone(opts.zone ?? DEFAULT_ZONE)
  const binaryPath = findExecutable(DAEMON_BINARY[kind])
  if (!binaryPath) {
    const availability = dnsServerAvailable(kind)
    throw new Error(`startDnsServer('${kind}'): ${availability.ok ? 'binary not found' : availability.reason}`)
  }
  const deadline = Date.now() + START_DEADLINE_MS
  const failures: string[] = []
  // Another process may grab the port between our probe and the daemon's bind(): retry on a new one.
  while (Date.now() < deadline) {
    const attempt = await startOnce(kind, binaryPath, identity, zone, deadline)
    if (attempt.ok) return attempt.server
    failures.push(attempt.message)
    if (!attempt.portTaken) break
  }
  throw new Error(`startDnsServer('${kind}') failed:\n${failures.join('\n---\n')}`)
}

// ---------------------------------------------------------------------------------------------
// One start attempt: temp dir, config, spawn, wait until it answers.

type StartAttempt = { ok: true; server: RunningDnsServer } | { ok: false; portTaken: boolean; message: string }

async function startOnce(
  kind: DnsServerKind,
  binaryPath: string,
  identity: string,
  zone: string,
  deadline: number,
): Promise<StartAttempt> {
  const port = await findFreePort()
  const dir = await mkdtemp(path.join(os.tmpdir(), `anycast-monitor-${kind}-`))
  const zoneFileName = `${zone}.zone`
  const setup = buildSetup(kind, { dir, port, zone, identity, zoneFileName })
  await writeDaemonFiles(dir, zone, zoneFileName, setup).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true })
    throw error
  })
  const daemon = spawnDaemon(binaryPath, setup.args, dir)
  const server = runningServer(kind, port, zone, setup.expectedIdentity, daemon, dir)
  const readiness = await waitUntilAnswering(daemon, port, zone, deadline)
  if (readiness === 'ready') return { ok: true, server }
  await server.stop()
  const portTaken = readiness === 'port-taken'
  const message = [
    `${kind} on ${LOOPBACK_ADDRESS}:${port}: ${describeReadiness(readiness, daemon)}`,
    `command: ${binaryPath} ${setup.args.join(' ')}`,
    `output:\n${daemon.output()}`,
  ].join('\n')
  return { ok: false, portTaken, message }
}

async function writeDaemonFiles(dir: string, zone: string, zoneFileName: string, setup: DaemonSetup): Promise<void> {
  await writeFile(path.join(dir, zoneFileName), zoneFileText(zone))
  await writeFile(path.join(dir, setup.configFileName), setup.configText)
  // Knot warns when its database directory is missing; create it up front.
  await mkdir(path.join(dir, 'db'))
}

function describeReadiness(readiness: Exclude<Readiness, 'ready'>, daemon: Daemon): string {
  if (readiness === 'port-taken') return 'port was taken before the daemon could bind it'
  if (readiness === 'exited') return `daemon exited early (${daemon.exitDescription()})`
  return `no SOA answer within ${START_DEADLINE_MS} ms`
}

// ---------------------------------------------------------------------------------------------
// Per-daemon configuration. Every path points into the temp dir; nothing listens beyond 127.0.0.1.

function buildSetup(kind: DnsServerKind, input: SetupInput): DaemonSetup {
  switch (kind) {
    case 'nsd':
      return nsdSetup(input)
    case 'bind':
      return bindSetup(input, { serverId: `"${input.identity}"` })
    case 'bind-hostname':
      return bindSetup(input, { serverId: 'none' })
    case 'knot':
      return knotSetup(input)
  }
}

function nsdSetup({ dir, port, zone, identity, zoneFileName }: SetupInput): DaemonSetup {
  const file = (name: string) => `"${path.join(dir, name)}"`
  // username "" keeps root (no chown of the temp dir needed); database "" means no nsd.db;
  // identity is set too so hostname.bind/id.server do not leak the machine's hostname.
  // rrl-ratelimit 0: Debian builds NSD with response rate limiting at 200 qps per source, which
  // drops or truncates (TC=1 slips) answers to a test or benchmark that queries faster than that.
  const configText = `server:
    ip-address: ${LOOPBACK_ADDRESS}@${port}
    port: ${port}
    do-ip4: yes
    do-ip6: no
    server-count: 1
    reuseport: no
    username: ""
    chroot: ""
    zonesdir: "${dir}"
    pidfile: ${file('nsd.pid')}
    database: ""
    xfrdfile: ${file('xfrd.state')}
    zonelistfile: ${file('zone.list')}
    identity: "${identity}"
    nsid: "ascii_${identity}"
    rrl-ratelimit: 0
    verbosity: 1

remote-control:
    control-enable: no

zone:
    name: "${zone}"
    zonefile: "${zoneFileName}"
`
  return {
    args: ['-d', '-c', path.join(dir, 'nsd.conf')],
    configFileName: 'nsd.conf',
    configText,
    expectedIdentity: { source: 'nsid', text: identity },
  }
}

function bindSetup({ dir, port, zone, identity, zoneFileName }: SetupInput, ids: { serverId: string }): DaemonSetup {
  const file = (name: string) => `"${path.join(dir, name)}"`
  // server-id feeds NSID and id.server; hostname feeds hostname.bind. 'server-id none' is what
  // makes the bind-hostname variant answer without NSID. session-keyfile defaults to /run/named,
  // reuseport no makes a port clash fail loudly instead of silently sharing the port.
  // 'controls { };' disables the rndc channel (default 127.0.0.1#953).
  const configText = `options {
    directory "${dir}";
    pid-file ${file('named.pid')};
    session-keyfile ${file('session.key')};
    managed-keys-directory "${dir}";
    listen-on port ${port} { ${LOOPBACK_ADDRESS}; };
    listen-on-v6 { none; };
    reuseport no;
    recursion no;
    notify no;
    allow-transfer { none; };
    dnssec-validation no;
    server-id ${ids.serverId};
    hostname "${identity}";
};

controls { };

zone "${zone}" {
    type primary;
    file ${file(zoneFileName)};
};
`
  const hostnameOnly = ids.serverId === 'none'
  return {
    // -g: foreground, log to stderr; no -u: stay the current user, who owns the temp dir.
    args: ['-g', '-4', '-n', '1', '-c', path.join(dir, 'named.conf')],
    configFileName: 'named.conf',
    configText,
    expectedIdentity: { source: hostnameOnly ? 'hostname.bind' : 'nsid', text: identity },
  }
}

function knotSetup({ dir, port, zone, identity, zoneFileName }: SetupInput): DaemonSetup {
  // user = whoever runs the tests, so knotd does not switch to an account that cannot write the dir.
  // Knot always uses SO_REUSEPORT for UDP (not configurable in 3.2).
  const configText = `server:
    rundir: "${dir}"
    pidfile: "${path.join(dir, 'knot.pid')}"
    user: ${os.userInfo().username}
    listen: ${LOOPBACK_ADDRESS}@${port}
    identity: "${identity}"
    nsid: "${identity}"
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1

database:
    storage: "${path.join(dir, 'db')}"

control:
    listen: "${path.join(dir, 'knot.sock')}"

log:
  - target: stderr
    any: info

zone:
  - domain: ${zone}
    storage: "${dir}"
    file: "${zoneFileName}"
`
  return {
    // knotd stays in the foreground unless given -d.
    args: ['-c', path.join(dir, 'knot.conf')],
    configFileName: 'knot.conf',
    configText,
    expectedIdentity: { source: 'nsid', text: identity },
  }
}

function zoneFileText(zone: string): string {
  // 192.0.2.0/24 is TEST-NET-1: data only, never contacted.
  return `$ORIGIN ${zone}.
$TTL 300
@    IN SOA ns1.${zone}. hostmaster.${zone}. 1 3600 900 604800 300
@    IN NS  ns1.${zone}.
ns1  IN A   ${LOOPBACK_ADDRESS}
www  IN A   192.0.2.1
`
}

// Identities and zones are spliced into config files: accept only plain names.
function validIdentity(identity: string): string {
  // Knot reads a value starting with 0x as hex, so refuse that too.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(identity) || /^0x/i.test(identity)) {
    throw new Error(`identity ${JSON.stringify(identity)} must be 1-63 chars of [A-Za-z0-9._-], not starting with 0x`)
  }
  return identity
}

function validZone(zone: string): string {
  const name = zone.replace(/\.$/, '').toLowerCase()
  const label = '[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?'
  if (!new RegExp(`^${label}(\\.${label})*$`).test(name)) {
    throw new Error(`zone ${JSON.stringify(zone)} must be a plain DNS name such as 'example'`)
  }
  return name
}

// ---------------------------------------------------------------------------------------------
// The daemon process: spawn, output capture, stop, cleanup on exit.

interface Daemon {
  child: ChildProcess
  output(): string
  hasExited(): boolean
  exitDescription(): string
  waitForExit(timeoutMs: number): Promise<boolean>
}

function spawnDaemon(binaryPath: string, args: string[], dir: string): Daemon {
  const child = spawn(binaryPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  let captured = ''
  // Keep only the tail: a long benchmark must not grow memory without bound.
  const capture = (chunk: Buffer) => {
    captured = (captured + chunk.toString('utf8')).slice(-MAX_OUTPUT_CHARS)
  }
  child.stdout?.on('data', capture)
  child.stderr?.on('data', capture)
  let spawnError: Error | undefined
  child.on('error', (error) => {
    spawnError = error
  })
  const hasExited = () => child.exitCode !== null || child.signalCode !== null || spawnError !== undefined
  return {
    child,
    output: () => captured,
    hasExited,
    exitDescription: () =>
      spawnError ? `spawn error: ${spawnError.message}` : `exit code ${child.exitCode}, signal ${child.signalCode}`,
    waitForExit: (timeoutMs) => waitForExit(child, hasExited, timeoutMs),
  }
}

function waitForExit(child: ChildProcess, hasExited: () => boolean, timeoutMs: number): Promise<boolean> {
  if (hasExited()) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit)
      resolve(false)
    }, timeoutMs)
    const onExit = () => {
      clearTimeout(timer)
      resolve(true)
    }
    child.once('exit', onExit)
  })
}

function runningServer(
  kind: DnsServerKind,
  port: number,
  zone: string,
  expectedIdentity: RunningDnsServer['expectedIdentity'],
  daemon: Daemon,
  dir: string,
): RunningDnsServer {
  const cleanupOnExit = () => killAndRemoveSync(daemon, dir)
  liveServers.add(cleanupOnExit)
  ensureExitHook()
  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= stopDaemon(daemon, dir).finally(() => liveServers.delete(cleanupOnExit))
    return stopping
  }
  return { kind, address: LOOPBACK_ADDRESS, port, zone, expectedIdentity, pid: daemon.child.pid ?? -1, stop }
}

async function stopDaemon(daemon: Daemon, dir: string): Promise<void> {
  if (!daemon.hasExited()) {
    daemon.child.kill('SIGTERM')
    if (!(await daemon.waitForExit(STOP_GRACE_MS))) {
      daemon.child.kill('SIGKILL')
      await daemon.waitForExit(STOP_GRACE_MS)
    }
  }
  await rm(dir, { recursive: true, force: true })
}

// If a test crashes or forgets stop(), the daemons must not outlive the test process.
// 'exit' handlers must be synchronous, hence SIGKILL (NSD's children exit when their parent dies).
const liveServers = new Set<() => void>()
let exitHookInstalled = false

function ensureExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const cleanup of liveServers) cleanup()
  })
}

function killAndRemoveSync(daemon: Daemon, dir: string): void {
  if (!daemon.hasExited()) daemon.child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
}

// ---------------------------------------------------------------------------------------------
// Readiness: the server is up once it answers the zone's SOA over UDP.

type Readiness = 'ready' | 'exited' | 'port-taken' | 'timeout'

async function waitUntilAnswering(daemon: Daemon, port: number, zone: string, deadline: number): Promise<Readiness> {
  while (Date.now() < deadline) {
    if (PORT_TAKEN_PATTERN.test(daemon.output())) return 'port-taken'
    if (daemon.hasExited()) return 'exited'
    if (await answersSoa(port, zone)) return 'ready'
    await sleep(READY_POLL_INTERVAL_MS)
  }
  return 'timeout'
}

async function answersSoa(port: number, zone: string): Promise<boolean> {
  const id = Math.floor(Math.random() * 0x10000)
  const query = dnsPacket.encode({ type: 'query', id, flags: 0, questions: [{ type: 'SOA', class: 'IN', name: zone }] })
  const reply = await udpExchange(query, port, READY_QUERY_TIMEOUT_MS)
  if (!reply) return false
  try {
    const response = dnsPacket.decode(reply)
    const answers = response.answers ?? []
    return response.id === id && answers.some((answer) => answer.type === 'SOA' && answer.name.toLowerCase() === zone)
  } catch {
    return false
  }
}

function udpExchange(query: Buffer, port: number, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4')
    const finish = (reply: Buffer | undefined) => {
      clearTimeout(timer)
      socket.close()
      resolve(reply)
    }
    const timer = setTimeout(() => finish(undefined), timeoutMs)
    // A connected socket reports ICMP port-unreachable as an error, so a closed port fails fast.
    socket.on('error', () => finish(undefined))
    socket.on('message', (reply) => finish(reply))
    socket.connect(port, LOOPBACK_ADDRESS, () => socket.send(query))
  })
}

// ---------------------------------------------------------------------------------------------
// Free ports and binaries.

async function findFreePort(): Promise<number> {
  for (let tries = 0; tries < MAX_PORT_PICK_TRIES; tries++) {
    const port = await bindUdpOnEphemeralPort()
    if (port !== undefined && (await tcpPortFree(port))) return port
  }
  throw new Error(`no free UDP+TCP port on ${LOOPBACK_ADDRESS} after ${MAX_PORT_PICK_TRIES} tries`)
}

function bindUdpOnEphemeralPort(): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4')
    socket.on('error', () => {
      socket.close()
      resolve(undefined)
    })
    socket.bind(0, LOOPBACK_ADDRESS, () => {
      const { port } = socket.address()
      socket.close(() => resolve(port))
    })
  })
}

function tcpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host: LOOPBACK_ADDRESS, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

function findExecutable(name: string): string | undefined {
  const pathDirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)
  for (const dir of [...pathDirs, ...EXTRA_BINARY_DIRS]) {
    const candidate = path.join(dir, name)
    try {
      accessSync(candidate, fsConstants.X_OK)
      return candidate
    } catch {
      // not in this directory
    }
  }
  return undefined
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
