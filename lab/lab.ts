// The anycast lab driver: up, down, status and the failure scenarios.
// All daemons run inside lab namespaces with their files under RUN_DIR; their
// PIDs are kept in RUN_DIR/state.json and only those processes (or processes
// found inside lab namespaces) are ever signalled.

import { spawn, type ChildProcess } from 'node:child_process'
import { chownSync, closeSync, existsSync, openSync, readFileSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  addAddress,
  addNamespace,
  addVeth,
  deleteNamespace,
  ipIn,
  labNamespaces,
  namespaceOfPid,
  namespacePids,
  processCommandLine,
  processExists,
  runCommand,
  sysctl,
} from './netns.ts'
import { parseBirdRoutes, parseCollectorLog, type CollectorEvent, type CollectorRoute } from './collector.ts'
import { assertLabPrefixesAreFree, setLinkImpairment, type DelayedLink, type RelayStatus } from './relay-link.ts'
import { renderCollectorBird, renderRouterBird, renderSiteBird } from './render/bird.ts'
import { renderDns } from './render/dns.ts'
import { exabgpEnvironment, renderExabgpConf, type HealthCheckOptions } from './render/exabgp.ts'
import { renderBgpdConf, renderZebraConf } from './render/frr.ts'
import { parseWithdrawnFamilies, withdrawnFamiliesPath, type Family } from './fault-rules.ts'
import { unsilenceAll } from './silence.ts'
import {
  BGP_FEED,
  COLLECTOR,
  LAB_PREFIXES,
  LINKS,
  ROUTERS,
  RUN_DIR,
  SITES,
  VANTAGES,
  VIP4,
  VIP4_PREFIX,
  VIP6,
  VIP6_PREFIX,
  ZONE,
  allNamespaces,
  interfaceName,
  linkBetween,
  namespaceOf,
  relayNamespace,
  routerById,
  siteById,
  siteByNsid,
  steadyCatchment,
  vantageById,
  type Site,
  type Vantage,
} from './topology.ts'

const CLI_PATH = fileURLToPath(new URL('./cli.ts', import.meta.url))
const HEALTHCHECK_PATH = fileURLToPath(new URL('./healthcheck.py', import.meta.url))
const PROBE_CLI = fileURLToPath(new URL('../bin/anycast-monitor.js', import.meta.url))
const TSX_CLI = createRequire(import.meta.url).resolve('tsx/cli')
const STATE_FILE = join(RUN_DIR, 'state.json')
const LINKS_FILE = join(RUN_DIR, 'links.json')
const SUPERVISOR_LOG = join(RUN_DIR, 'supervisor.log')
const BGP_FEED_LOG = join(RUN_DIR, 'bgp-feed.log')
const FRR_DIR = '/usr/lib/frr'

export const HEALTH_CHECK: HealthCheckOptions = {
  python: '/usr/bin/python3',
  script: HEALTHCHECK_PATH,
  intervalMs: 300,
  timeoutMs: 250,
  fall: 2,
  rise: 1,
}

export { parseBirdRoutes, parseCollectorLog, type CollectorEvent, type CollectorRoute } from './collector.ts'

// ------------------------------------------------------------------ state

export interface ProcessRecord {
  namespace: string
  pid: number
  binary: string
}

export interface LinkRecord {
  name: string
  controlPath: string
  relayPid: number
  relayNamespace: string
}

export interface LabState {
  startedAt: string
  supervisorPid?: number
  /** The BGP feed (lab/bgp-feed) runs in the root namespace, on loopback: not a namespace daemon. */
  bgpFeedPid?: number
  processes: Record<string, ProcessRecord>
}

async function readState(): Promise<LabState | undefined> {
  try {
    return JSON.parse(await readFile(STATE_FILE, 'utf8')) as LabState
  } catch {
    return undefined
  }
}

