// A "delayed link" between two network namespaces, built from two TAP devices
// joined by lab/tap-relay.py (the lab kernel has no sch_netem, so delay and
// loss are added in userspace). Everything here runs commands inside network
// namespaces (`ip -n NS ...`, `ip netns exec NS ...`) and never adds devices,
// addresses or routes to the root namespace.

import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const RELAY_SCRIPT = fileURLToPath(new URL('./tap-relay.py', import.meta.url))
const NAMESPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
// Kernel interface names are at most 15 bytes; '.' is left out because it
// would need escaping in sysctl paths.
const INTERFACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,14}$/
const RELAY_READY_TIMEOUT_MS = 5_000
const RELAY_STOP_TIMEOUT_MS = 2_000
const CONTROL_TIMEOUT_MS = 3_000
const LOG_TAIL_CHARS = 4_000

// ---------------------------------------------------------------- commands

// Every child process this module (and probes.ts) starts, until it exits, so
// that an interrupted run can stop exactly those processes and no others.
const liveChildren = new Set<ChildProcess>()

export function trackChild<T extends ChildProcess>(child: T): T {
  liveChildren.add(child)
  child.once('exit', () => liveChildren.delete(child))
  child.once('error', () => liveChildren.delete(child))
  return child
}

/** Stops every lab process started by this process that is still running. */
export async function stopAllLabProcesses(): Promise<void> {
  await Promise.all([...liveChildren].map((child) => stopChild(child)))
}

export interface CommandResult {
  code: number
  stdout: string
  stderr: string
}

export function runCommand(file: string, args: string[], timeoutMs = 10_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolve({ code: 0, stdout, stderr })
      const code = typeof error.code === 'number' ? error.code : 1
      resolve({ code, stdout, stderr: stderr || error.message })
    })
    trackChild(child)
  })
}

export async function runOrThrow(file: string, args: string[], timeoutMs?: number): Promise<string> {
  const result = await runCommand(file, args, timeoutMs)
  if (result.code !== 0) {
    throw new Error(`${file} ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`)
  }
  return result.stdout
}

/** Runs a command inside a namespace; the only way lab traffic is generated. */
export function runInNamespace(namespace: string, file: string, args: string[], timeoutMs?: number): Promise<CommandResult> {
  assertNamespaceName(namespace)
  return runCommand('ip', ['netns', 'exec', namespace, file, ...args], timeoutMs)
}

// -------------------------------------------------------------- namespaces

function assertNamespaceName(name: string): void {
  if (!NAMESPACE_NAME.test(name)) throw new Error(`invalid namespace name: ${JSON.stringify(name)}`)
}

function assertInterfaceName(name: string): void {
  if (!INTERFACE_NAME.test(name)) throw new Error(`invalid interface name (max 15 chars): ${JSON.stringify(name)}`)
}

export async function listNamespaces(prefix = ''): Promise<string[]> {
  const output = await runOrThrow('ip', ['netns', 'list'])
  return output
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '' && name.startsWith(prefix))
}

/** Creates a namespace with its loopback up (some tools misbehave without it). */
export async function createNamespace(name: string): Promise<void> {
  assertNamespaceName(name)
  await runOrThrow('ip', ['netns', 'add', name])
  await runOrThrow('ip', ['-n', name, 'link', 'set', 'lo', 'up'])
}

export async function deleteNamespace(name: string): Promise<void> {
  assertNamespaceName(name)
  if (!(await listNamespaces()).includes(name)) return
  await runOrThrow('ip', ['netns', 'delete', name])
}

/**
 * Deletes namespaces named `${prefix}-${pid}-...` whose pid no longer runs:
 * leftovers of a lab run that was killed before it could clean up (SIGKILL).
 * Only names built by these lab scripts carry such a pid.
 */
export async function sweepStaleNamespaces(prefixes: string[]): Promise<string[]> {
  const swept: string[] = []
  for (const name of await listNamespaces('amrly-')) {
    const prefix = prefixes.find((candidate) => name.startsWith(`${candidate}-`))
    const pid = prefix ? Number(/^(\d+)-/.exec(name.slice(prefix.length + 1))?.[1]) : Number.NaN
    if (Number.isInteger(pid) && pid > 0 && !isProcessAlive(pid)) {
      await deleteNamespace(name)
      swept.push(name)
    }
  }
  return swept
}

/**
 * Why the lab cannot run here, or undefined if it can. Synchronous so that a
 * test file can decide to skip at collection time.
 */