async function writeState(state: LabState): Promise<void> {
  await writeFile(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`)
}

async function requireState(): Promise<LabState> {
  const state = await readState()
  if (!state) throw new Error(`the lab is not up (no ${STATE_FILE}); run: npm run lab -- up`)
  return state
}

export async function readLinks(): Promise<LinkRecord[]> {
  try {
    return JSON.parse(await readFile(LINKS_FILE, 'utf8')) as LinkRecord[]
  } catch {
    return []
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function log(message: string): void {
  process.stderr.write(`lab: ${message}\n`)
}

// -------------------------------------------------------------- processes

interface SpawnOptions {
  env?: Record<string, string>
  logFile: string
  cwd?: string
}

/** Starts a long-running daemon inside a namespace, detached from this process. */
async function spawnDaemon(state: LabState, key: string, namespace: string, binary: string, args: string[], options: SpawnOptions): Promise<number> {
  const out = openSync(options.logFile, 'a')
  try {
    const child = spawn('ip', ['netns', 'exec', namespace, binary, ...args], {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, ...options.env },
      cwd: options.cwd ?? RUN_DIR,
    })
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject)
      child.once('spawn', () => resolve(child.pid!))
    })
    child.unref()
    // `ip netns exec` execs the daemon, so this is the daemon's own pid.
    state.processes[key] = { namespace, pid, binary }
    await writeState(state)
    return pid
  } finally {
    closeSync(out)
  }
}

/** Signals a recorded process after checking it is still the one we started. */
async function signalRecorded(record: ProcessRecord, signal: NodeJS.Signals): Promise<boolean> {
  if (!(await processExists(record.pid))) return false
  const commandLine = (await processCommandLine(record.pid)) ?? ''
  const namespace = await namespaceOfPid(record.pid)
  if (!commandLine.includes(record.binary.split('/').pop() ?? record.binary) || namespace !== record.namespace) return false
  try {
    process.kill(record.pid, signal)
    return true
  } catch {
    return false
  }
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!(await processExists(pid))) return true
    await sleep(50)
  }
  return !(await processExists(pid))
}

async function stopProcess(state: LabState, key: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const record = state.processes[key]
  if (!record) return
  if (await signalRecorded(record, signal)) {
    if (!(await waitGone(record.pid, 5_000))) {
      await signalRecorded(record, 'SIGKILL')
      await waitGone(record.pid, 2_000)
    }
  }
  delete state.processes[key]
  await writeState(state)
}

// ----------------------------------------------------------------- network

async function buildNetwork(): Promise<void> {
  for (const namespace of allNamespaces()) {
    await addNamespace(namespace)
    await sysctl(namespace, {
      'net.ipv6.conf.all.accept_dad': 0,
      'net.ipv6.conf.default.accept_dad': 0,
      'net.ipv6.conf.default.accept_ra': 0,
      'net.ipv4.conf.all.rp_filter': 0,
      'net.ipv4.conf.default.rp_filter': 0,
    })
  }
  for (const router of ROUTERS) {
    await sysctl(router.namespace, { 'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1 })
  }
  for (const link of LINKS.filter((candidate) => candidate.delayMs === undefined)) {
    const ifA = interfaceName(link, link.a)
    const ifB = interfaceName(link, link.b)
    await addVeth(namespaceOf(link.a), ifA, namespaceOf(link.b), ifB)
    for (const [node, device, index] of [[link.a, ifA, 0], [link.b, ifB, 1]] as const) {
      await addAddress(namespaceOf(node), device, link.ipv4[index])
      await addAddress(namespaceOf(node), device, link.ipv6[index])
      await ipIn(namespaceOf(node), ['link', 'set', device, 'up'])
    }
  }
}

/** A hidden command of lab/cli.ts as a detached process of the root namespace, outliving this one. */
function spawnDetachedCommand(command: string, logFile: string): ChildProcess {
  const out = openSync(logFile, 'a')
  try {
    const child = spawn(process.execPath, [TSX_CLI, CLI_PATH, command], { detached: true, stdio: ['ignore', out, out], cwd: RUN_DIR })
    child.unref()
    return child
  } finally {
    closeSync(out)
  }
}

/** Delayed links are owned by a detached supervisor process (relays stop when it stops). */
async function startSupervisor(state: LabState): Promise<void> {
  const child = spawnDetachedCommand('__supervise', SUPERVISOR_LOG)
  state.supervisorPid = child.pid
  await writeState(state)
  const expected = LINKS.filter((link) => link.delayMs !== undefined).length
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if ((await readLinks()).length === expected) break
    if (child.exitCode !== null || !(await processExists(child.pid!))) {
      throw new Error(`link supervisor exited: ${(await readFile(SUPERVISOR_LOG, 'utf8').catch(() => '')).slice(-2000)}`)
    }
    await sleep(100)
  }
  if ((await readLinks()).length !== expected) throw new Error('link supervisor did not create the delayed links in 20 s')
  // The relays' links carry IPv4 only; add IPv6 here.
  for (const link of LINKS.filter((candidate) => candidate.delayMs !== undefined)) {
    for (const [node, index] of [[link.a, 0], [link.b, 1]] as const) {
      const device = interfaceName(link, node)
      await sysctl(namespaceOf(node), { [`net.ipv6.conf.${device}.disable_ipv6`]: 0 })
      await addAddress(namespaceOf(node), device, link.ipv6[index])
    }
  }
}

/**
 * The BGP feed serves the collector as RIPEstat and RIS Live do (lab/bgp-feed/server.ts); up waits
 * until it answers a looking-glass request, so a taken port fails up with the feed's own error.
 */
async function startBgpFeedProcess(state: LabState): Promise<void> {
  const child = spawnDetachedCommand('__bgp-feed', BGP_FEED_LOG)
  state.bgpFeedPid = child.pid
  await writeState(state)
  const url = `http://${BGP_FEED.host}:${BGP_FEED.port}/data/looking-glass/data.json?resource=${encodeURIComponent(VIP4_PREFIX)}`
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || !(await processExists(child.pid!))) {
      throw new Error(`bgp feed exited: ${(await readFile(BGP_FEED_LOG, 'utf8').catch(() => '')).slice(-2000)}`)
    }
    const answered = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then((response) => response.ok, () => false)
    if (answered) return
    await sleep(100)
  }
  throw new Error(`bgp feed did not answer on ${BGP_FEED.host}:${BGP_FEED.port} within 20 s`)
}

/** Body of the `__supervise` command: creates the delayed links and keeps them until SIGTERM. */
export async function superviseLinks(): Promise<void> {
  const { createDelayedLink, destroyDelayedLink } = await import('./relay-link.ts')
  const links: DelayedLink[] = []
  let stopping = false
  const stop = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    for (const link of links) await destroyDelayedLink(link).catch((error: unknown) => log(String(error)))
    await rm(LINKS_FILE, { force: true })
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop())
  process.on('SIGINT', () => void stop())
  try {
    for (const link of LINKS.filter((candidate) => candidate.delayMs !== undefined)) {
      links.push(
        await createDelayedLink({
          namespaceA: namespaceOf(link.a),
          namespaceB: namespaceOf(link.b),
          addressA: link.ipv4[0],
          addressB: link.ipv4[1],
          delayMs: link.delayMs!,
          interfaceA: interfaceName(link, link.a),
          interfaceB: interfaceName(link, link.b),
          relayNamespace: relayNamespace(link),
          realtimePriority: 10,
        }),
      )
    }
  } catch (error) {
    log(`supervisor: ${String(error)}`)
    await stop()
    return
  }
  const records: LinkRecord[] = links.map((link, index) => ({
    name: LINKS.filter((candidate) => candidate.delayMs !== undefined)[index]!.name,
    controlPath: link.controlPath,
    relayPid: link.relayPid,
    relayNamespace: link.relayNamespace,
  }))
  await writeFile(LINKS_FILE, JSON.stringify(records, null, 2))
  log(`supervisor: ${links.length} delayed links up`)
  // Stay alive: the relays stop when this process's pipes close.
  setInterval(() => undefined, 1 << 30)
}

async function addRoutesAndVips(): Promise<void> {
  for (const site of SITES) {
    await ipIn(site.namespace, ['addr', 'add', VIP4_PREFIX, 'dev', 'lo'])
    await ipIn(site.namespace, ['addr', 'add', VIP6_PREFIX, 'dev', 'lo'])
    const uplink = linkBetween(site.id, site.router)
    await ipIn(site.namespace, ['route', 'add', 'default', 'via', uplink.peerIpv4])
    await ipIn(site.namespace, ['-6', 'route', 'add', 'default', 'via', uplink.peerIpv6])
  }
  for (const vantage of VANTAGES) {
    const uplink = linkBetween(vantage.id, vantage.router)
    await ipIn(vantage.namespace, ['route', 'add', 'default', 'via', uplink.peerIpv4])
    await ipIn(vantage.namespace, ['-6', 'route', 'add', 'default', 'via', uplink.peerIpv6])
  }
}

// ---------------------------------------------------------------- daemons

function nodeDir(node: string): string {
  return join(RUN_DIR, node)
}

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true })
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text)
}

export function birdSocket(node: string): string {
  return join(nodeDir(node), 'bird.ctl')
}

export function collectorLogPath(): string {
  return join(nodeDir('col'), 'bird.log')
}

async function startBird(state: LabState, node: string, config: string, key = `${node}.bird`): Promise<void> {
  const dir = nodeDir(node)
  await writeFiles(dir, { 'bird.conf': config })
  const check = await runCommand('bird', ['-p', '-c', join(dir, 'bird.conf')])
  if (check.code !== 0) throw new Error(`bird config for ${node} is invalid: ${check.stderr}`)
  await spawnDaemon(state, key, namespaceOf(node as never), '/usr/sbin/bird', ['-f', '-c', join(dir, 'bird.conf'), '-s', birdSocket(node), '-P', join(dir, 'bird.pid')], {
    logFile: join(dir, 'bird.out'),
  })
}

export async function startDns(state: LabState, site: Site): Promise<void> {
  const dir = nodeDir(site.id)
  const dns = renderDns(site, dir)
  await writeFiles(dir, dns.files)
  await mkdir(join(dir, 'db'), { recursive: true })
  await spawnDaemon(state, `${site.id}.dns`, site.namespace, `/usr/sbin/${dns.binary}`, dns.args, { logFile: join(dir, `${dns.binary}.out`), cwd: dir })
}

async function startFrr(state: LabState, site: Site, withZebra: boolean): Promise<void> {
  const dir = join(nodeDir(site.id), 'frr')
  await writeFiles(dir, { 'zebra.conf': renderZebraConf(site, dir), 'bgpd.conf': renderBgpdConf(site, dir, withdrawnFamilies(site)) })
  // FRR insists on its compiled-in vty group (frrvty), so it runs as user frr in a dir it owns.
  chownSync(dir, frrIds().uid, frrIds().gid)
  for (const file of ['zebra.conf', 'bgpd.conf']) chownSync(join(dir, file), frrIds().uid, frrIds().gid)
  const common = ['-z', join(dir, 'zserv.api'), '--vty_socket', dir, '-u', 'frr', '-g', 'frr', '-P', '0']
  if (withZebra) {
    await spawnDaemon(state, `${site.id}.zebra`, site.namespace, `${FRR_DIR}/zebra`, ['-f', join(dir, 'zebra.conf'), '-i', join(dir, 'zebra.pid'), ...common], {
      logFile: join(dir, 'zebra.out'),
    })
    const deadline = Date.now() + 5_000
    while (!existsSync(join(dir, 'zserv.api')) && Date.now() < deadline) await sleep(50)
  }
  await spawnDaemon(state, `${site.id}.bgp`, site.namespace, `${FRR_DIR}/bgpd`, ['-f', join(dir, 'bgpd.conf'), '-i', join(dir, 'bgpd.pid'), ...common], {
    logFile: join(dir, 'bgpd.out'),
  })
}

let cachedFrrIds: { uid: number; gid: number } | undefined
function frrIds(): { uid: number; gid: number } {
  if (cachedFrrIds) return cachedFrrIds
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.startsWith('frr:'))
  if (!line) throw new Error('user frr not found: is frr installed? (npm run lab -- deps)')
  const fields = line.split(':')
  cachedFrrIds = { uid: Number(fields[2]), gid: Number(fields[3]) }
  return cachedFrrIds
}

/** The families `npm run lab -- withdraw` took out of the site's announcements (lab/faults.ts); [] normally. */
function withdrawnFamilies(site: Site): Family[] {
  try {
    return parseWithdrawnFamilies(readFileSync(withdrawnFamiliesPath(site.id), 'utf8'))
  } catch {
    return []
  }
}