export function labUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return `needs Linux, this is ${process.platform}`
  if (process.getuid?.() !== 0) return 'needs root (ip netns, /dev/net/tun)'
  const probe = `amrly-probe-${process.pid}`
  const added = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' })
  if (added.error) return `cannot run ip: ${added.error.message}`
  if (added.status !== 0) return `ip netns add failed: ${added.stderr.trim()}`
  spawnSync('ip', ['netns', 'delete', probe])
  return undefined
}

// --------------------------------------------------------------- addresses

interface Prefix {
  family: 4 | 6
  network: bigint
  length: number
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.')
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) return undefined
  return parts.reduce((value, part) => (value << 8n) | BigInt(part), 0n)
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const groupsOf = (half: string | undefined): string[] => (half ? half.split(':') : [])
  const head = groupsOf(halves[0])
  const tail = groupsOf(halves[1])
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]
  if (!groups.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group))) return undefined
  return groups.reduce((value, group) => (value << 16n) | BigInt(`0x${group}`), 0n)
}

/** Parses "10.1.2.3/24", "fd00::1/64" or a bare address (a host prefix). */
function parsePrefix(text: string): Prefix {
  const [address = '', lengthText] = text.split('/')
  const v4 = parseIpv4(address)
  const v6 = v4 === undefined ? parseIpv6(address) : undefined
  const family = v4 !== undefined ? 4 : v6 !== undefined ? 6 : undefined
  if (family === undefined) throw new Error(`not an IP address or prefix: ${text}`)
  const bits = family === 4 ? 32 : 128
  const length = lengthText === undefined ? bits : Number(lengthText)
  if (!Number.isInteger(length) || length < 0 || length > bits) throw new Error(`bad prefix length: ${text}`)
  const value = (v4 ?? v6) as bigint
  return { family, network: (value >> BigInt(bits - length)) << BigInt(bits - length), length }
}

function prefixesOverlap(a: Prefix, b: Prefix): boolean {
  if (a.family !== b.family) return false
  const bits = a.family === 4 ? 32 : 128
  const shift = BigInt(bits - Math.min(a.length, b.length))
  return a.network >> shift === b.network >> shift
}

export function addressOf(cidr: string): string {
  return cidr.split('/')[0] ?? cidr
}

/** Destination prefixes of every root-namespace route except the defaults. */
async function rootRouteDestinations(): Promise<string[]> {
  const destinations: string[] = []
  for (const family of ['-4', '-6']) {
    const routes = JSON.parse(await runOrThrow('ip', ['-j', family, 'route', 'show', 'table', 'all'])) as Array<{ dst?: string }>
    for (const route of routes) {
      if (route.dst && route.dst !== 'default') destinations.push(route.dst)
    }
  }
  return destinations
}

/**
 * Refuses lab prefixes that overlap a root-namespace route: traffic for such
 * an address could leave the machine if a command ever ran outside a lab
 * namespace by mistake.
 */
export async function assertLabPrefixesAreFree(cidrs: string[]): Promise<void> {
  const routes = await rootRouteDestinations()
  for (const cidr of cidrs) {
    const lab = parsePrefix(cidr)
    const clash = routes.find((route) => prefixesOverlap(lab, parsePrefix(route)))
    if (clash) throw new Error(`lab prefix ${cidr} overlaps root-namespace route ${clash}; choose another range`)
  }
}

// ------------------------------------------------------------------- relay

export interface DelayedLinkOptions {
  namespaceA: string
  namespaceB: string
  /** CIDR for the A end, e.g. "10.251.0.1/24"; same subnet as addressB. */
  addressA: string
  addressB: string
  /** One-way delay A->B, and B->A unless bToADelayMs is given. */
  delayMs: number
  bToADelayMs?: number
  lossPct?: number
  bToALossPct?: number
  /** Defaults derive from a random link id; must be unique in each end namespace. */
  interfaceA?: string
  interfaceB?: string
  relayNamespace?: string
  /** Seed for the relay's loss RNG, for reproducible loss patterns. */
  seed?: number
  /** Permanent ARP/NDP entries so the first probe does not pay for resolution. Default true. */
  staticNeighbors?: boolean
  /** Send around the due time instead of always after it (see tap-relay.py). Default true. */
  wakeCompensation?: boolean
  /** SCHED_FIFO priority 1..99 for the relay, against CPU contention. Default: normal scheduling. */
  realtimePriority?: number
}

export interface DelayedLink {
  namespaceA: string
  namespaceB: string
  interfaceA: string
  interfaceB: string
  addressA: string
  addressB: string
  relayNamespace: string
  relayPid: number
  controlPath: string
  stateDirectory: string
  relayProcess: ChildProcess
  /** Last few KB of the relay's stderr, for diagnostics. */
  relayLog: { text: string }
}