export async function startBgp(state: LabState, site: Site): Promise<void> {
  const dir = nodeDir(site.id)
  await mkdir(dir, { recursive: true })
  switch (site.bgp) {
    case 'frr':
      return startFrr(state, site, state.processes[`${site.id}.zebra`] === undefined)
    case 'bird':
      return startBird(state, site.id, renderSiteBird(site, dir, withdrawnFamilies(site)), `${site.id}.bgp`)
    case 'exabgp': {
      await writeFiles(dir, { 'exabgp.conf': renderExabgpConf(site, { ...HEALTH_CHECK, withdrawFile: withdrawnFamiliesPath(site.id) }) })
      // ExaBGP exits at start if the pid file of a killed instance is still there.
      await rm(join(dir, 'exabgp.pid'), { force: true })
      await spawnDaemon(state, `${site.id}.bgp`, site.namespace, '/usr/sbin/exabgp', [join(dir, 'exabgp.conf')], {
        logFile: join(dir, 'exabgp.out'),
        env: exabgpEnvironment(dir),
      })
      return
    }
  }
}

// ---------------------------------------------------------------- queries

export interface DigAnswer {
  ok: boolean
  nsid?: string
  site?: string
  error?: string
}

/** One NSID query with dig from inside a namespace (fast, for polling). */
export async function digNsid(namespace: string, address: string, opts: { tcp?: boolean; timeoutS?: number } = {}): Promise<DigAnswer> {
  const args = ['netns', 'exec', namespace, 'dig', '+nsid', '+norecurse', `+time=${opts.timeoutS ?? 1}`, '+tries=1', '+noall', '+comments', `@${address}`, ZONE, 'SOA']
  if (opts.tcp) args.push('+tcp')
  const result = await runCommand('ip', args, 5_000)
  const status = /status: (\w+)/.exec(result.stdout)?.[1]
  const nsid = /NSID: [^(]*\("([^"]*)"\)/.exec(result.stdout)?.[1]
  if (result.code !== 0 || status !== 'NOERROR') {
    return { ok: false, error: (result.stdout.match(/;; (.*(timed out|refused|unreachable).*)/)?.[1] ?? result.stderr.trim()) || `dig exit ${result.code}` }
  }
  return { ok: true, ...(nsid !== undefined ? { nsid, site: siteByNsid(nsid)?.id ?? nsid } : {}) }
}

export interface ProbeResult {
  raw: Record<string, unknown>
  outcome: string
  identityText?: string
  identitySource?: string
  site?: string
  rttMs?: number
}

/** Runs the project's probe CLI inside a vantage namespace. */
export async function probeFrom(vantage: Vantage, address: string, transport: 'udp' | 'tcp' = 'udp', timeoutMs = 1500): Promise<ProbeResult> {
  const result = await runCommand(
    'ip',
    ['netns', 'exec', vantage.namespace, process.execPath, PROBE_CLI, 'probe', address, '--qname', ZONE, '--json', '--transport', transport, '--timeout', String(timeoutMs), '--vantage', vantage.id],
    timeoutMs * 4 + 10_000,
  )
  let raw: Record<string, unknown>
  try {
    raw = JSON.parse(result.stdout) as Record<string, unknown>
  } catch {
    return { raw: { stdout: result.stdout, stderr: result.stderr, code: result.code }, outcome: 'cli-error' }
  }
  const identity = raw.identity as { source?: string; text?: string } | undefined
  const rtt = raw.rttMs
  const text = identity?.text
  return {
    raw,
    outcome: String(raw.outcome),
    ...(text !== undefined ? { identityText: text, site: siteByNsid(text)?.id ?? text } : {}),
    ...(identity?.source !== undefined ? { identitySource: identity.source } : {}),
    ...(typeof rtt === 'number' ? { rttMs: rtt } : {}),
  }
}

/** The collector's routes for a prefix, parsed from `birdc show route all`. */
export async function collectorRoutes(prefix: string = VIP4_PREFIX): Promise<CollectorRoute[]> {
  const result = await runCommand('birdc', ['-s', birdSocket('col'), 'show', 'route', prefix, 'all'])
  if (result.code !== 0) throw new Error(`birdc: ${result.stderr || result.stdout}`)
  return parseBirdRoutes(result.stdout)
}

/**
 * The collector's update log for the VIP: one 'update' per accepted UPDATE (printed by its
 * import filter, with path and communities) and one 'withdraw' per removed route.
 */
export async function collectorUpdateLog(): Promise<CollectorEvent[]> {
  const text = await readFile(collectorLogPath(), 'utf8').catch(() => '')
  return parseCollectorLog(text).filter((event) => event.prefix === VIP4_PREFIX || event.prefix === VIP6_PREFIX)
}

// --------------------------------------------------------------------- up

export interface UpResult {
  seconds: number
  convergedSeconds: number
}

export async function up(): Promise<UpResult> {
  const started = Date.now()
  if (process.getuid?.() !== 0) throw new Error('the lab needs root (ip netns)')
  const existing = await labNamespaces()
  if (existing.length > 0 || existsSync(STATE_FILE)) {
    throw new Error(`the lab (or a leftover of it) exists: ${existing.join(' ') || STATE_FILE}; run: npm run lab -- down`)
  }
  await assertLabPrefixesAreFree(LAB_PREFIXES)
  for (const binary of ['bird', 'birdc', 'named', 'nsd', 'knotd', 'exabgp', 'dig', `${FRR_DIR}/bgpd`]) {
    const found = await runCommand('sh', ['-c', `command -v ${binary}`])
    if (found.code !== 0) throw new Error(`${binary} is not installed: run npm run lab -- deps`)
  }
  await mkdir(RUN_DIR, { recursive: true })
  const state: LabState = { startedAt: new Date().toISOString(), processes: {} }
  await writeState(state)
  try {
    await buildNetwork()
    await startSupervisor(state)
    await addRoutesAndVips()
    for (const site of SITES) await startDns(state, site)
    for (const router of ROUTERS) await startBird(state, router.id, renderRouterBird(router, nodeDir(router.id)))
    for (const site of SITES) await startBgp(state, site)
    await waitForSteadyState(25_000 - (Date.now() - started), { collector: false })
    // The collector peers with converged routers, as a RIS collector does: its log then starts with each
    // router's best path, not with the path exploration of the lab's start (which the monitor's BGP
    // flapping detector would rightly count as moves between sites).
    await startBird(state, 'col', renderCollectorBird(nodeDir('col')))
    await startBgpFeedProcess(state)
    const convergedAt = await waitForSteadyState(25_000 - (Date.now() - started))
    return { seconds: (Date.now() - started) / 1000, convergedSeconds: (convergedAt - started) / 1000 }
  } catch (error) {
    log(`up failed: ${(error as Error).message}; tearing down`)
    await down().catch((downError: unknown) => log(`down after failed up: ${String(downError)}`))
    throw error
  }
}

/** Waits until every vantage reaches its own site over IPv4 and IPv6 and (unless told not to) the collector has all paths. */
export async function waitForSteadyState(timeoutMs: number, options: { collector: boolean } = { collector: true }): Promise<number> {
  const deadline = Date.now() + Math.max(timeoutMs, 1_000)
  let last = ''
  while (Date.now() < deadline) {
    const checks = await Promise.all(
      VANTAGES.flatMap((vantage) =>
        [VIP4, VIP6].map(async (address) => {
          const answer = await digNsid(vantage.namespace, address, { timeoutS: 1 })
          const expected = routerById(vantage.router).site
          return { ok: answer.site === expected, what: `${vantage.id}->${address}: ${answer.site ?? answer.error}` }
        }),
      ),
    )
    const routes4 = options.collector ? await collectorRoutes(VIP4_PREFIX).catch(() => []) : []
    const routes6 = options.collector ? await collectorRoutes(VIP6_PREFIX).catch(() => []) : []
    const collectorOk = !options.collector || (routes4.length === ROUTERS.length && routes6.length === ROUTERS.length)
    last = `${checks.map((check) => check.what).join(', ')}; collector ${routes4.length}+${routes6.length} routes`
    if (checks.every((check) => check.ok) && collectorOk) return Date.now()
    await sleep(250)
  }
  throw new Error(`steady state not reached: ${last}`)
}

// ------------------------------------------------------------------- down

export async function down(): Promise<string[]> {
  const report: string[] = []
  // A silenced vantage's namespace is missing from `ip netns list` and held by a mount under RUN_DIR.
  for (const vantage of await unsilenceAll().catch((error: unknown) => (log(`unsilence: ${String(error)}`), []))) report.push(`unsilenced ${vantage}`)
  const state = await readState()
  if (state?.supervisorPid !== undefined && (await processExists(state.supervisorPid))) {
    const commandLine = (await processCommandLine(state.supervisorPid)) ?? ''
    if (commandLine.includes('__supervise')) {
      process.kill(state.supervisorPid, 'SIGTERM')
      if (!(await waitGone(state.supervisorPid, 8_000))) process.kill(state.supervisorPid, 'SIGKILL')
      report.push(`stopped link supervisor ${state.supervisorPid}`)
    }
  }
  if (state?.bgpFeedPid !== undefined && (await processExists(state.bgpFeedPid))) {
    if (((await processCommandLine(state.bgpFeedPid)) ?? '').includes('__bgp-feed')) {
      process.kill(state.bgpFeedPid, 'SIGTERM')
      if (!(await waitGone(state.bgpFeedPid, 5_000))) process.kill(state.bgpFeedPid, 'SIGKILL')
      report.push(`stopped bgp feed ${state.bgpFeedPid}`)
    }
  }
  if (state) {
    for (const key of Object.keys(state.processes)) {
      const record = state.processes[key]!
      if (await signalRecorded(record, 'SIGTERM')) {
        await signalRecorded(record, 'SIGCONT') // a hung (kill-bgp --hang) daemon must run to exit
        report.push(`stopped ${key} (${record.pid})`)
      }
    }
    for (const record of Object.values(state.processes)) {
      if (!(await waitGone(record.pid, 5_000))) await signalRecorded(record, 'SIGKILL')
    }
  }
  // Anything still inside a lab namespace was started by the lab (health checks, NSD children, relays).
  for (const namespace of await labNamespaces()) {
    for (const pid of await namespacePids(namespace)) {
      if ((await namespaceOfPid(pid)) !== namespace) continue
      try {
        process.kill(pid, 'SIGKILL')
        report.push(`killed leftover ${pid} in ${namespace}`)
      } catch {
        // already gone
      }
    }
  }
  for (const namespace of await labNamespaces()) {
    for (let attempt = 0; attempt < 20 && (await namespacePids(namespace)).length > 0; attempt++) await sleep(100)
    await deleteNamespace(namespace)
    report.push(`deleted namespace ${namespace}`)
  }
  await rm(RUN_DIR, { recursive: true, force: true })
  return report
}

// ----------------------------------------------------------------- status

export interface VantageStatus {
  vantage: string
  expectedSite: string
  probes: Array<{ family: 4 | 6; transport: 'udp' | 'tcp'; result: ProbeResult }>
}

export interface LabStatus {
  vantages: VantageStatus[]
  collector: { ipv4: CollectorRoute[]; ipv6: CollectorRoute[] }
  processes: Record<string, { pid: number; alive: boolean }>
  links: Array<{ name: string; delayMs?: number; lossPct?: number; relay?: RelayStatus }>
}