export interface ImpairmentChange {
  delayMs?: number
  lossPct?: number
  aToBDelayMs?: number
  bToADelayMs?: number
  aToBLossPct?: number
  bToALossPct?: number
  resetStats?: boolean
  wakeCompensation?: boolean
}

export interface DirectionStatus {
  delayMs: number
  lossPct: number
  queued: number
  received: number
  forwarded: number
  droppedLoss: number
  droppedQueueFull: number
  writeErrors: number
  /** How far ahead of a due time the relay currently wakes and sends in this direction. */
  wakeEarlyUs: number
  /**
   * How late frames were handed to the kernel (start of the write into the
   * TAP) versus their due time; negative means early (wake-up compensation).
   * Median and p90 cover the last 2048 frames, mean and max all of them.
   */
  meanLatenessUs: number
  medianLatenessUs: number
  p90LatenessUs: number
  maxLatenessUs: number
}

export interface RelayStatus {
  aToB: DirectionStatus
  bToA: DirectionStatus
  wakeCompensation: boolean
}

function relayArguments(options: DelayedLinkOptions, interfaceA: string, interfaceB: string, controlPath: string, pidFile: string): string[] {
  const args = [
    RELAY_SCRIPT,
    '--tap-a', interfaceA,
    '--tap-b', interfaceB,
    '--delay-ms', String(options.delayMs),
    '--loss-pct', String(options.lossPct ?? 0),
    '--control', controlPath,
    '--pid-file', pidFile,
    // The relay stops by itself if this process dies and its stdin closes.
    '--exit-on-stdin-eof',
  ]
  if (options.bToADelayMs !== undefined) args.push('--delay-b-to-a-ms', String(options.bToADelayMs))
  if (options.bToALossPct !== undefined) args.push('--loss-b-to-a-pct', String(options.bToALossPct))
  if (options.seed !== undefined) args.push('--seed', String(options.seed))
  if (options.wakeCompensation === false) args.push('--no-wake-compensation')
  if (options.realtimePriority) args.push('--realtime-priority', String(options.realtimePriority))
  return args
}

/** Keeps the last few KB of a child's output stream in `log.text`. */
export function collectTail(stream: NodeJS.ReadableStream | null, log: { text: string }): void {
  stream?.setEncoding('utf8')
  stream?.on('data', (chunk: string) => {
    log.text = (log.text + chunk).slice(-LOG_TAIL_CHARS)
  })
}

/** Resolves with the first stdout line starting with `prefix`; `log` explains failures. */
export function waitForOutputLine(child: ChildProcess, prefix: string, timeoutMs: number, log: { text: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    const finish = (error: Error | undefined, line = ''): void => {
      clearTimeout(timer)
      child.off('exit', onExit)
      child.off('error', finish)
      lines.off('line', onLine)
      if (error) reject(error)
      else resolve(line)
    }
    const onLine = (line: string): void => {
      if (line.startsWith(prefix)) finish(undefined, line)
    }
    const onExit = (code: number | null, signal: string | null): void =>
      finish(new Error(`exited (${code ?? signal}) before printing "${prefix}": ${log.text.trim()}`))
    const timer = setTimeout(() => finish(new Error(`no "${prefix}" line after ${timeoutMs} ms: ${log.text.trim()}`)), timeoutMs)
    lines.on('line', onLine)
    child.once('exit', onExit)
    child.once('error', finish)
  })
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit)
      resolve(false)
    }, timeoutMs)
    const onExit = (): void => {
      clearTimeout(timer)
      resolve(true)
    }
    child.once('exit', onExit)
  })
}

/** SIGTERM, then SIGKILL if it does not go; only ever the process we spawned. */
export async function stopChild(child: ChildProcess, timeoutMs = RELAY_STOP_TIMEOUT_MS): Promise<void> {
  if (child.pid === undefined || hasExited(child)) return
  child.kill('SIGTERM')
  if (await waitForExit(child, timeoutMs)) return
  child.kill('SIGKILL')
  await waitForExit(child, timeoutMs)
}

async function interfaceMac(namespace: string, name: string): Promise<string> {
  const [link] = JSON.parse(await runOrThrow('ip', ['-n', namespace, '-j', 'link', 'show', 'dev', name])) as Array<{ address?: string }>
  if (!link?.address) throw new Error(`no MAC address for ${name} in ${namespace}`)
  return link.address
}