export async function status(options: { tcp?: boolean } = {}): Promise<LabStatus> {
  const state = await requireState()
  const vantages: VantageStatus[] = []
  for (const vantage of VANTAGES) {
    const probes: VantageStatus['probes'] = []
    for (const transport of options.tcp ? (['udp', 'tcp'] as const) : (['udp'] as const)) {
      for (const family of [4, 6] as const) {
        probes.push({ family, transport, result: await probeFrom(vantage, family === 4 ? VIP4 : VIP6, transport) })
      }
    }
    vantages.push({ vantage: vantage.id, expectedSite: routerById(vantage.router).site, probes })
  }
  const processes: LabStatus['processes'] = {}
  for (const [key, record] of Object.entries(state.processes)) processes[key] = { pid: record.pid, alive: await processExists(record.pid) }
  const links: LabStatus['links'] = []
  for (const record of await readLinks()) {
    const relay = await relayStatus(record).catch(() => undefined)
    links.push({ name: record.name, ...(relay ? { relay, delayMs: relay.aToB.delayMs, lossPct: relay.aToB.lossPct } : {}) })
  }
  return {
    vantages,
    collector: { ipv4: await collectorRoutes(VIP4_PREFIX).catch(() => []), ipv6: await collectorRoutes(VIP6_PREFIX).catch(() => []) },
    processes,
    links,
  }
}

function relayStatus(record: LinkRecord): Promise<RelayStatus> {
  return setLinkImpairment(record, {})
}

export function formatStatus(status: LabStatus): string {
  const lines: string[] = ['vantage  expect  family/transport  site (nsid)           rtt       outcome']
  for (const vantage of status.vantages) {
    for (const probe of vantage.probes) {
      const { result } = probe
      const site = result.site ? `${result.site} (${result.identityText})` : '-'
      const rtt = result.rttMs !== undefined ? `${result.rttMs.toFixed(1)} ms` : '-'
      const mark = result.site === vantage.expectedSite ? '' : '  <- not the expected site'
      lines.push(
        `${vantage.vantage.padEnd(8)} ${vantage.expectedSite.padEnd(7)} ipv${probe.family}/${probe.transport.padEnd(12)} ${site.padEnd(21)} ${rtt.padEnd(9)} ${result.outcome}${mark}`,
      )
    }
  }
  for (const [label, routes, prefix] of [
    ['IPv4', status.collector.ipv4, VIP4_PREFIX],
    ['IPv6', status.collector.ipv6, VIP6_PREFIX],
  ] as const) {
    lines.push('', `collector (AS${COLLECTOR.asn}) view of ${prefix} (${label}): ${routes.length} path(s)`)
    for (const route of routes) {
      lines.push(`  from ${route.peerRouter.padEnd(3)} ${route.best ? '*' : ' '} as-path ${route.asPath.join(' ').padEnd(12)} communities ${route.communities.join(' ') || '-'}  since ${route.since}`)
    }
  }
  lines.push('', 'delayed links (one-way delay / loss):')
  for (const link of status.links) lines.push(`  ${link.name.padEnd(5)} ${link.delayMs ?? '?'} ms / ${link.lossPct ?? '?'} %`)
  const dead = Object.entries(status.processes).filter(([, info]) => !info.alive)
  lines.push('', `daemons: ${Object.keys(status.processes).length} recorded, ${dead.length ? `NOT running: ${dead.map(([key]) => key).join(', ')}` : 'all running'}`)
  return lines.join('\n')
}

// -------------------------------------------------------------- scenarios

/**
 * kill: SIGKILL the site's BGP speaker. No NOTIFICATION is sent, but the kernel closes the
 * TCP session, so the router drops the routes at once.
 * hang: SIGSTOP it. The session stays open and silent until the router's hold timer expires.
 */
export async function killBgp(siteId: string, mode: 'kill' | 'hang' = 'kill'): Promise<void> {
  const site = siteById(siteId)
  const state = await requireState()
  const key = `${site.id}.bgp`
  if (mode === 'kill') return stopProcess(state, key, 'SIGKILL')
  const record = state.processes[key]
  if (!record || !(await signalRecorded(record, 'SIGSTOP'))) throw new Error(`${site.id}: BGP speaker is not running`)
}

async function isStopped(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  return /\) T /.test(stat)
}

export async function startBgpScenario(siteId: string): Promise<void> {
  const site = siteById(siteId)
  const state = await requireState()
  const record = state.processes[`${site.id}.bgp`]
  if (record && (await processExists(record.pid))) {
    if (!(await isStopped(record.pid))) return
    // A hung (SIGSTOPped) speaker: replace it.
    await stopProcess(state, `${site.id}.bgp`, 'SIGKILL')
  }
  await startBgp(state, site)
}

export async function stopDns(siteId: string): Promise<void> {
  const site = siteById(siteId)
  const state = await requireState()
  await stopProcess(state, `${site.id}.dns`, 'SIGKILL')
  // NSD's server child outlives a SIGKILLed parent briefly; make sure nothing answers on the VIP.
  for (const pid of await namespacePids(site.namespace)) {
    const commandLine = (await processCommandLine(pid)) ?? ''
    if (/\b(nsd|named|knotd)\b/.test(commandLine)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone
      }
    }
  }
}

export async function startDnsScenario(siteId: string): Promise<void> {
  const site = siteById(siteId)
  const state = await requireState()
  if (state.processes[`${site.id}.dns`] && (await processExists(state.processes[`${site.id}.dns`]!.pid))) return
  await startDns(state, site)
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if ((await digNsid(site.namespace, VIP4, { timeoutS: 1 })).ok) return
    await sleep(100)
  }
  throw new Error(`${site.id}: DNS daemon does not answer after start`)
}

export async function setLoss(vantageId: string, percent: number): Promise<RelayStatus> {
  const vantage = vantageById(vantageId)
  if (!(percent >= 0 && percent <= 100)) throw new Error('loss must be 0..100 %')
  const name = LINKS.find((link) => (link.a === vantage.id || link.b === vantage.id) && link.delayMs !== undefined)?.name
  const record = (await readLinks()).find((candidate) => candidate.name === name)
  if (!record) throw new Error(`no delayed link for ${vantage.id}; is the lab up?`)
  return setLinkImpairment(record, { lossPct: percent })
}

export async function execIn(vantageId: string, command: string[]): Promise<number> {
  const vantage = vantageById(vantageId)
  if (command.length === 0) throw new Error('usage: exec VANTAGE CMD...')
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', vantage.namespace, ...command], { stdio: 'inherit' })
    child.once('error', reject)
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)))
  })
}

// ------------------------------------------------------------ measurement

export interface Sample {
  atMs: number
  answer: DigAnswer
}

/**
 * Polls a vantage with dig until `done` says so (or timeout); returns the samples with times
 * relative to `startedAt`.
 */
export async function pollVantage(
  vantage: Vantage,
  address: string,
  startedAt: number,
  done: (answer: DigAnswer, samples: Sample[]) => boolean,
  timeoutMs: number,
  intervalMs = 100,
): Promise<Sample[]> {
  const samples: Sample[] = []
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const sentAt = Date.now()
    const answer = await digNsid(vantage.namespace, address, { timeoutS: 1 })
    samples.push({ atMs: sentAt - startedAt, answer })
    if (done(answer, samples)) break
    await sleep(Math.max(0, intervalMs - (Date.now() - sentAt)))
  }
  return samples
}

/** Polls the collector until `done` holds; resolves with the time (ms after startedAt) or undefined. */
export async function pollCollector(prefix: string, startedAt: number, done: (routes: CollectorRoute[]) => boolean, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const routes = await collectorRoutes(prefix).catch(() => undefined)
    if (routes && done(routes)) return Date.now() - startedAt
    await sleep(50)
  }
  return undefined
}

export interface ScenarioReport {
  lines: string[]
}

function describeSamples(samples: Sample[]): string {
  // Collapses consecutive equal outcomes: "0.0s s1 ×12, 1.3s fail ×3, 1.6s s2 ×5".
  const runs: Array<{ at: number; what: string; count: number }> = []
  for (const sample of samples) {
    const what = sample.answer.ok ? (sample.answer.site ?? '?') : 'fail'
    const last = runs[runs.length - 1]
    if (last && last.what === what) last.count += 1
    else runs.push({ at: sample.atMs, what, count: 1 })
  }
  return runs.map((run) => `${(run.at / 1000).toFixed(2)}s ${run.what}×${run.count}`).join(', ')
}

const isOriginatedBy = (site: Site) => (route: CollectorRoute): boolean => route.asPath[route.asPath.length - 1] === site.asn

/** kill-bgp with measurement: time until the vantage answers from another site, and the collector's view. */
export async function killBgpMeasured(siteId: string, mode: 'kill' | 'hang' = 'kill'): Promise<ScenarioReport> {
  const site = siteById(siteId)
  const vantage = vantageById(routerById(site.router).vantage)
  const startedAt = Date.now()
  await killBgp(site.id, mode)
  const [samples, collectorMs] = await Promise.all([
    pollVantage(vantage, VIP4, startedAt, (answer) => answer.ok && answer.site !== site.id, 20_000),
    pollCollector(VIP4_PREFIX, startedAt, (routes) => !routes.some(isOriginatedBy(site)), 20_000),
  ])
  const last = samples[samples.length - 1]
  return {
    lines: [
      `kill-bgp ${site.id}${mode === 'hang' ? ' --hang' : ''}: ${vantage.id} now reaches ${last?.answer.site ?? 'nothing'} after ${last ? (last.atMs / 1000).toFixed(2) : '?'} s`,
      `  ${vantage.id} samples: ${describeSamples(samples)}`,
      `  collector lost every AS${site.asn}-originated path after ${collectorMs !== undefined ? (collectorMs / 1000).toFixed(2) : '(not within 20 s)'} s`,
    ],
  }
}

export async function startBgpMeasured(siteId: string): Promise<ScenarioReport> {
  const site = siteById(siteId)
  const vantage = vantageById(routerById(site.router).vantage)
  const startedAt = Date.now()
  await startBgpScenario(site.id)
  const [samples, collectorMs] = await Promise.all([
    pollVantage(vantage, VIP4, startedAt, (answer) => answer.ok && answer.site === site.id, 30_000),
    pollCollector(VIP4_PREFIX, startedAt, (routes) => routes.filter(isOriginatedBy(site)).length === ROUTERS.length || routes.some((r) => r.peerRouter === site.router && isOriginatedBy(site)(r)), 30_000),
  ])
  const last = samples[samples.length - 1]
  return {
    lines: [
      `start-bgp ${site.id}: ${vantage.id} reaches ${last?.answer.site ?? 'nothing'} after ${last ? (last.atMs / 1000).toFixed(2) : '?'} s`,
      `  ${vantage.id} samples: ${describeSamples(samples)}`,
      `  collector has ${site.router}'s path to AS${site.asn} after ${collectorMs !== undefined ? (collectorMs / 1000).toFixed(2) : '(not within 30 s)'} s`,
    ],
  }
}

export async function stopDnsMeasured(siteId: string, observeMs = 6_000): Promise<ScenarioReport> {
  const site = siteById(siteId)
  const vantage = vantageById(routerById(site.router).vantage)
  const startedAt = Date.now()
  await stopDns(site.id)
  const samples = await pollVantage(vantage, VIP4, startedAt, () => false, observeMs, 200)
  const routes = await collectorRoutes(VIP4_PREFIX)
  const held = routes.filter(isOriginatedBy(site)).map((route) => `${route.peerRouter}: ${route.asPath.join(' ')}`)
  const firstOther = samples.find((sample) => sample.answer.ok && sample.answer.site !== site.id)
  return {
    lines: [
      `stop-dns ${site.id} (${site.dns}, announced by ${site.bgp}): ${vantage.id} over ${observeMs / 1000} s: ${describeSamples(samples)}`,
      firstOther ? `  failover: first answer from ${firstOther.answer.site} after ${(firstOther.atMs / 1000).toFixed(2)} s` : '  no failover: every query after the stop failed (black hole)',
      `  collector still holds AS${site.asn}-originated paths: ${held.length ? held.join('; ') : 'none (withdrawn)'}`,
    ],
  }
}