/** Moves a relay TAP into its end namespace and configures it there. */
async function installEnd(relayNamespace: string, namespace: string, name: string, cidr: string): Promise<void> {
  await runOrThrow('ip', ['-n', relayNamespace, 'link', 'set', name, 'netns', namespace])
  if (parsePrefix(cidr).family === 4) {
    // No IPv6 on an IPv4 link: router solicitations and MLD reports would
    // otherwise share the link with the measurements.
    await runOrThrow('ip', ['netns', 'exec', namespace, 'sysctl', '-q', '-w', `net.ipv6.conf.${name}.disable_ipv6=1`])
    await runOrThrow('ip', ['-n', namespace, 'addr', 'add', cidr, 'dev', name])
  } else {
    await runOrThrow('ip', ['-n', namespace, 'addr', 'add', cidr, 'dev', name, 'nodad'])
  }
  await runOrThrow('ip', ['-n', namespace, 'link', 'set', name, 'up'])
}

async function addStaticNeighbors(link: DelayedLink): Promise<void> {
  const macA = await interfaceMac(link.namespaceA, link.interfaceA)
  const macB = await interfaceMac(link.namespaceB, link.interfaceB)
  await runOrThrow('ip', ['-n', link.namespaceA, 'neigh', 'replace', addressOf(link.addressB), 'lladdr', macB, 'dev', link.interfaceA, 'nud', 'permanent'])
  await runOrThrow('ip', ['-n', link.namespaceB, 'neigh', 'replace', addressOf(link.addressA), 'lladdr', macA, 'dev', link.interfaceB, 'nud', 'permanent'])
}

function validateLinkOptions(options: DelayedLinkOptions): void {
  assertNamespaceName(options.namespaceA)
  assertNamespaceName(options.namespaceB)
  if (options.namespaceA === options.namespaceB) throw new Error('namespaceA and namespaceB must differ')
  if (!options.addressA.includes('/') || !options.addressB.includes('/')) throw new Error('addresses need a prefix length, e.g. 10.251.0.1/24')
  const a = parsePrefix(options.addressA)
  const b = parsePrefix(options.addressB)
  if (a.length !== b.length || !prefixesOverlap(a, b)) {
    throw new Error(`${options.addressA} and ${options.addressB} are not in the same subnet`)
  }
  if (addressOf(options.addressA) === addressOf(options.addressB)) throw new Error('addressA and addressB must differ')
}

/**
 * Joins two existing namespaces with a delayed link. The relay runs in its own
 * namespace so that the TAP devices never appear in the root namespace.
 */
export async function createDelayedLink(options: DelayedLinkOptions): Promise<DelayedLink> {
  validateLinkOptions(options)
  await assertLabPrefixesAreFree([options.addressA, options.addressB])
  const linkId = randomBytes(3).toString('hex')
  const interfaceA = options.interfaceA ?? `amrl${linkId}a`
  const interfaceB = options.interfaceB ?? `amrl${linkId}b`
  assertInterfaceName(interfaceA)
  assertInterfaceName(interfaceB)
  // The pid lets sweepStaleNamespaces(['amrly-relay']) find it after a crash.
  const relayNamespace = options.relayNamespace ?? `amrly-relay-${process.pid}-${linkId}`
  const stateDirectory = await mkdtemp(join(tmpdir(), 'amrly-relay-'))
  const controlPath = join(stateDirectory, 'control.sock')
  const relayLog = { text: '' }
  let relayProcess: ChildProcess | undefined
  let namespaceCreated = false
  try {
    await createNamespace(relayNamespace)
    namespaceCreated = true
    const args = relayArguments(options, interfaceA, interfaceB, controlPath, join(stateDirectory, 'relay.pid'))
    relayProcess = trackChild(spawn('ip', ['netns', 'exec', relayNamespace, 'python3', ...args], { stdio: ['pipe', 'pipe', 'pipe'] }))
    collectTail(relayProcess.stderr, relayLog)
    // Keeps a late spawn/kill error from becoming an uncaught exception.
    relayProcess.on('error', (error) => {
      relayLog.text += `\n[spawn error] ${error.message}`
    })
    await waitForOutputLine(relayProcess, 'ready ', RELAY_READY_TIMEOUT_MS, relayLog)
    // `ip netns exec` execs the command, so this pid is python's own.
    const link: DelayedLink = {
      namespaceA: options.namespaceA,
      namespaceB: options.namespaceB,
      interfaceA,
      interfaceB,
      addressA: options.addressA,
      addressB: options.addressB,
      relayNamespace,
      relayPid: relayProcess.pid!,
      controlPath,
      stateDirectory,
      relayProcess,
      relayLog,
    }
    await installEnd(relayNamespace, options.namespaceA, interfaceA, options.addressA)
    await installEnd(relayNamespace, options.namespaceB, interfaceB, options.addressB)
    if (options.staticNeighbors ?? true) await addStaticNeighbors(link)
    return link
  } catch (error) {
    // The TAPs are not persistent: they disappear, wherever they were moved,
    // as soon as the relay closes them.
    if (relayProcess) await stopChild(relayProcess)
    if (namespaceCreated) await deleteNamespace(relayNamespace).catch(() => undefined)
    await rm(stateDirectory, { recursive: true, force: true })
    throw error
  }
}