export async function startDnsMeasured(siteId: string): Promise<ScenarioReport> {
  const site = siteById(siteId)
  const vantage = vantageById(routerById(site.router).vantage)
  const startedAt = Date.now()
  await startDnsScenario(site.id)
  const samples = await pollVantage(vantage, VIP4, startedAt, (answer) => answer.ok && answer.site === site.id, 30_000)
  const last = samples[samples.length - 1]
  return { lines: [`start-dns ${site.id}: ${vantage.id} reaches ${last?.answer.site ?? 'nothing'} after ${last ? (last.atMs / 1000).toFixed(2) : '?'} s`, `  samples: ${describeSamples(samples)}`] }
}

/** Withdraws and re-announces a site (by stopping/starting its BGP speaker) `cycles` times, `seconds` apart. */
export async function flap(siteId: string, seconds: number, cycles = 3): Promise<ScenarioReport> {
  const site = siteById(siteId)
  const vantage = vantageById(routerById(site.router).vantage)
  if (!(seconds > 0 && seconds <= 600)) throw new Error('flap SECONDS must be in (0, 600]')
  const logBefore = (await collectorUpdateLog()).length
  const startedAt = Date.now()
  let stop = false
  const sampling = pollVantage(vantage, VIP4, startedAt, () => stop, (2 * cycles + 1) * seconds * 1000 + 30_000, 200)
  for (let cycle = 0; cycle < cycles; cycle++) {
    await killBgp(site.id)
    await sleep(seconds * 1000)
    await startBgpScenario(site.id)
    await sleep(seconds * 1000)
  }
  stop = true
  const samples = await sampling
  const events = (await collectorUpdateLog()).slice(logBefore).filter((event) => event.prefix === VIP4_PREFIX && event.peerRouter === site.router)
  const originated = events.filter((event) => event.kind === 'update' && event.asPath[event.asPath.length - 1] === site.asn).length
  return {
    lines: [
      `flap ${site.id} ${seconds}s × ${cycles}: ${vantage.id}: ${describeSamples(samples)}`,
      `  collector: ${events.length} updates for ${VIP4_PREFIX} from ${site.router}, ${originated} announcing AS${site.asn}'s path, ${events.length - originated} replacing or withdrawing it:`,
      ...events.map((event) => `    ${event.time} ${event.peerRouter} ${event.kind} ${event.asPath.join(' ') || '-'} ${event.communities.join(' ')}`),
    ],
  }
}

// ---------------------------------------------------------------- fidelity

export interface RttStats {
  count: number
  lost: number
  minMs: number
  medianMs: number
  maxMs: number
}

function stats(samples: number[], lost: number): RttStats {
  const sorted = [...samples].sort((a, b) => a - b)
  return {
    count: samples.length,
    lost,
    minMs: sorted[0] ?? Number.NaN,
    medianMs: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
  }
}

/** ICMP echo RTTs (iputils ping) from a vantage to the VIP. */
export async function pingStats(vantage: Vantage, address: string, count = 20): Promise<RttStats> {
  const result = await runCommand('ip', ['netns', 'exec', vantage.namespace, 'ping', '-n', '-c', String(count), '-i', '0.1', '-W', '1', address], 30_000)
  const samples = [...result.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]))
  return stats(samples, count - samples.length)
}

/** RTTs of the project's probe CLI from a vantage, and the sites that answered. */
export async function probeStats(vantage: Vantage, address: string, transport: 'udp' | 'tcp', count = 5): Promise<RttStats & { sites: string[] }> {
  const samples: number[] = []
  const sites = new Set<string>()
  let lost = 0
  for (let i = 0; i < count; i++) {
    const result = await probeFrom(vantage, address, transport)
    if (result.rttMs !== undefined && result.outcome === 'ok') samples.push(result.rttMs)
    else lost += 1
    if (result.site) sites.add(result.site)
  }
  return { ...stats(samples, lost), sites: [...sites] }
}

export async function measure(count = 5): Promise<string[]> {
  await requireState()
  const lines = ['vantage  family  expected  ping min/median/max (n)          probe udp min/median/max      probe tcp min/median/max      site']
  const fmt = (s: RttStats): string => `${s.minMs.toFixed(2)}/${s.medianMs.toFixed(2)}/${s.maxMs.toFixed(2)} ms (${s.count}${s.lost ? `, ${s.lost} lost` : ''})`
  for (const vantage of VANTAGES) {
    for (const [family, address] of [
      [4, VIP4],
      [6, VIP6],
    ] as const) {
      const expected = steadyCatchment(vantage).rttMs
      const ping = await pingStats(vantage, address, count * 4)
      const udp = await probeStats(vantage, address, 'udp', count)
      const tcp = await probeStats(vantage, address, 'tcp', count)
      lines.push(
        `${vantage.id.padEnd(8)} ipv${family}    ${`${expected} ms`.padEnd(9)} ${fmt(ping).padEnd(32)} ${fmt(udp).padEnd(29)} ${fmt(tcp).padEnd(29)} ${[...new Set([...udp.sites, ...tcp.sites])].join(',')}`,
      )
    }
  }
  return lines
}