/** Stops the relay (which removes both TAPs) and deletes the relay namespace. Idempotent. */
export async function destroyDelayedLink(link: DelayedLink): Promise<void> {
  await stopChild(link.relayProcess)
  await deleteNamespace(link.relayNamespace)
  await rm(link.stateDirectory, { recursive: true, force: true })
}

// ---------------------------------------------------------------- control

function toControlRequest(change: ImpairmentChange): Record<string, number | boolean> {
  const request: Record<string, number | boolean> = {}
  const keys: Array<[keyof ImpairmentChange, string]> = [
    ['delayMs', 'delay_ms'],
    ['lossPct', 'loss_pct'],
    ['aToBDelayMs', 'a_to_b_delay_ms'],
    ['bToADelayMs', 'b_to_a_delay_ms'],
    ['aToBLossPct', 'a_to_b_loss_pct'],
    ['bToALossPct', 'b_to_a_loss_pct'],
    ['resetStats', 'reset_stats'],
    ['wakeCompensation', 'wake_compensation'],
  ]
  for (const [from, to] of keys) {
    const value = change[from]
    if (value !== undefined) request[to] = value
  }
  return request
}

function toDirectionStatus(raw: unknown): DirectionStatus {
  const fields = (raw ?? {}) as Record<string, unknown>
  const numberAt = (key: string): number => {
    const value = fields[key]
    if (typeof value !== 'number') throw new Error(`relay reply lacks ${key}`)
    return value
  }
  return {
    delayMs: numberAt('delay_ms'),
    lossPct: numberAt('loss_pct'),
    queued: numberAt('queued'),
    received: numberAt('received'),
    forwarded: numberAt('forwarded'),
    droppedLoss: numberAt('dropped_loss'),
    droppedQueueFull: numberAt('dropped_queue_full'),
    writeErrors: numberAt('write_errors'),
    wakeEarlyUs: numberAt('wake_early_us'),
    meanLatenessUs: numberAt('mean_lateness_us'),
    medianLatenessUs: numberAt('median_lateness_us'),
    p90LatenessUs: numberAt('p90_lateness_us'),
    maxLatenessUs: numberAt('max_lateness_us'),
  }
}

function sendControlLine(controlPath: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(controlPath)
    let reply = ''
    socket.setEncoding('utf8')
    socket.setTimeout(CONTROL_TIMEOUT_MS, () => socket.destroy(new Error(`relay control timed out: ${controlPath}`)))
    socket.on('connect', () => socket.write(`${line}\n`))
    socket.on('data', (chunk: string) => {
      reply += chunk
    })
    socket.on('error', reject)
    socket.on('close', () => (reply.includes('\n') ? resolve(reply) : reject(new Error('relay closed control connection without a reply'))))
  })
}

/**
 * Changes delay and/or loss while the link runs. When this resolves the relay
 * has applied the change; frames already queued keep their due times.
 */
export async function setLinkImpairment(link: Pick<DelayedLink, 'controlPath'>, change: ImpairmentChange): Promise<RelayStatus> {
  const reply = JSON.parse(await sendControlLine(link.controlPath, JSON.stringify(toControlRequest(change)))) as Record<string, unknown>
  if (reply.ok !== true) throw new Error(`relay refused ${JSON.stringify(change)}: ${String(reply.error)}`)
  if (typeof reply.wake_compensation !== 'boolean') {
    throw new Error(`malformed relay reply: ${JSON.stringify(reply)}`)
  }
  return {
    aToB: toDirectionStatus(reply.a_to_b),
    bToA: toDirectionStatus(reply.b_to_a),
    wakeCompensation: reply.wake_compensation,
  }
}

/** Current settings and counters of the relay. */
export function getLinkStatus(link: Pick<DelayedLink, 'controlPath'>): Promise<RelayStatus> {
  return setLinkImpairment(link, {})
}

/** True while a process with this pid exists (the caller must own it). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
