// The lab's partial failures (lab/README.md, "Partial failures"): each changes one thing at one site or
// vantage, leaves the daemons and the rest of the routing alone, and reports what it did and what it then
// observed (the site's vantage over each family and transport, the collector's paths, the routers'
// sessions). The rules and argument parsing are in fault-rules.ts, the silencing of a vantage in
// silence.ts. Every probe runs inside a lab namespace.
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createNetnsRunner } from '../src/adapters/runner/netns.ts'
import {
  FAULT_TABLE,
  FAMILIES,
  blockedPaths,
  parseFaultRules,
  parseWithdrawnFamilies,
  withdrawnFamiliesPath,
  pathLabel,
  renderBlockRuleset,
  renderWithdrawnFamilies,
  type Block,
  type Family,
  type FaultCommand,
  type FaultRule,
  type Transport,
} from './fault-rules.ts'
import { birdSocket, collectorRoutes, digNsid, probeFrom, type CollectorRoute, type ProbeResult } from './lab.ts'
import { runCommand, runOrThrow } from './netns.ts'
import { renderSiteBird } from './render/bird.ts'
import { silenceVantage, silencedHandle, silencedVantages, unsilenceVantage } from './silence.ts'
import {
  RUN_DIR,
  SITES,
  VIP4,
  VIP4_PREFIX,
  VIP6,
  VIP6_PREFIX,
  ZONE,
  failoverCatchment,
  routerById,
  siteById,
  vantageById,
  vantageOfSite,
  type Site,
} from './topology.ts'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const address = (family: Family): string => (family === 'ipv4' ? VIP4 : VIP6)
const prefix = (family: Family): string => (family === 'ipv4' ? VIP4_PREFIX : VIP6_PREFIX)
const familyName = (family: Family): string => (family === 'ipv4' ? 'IPv4' : 'IPv6')
const seconds = (ms: number | undefined): string => (ms === undefined ? '(not within the wait)' : `${(ms / 1000).toFixed(2)} s`)

function requireLab(): void {
  if (!existsSync(join(RUN_DIR, 'state.json'))) throw new Error(`the lab is not up (no ${RUN_DIR}/state.json); run: npm run lab -- up`)
}

export async function withdrawnFamilies(siteId: string): Promise<Family[]> {
  return parseWithdrawnFamilies(await readFile(withdrawnFamiliesPath(siteById(siteId).id), 'utf8').catch(() => ''))
}

export interface FaultOptions {
  /**
   * Probe the site's vantage over each family and transport after a block or unblock (4 runs of the
   * probe CLI): default true. The e2e test passes false, so that its monitor's own probes are what sees.
   */
  probes?: boolean
}

export async function runFault(fault: FaultCommand, options: FaultOptions = {}): Promise<string[]> {
  requireLab()
  const probes = options.probes ?? true
  switch (fault.command) {
    case 'block':
      return block(fault, probes)
    case 'unblock':
      return unblock(fault.site, probes)
    case 'withdraw':
    case 'announce':
      return setAnnounced(fault.site, fault.family, fault.command === 'announce')
    case 'silence':
      return silence(fault.vantage)
    case 'unsilence':
      return unsilence(fault.vantage)
  }
}

/** The partial failures in force, read from the lab itself (nft tables, withdrawn-families files, held handles). */
export async function activeFaults(): Promise<string[]> {
  const faults: string[] = []
  for (const site of SITES) {
    const rules = await faultRules(site).catch(() => [])
    if (rules.length) faults.push(`${site.id} blocks ${rules.map((rule) => pathLabel(rule.family, rule.transport)).join(', ')}`)
    const withdrawn = await withdrawnFamilies(site.id)
    if (withdrawn.length) faults.push(`${site.id} withdrew ${withdrawn.map(familyName).join(', ')}`)
  }
  for (const vantage of await silencedVantages()) faults.push(`${vantage} silenced`)
  return faults
}

// ------------------------------------------------------------------ block

/** The site's fault rules with their drop counters; [] when the table does not exist. */
export async function faultRules(site: Site): Promise<FaultRule[]> {
  const result = await runCommand('ip', ['netns', 'exec', site.namespace, 'nft', '-j', 'list', 'table', 'inet', FAULT_TABLE])
  if (result.code !== 0) {
    if (/No such file or directory/.test(result.stderr)) return []
    throw new Error(`nft list table inet ${FAULT_TABLE} in ${site.namespace}: ${result.stderr.trim()}`)
  }
  return parseFaultRules(result.stdout)
}

/** s2's health check asks the local VIP over IPv4 UDP: a block of that path fails it too. */
function blocksHealthCheck(site: Site, paths: readonly { family: Family; transport: Transport }[]): boolean {
  return site.bgp === 'exabgp' && paths.some((path) => path.family === 'ipv4' && path.transport === 'udp')
}

const HEALTH_CHECK_NOTE =
  "s2's ExaBGP health check (lab/healthcheck.py) queries the VIP over IPv4 UDP from inside the site: this block fails it too, so ExaBGP withdraws both routes after 2 misses (~0.6 s): a failover, not a black hole"

async function block(fault: Block, probes: boolean): Promise<string[]> {
  const site = siteById(fault.site)
  const before = await faultRules(site)
  const script = renderBlockRuleset(fault, before.map((rule) => rule.comment))
  const file = join(RUN_DIR, site.id, 'fault.nft')
  await writeFile(file, script)
  await runOrThrow('ip', ['netns', 'exec', site.namespace, 'nft', '-f', file])
  const rules = await faultRules(site)
  const added = blockedPaths(fault).map(({ family, transport }) => pathLabel(family, transport))
  const lines = [
    `block ${site.id} ${added.join(' ')}: nftables table inet ${FAULT_TABLE} in ${site.namespace} (input hook) silently drops DNS to the VIP (no ICMP, no RST: a client times out); ${site.dns} and ${site.bgp} untouched`,
    `  rules now: ${rules.map((rule) => pathLabel(rule.family, rule.transport)).join(', ')} (${file})`,
  ]
  if (blocksHealthCheck(site, rules)) {
    lines.push(`  note: ${HEALTH_CHECK_NOTE}`)
    await sleep(1_500)
  } else if (site.bgp === 'exabgp') {
    lines.push("  s2's ExaBGP health check queries the VIP over IPv4 UDP, which stays open: the route stays announced")
  }
  if (probes) lines.push(...(await vantageView(site)))
  for (const family of FAMILIES.filter((candidate) => rules.some((rule) => rule.family === candidate))) lines.push(await collectorLine(site, family))
  return lines
}

async function unblock(siteId: string, probes: boolean): Promise<string[]> {
  const site = siteById(siteId)
  const rules = await faultRules(site)
  if (rules.length === 0) return [`unblock ${site.id}: nothing was blocked (no table inet ${FAULT_TABLE} in ${site.namespace})`]
  const healthCheckWasBlocked = blocksHealthCheck(site, rules)
  await runOrThrow('ip', ['netns', 'exec', site.namespace, 'nft', 'delete', 'table', 'inet', FAULT_TABLE])
  const startedAt = Date.now()
  const lines = [
    `unblock ${site.id}: deleted table inet ${FAULT_TABLE} in ${site.namespace}; it had dropped ${rules.map((rule) => `${pathLabel(rule.family, rule.transport)} ${rule.packets} packets`).join(', ')}`,
  ]
  if (healthCheckWasBlocked) {
    const back = await pollCollector(VIP4_PREFIX, (routes) => routes.some((route) => route.peerRouter === site.router && route.origin === site.asn), 10_000)
    lines.push(`  s2's health check answers again: ${site.router} has AS${site.asn}'s path back after ${seconds(back === undefined ? undefined : back - startedAt)}`)
  }
  if (probes) lines.push(...(await vantageView(site)))
  return lines
}

// ------------------------------------------------------- withdraw / announce

async function setAnnounced(siteId: string, family: Family, announce: boolean): Promise<string[]> {
  const site = siteById(siteId)
  const vantage = vantageOfSite(site)
  const other: Family = family === 'ipv4' ? 'ipv6' : 'ipv4'
  const current = await withdrawnFamilies(site.id)
  const next = announce ? current.filter((candidate) => candidate !== family) : [...new Set([...current, family])]
  const verb = announce ? 'announce' : 'withdraw'
  const otherBefore = await sitePaths(site, other)
  const sessionsBefore = await routerSessions(site)
  const startedAt = Date.now()
  await writeFile(withdrawnFamiliesPath(site.id), renderWithdrawnFamilies(next))
  const how = await applyWithdrawn(site, family, next)
  const target = announce ? site.id : failoverCatchment(vantage).site
  const [collectorMs, vantageMs] = await Promise.all([
    pollCollector(prefix(family), (routes) => routes.some((route) => route.peerRouter === site.router && route.origin === site.asn) === announce, 15_000),
    pollVantage(vantage.namespace, address(family), target, 15_000),
  ])
  const otherAfter = await sitePaths(site, other)
  const sessionsAfter = await routerSessions(site)
  const lines = [
    `${verb} ${site.id} --family ${family === 'ipv4' ? 4 : 6}: ${how}`,
    `  collector: ${site.router}'s path for ${prefix(family)} ${announce ? `is AS${site.asn}'s again` : `no longer ends in AS${site.asn}`} after ${seconds(collectorMs === undefined ? undefined : collectorMs - startedAt)}`,
    await collectorLine(site, family),
    `  ${vantage.id} over ${familyName(family)} reaches ${target} after ${seconds(vantageMs === undefined ? undefined : vantageMs - startedAt)}`,
  ]
  const otherAnswer = await digNsid(vantage.namespace, address(other), { timeoutS: 1 })
  const unchanged = JSON.stringify(otherBefore) === JSON.stringify(otherAfter)
  lines.push(
    `  ${familyName(other)} untouched: ${vantage.id} reaches ${otherAnswer.site ?? `nothing (${otherAnswer.error})`}; collector: ${otherAfter.join('; ') || `no AS${site.asn} path`} (${unchanged ? 'unchanged' : `CHANGED, before: ${otherBefore.join('; ')}`})`,
  )
  for (const name of Object.keys(sessionsAfter).sort()) {
    const same = sessionsBefore[name] === sessionsAfter[name]
    lines.push(`  ${site.router} session ${name}: ${sessionsAfter[name]}${same ? ' (unchanged)' : ` (was ${sessionsBefore[name] ?? 'absent'})`}`)
  }
  if (next.length > 0) lines.push(`  withdrawn now: ${next.map(familyName).join(', ')} (${withdrawnFamiliesPath(site.id)}; start-bgp keeps it)`)
  return lines
}

/** Makes the site's BGP speaker announce every family but `withdrawn`; returns what was done. */
async function applyWithdrawn(site: Site, family: Family, withdrawn: readonly Family[]): Promise<string> {
  const dir = join(RUN_DIR, site.id)
  switch (site.bgp) {
    case 'frr': {
      const statement = `${withdrawn.includes(family) ? 'no ' : ''}network ${prefix(family)}`
      const args = ['--vty_socket', join(dir, 'frr'), '-c', 'configure terminal', '-c', `router bgp ${site.asn}`, '-c', `address-family ${family} unicast`, '-c', statement]
      const result = await runCommand('vtysh', args)
      if (result.code !== 0 || /%/.test(result.stdout)) throw new Error(`vtysh ${args.join(' ')}: ${result.stdout}${result.stderr}`)
      return `FRR bgpd: vtysh, router bgp ${site.asn}, address-family ${family} unicast: \`${statement}\` (the ${family} session stays up)`
    }
    case 'bird': {
      const config = join(dir, 'bird.conf')
      await writeFile(config, renderSiteBird(site, dir, withdrawn))
      const check = await runCommand('bird', ['-p', '-c', config])
      if (check.code !== 0) throw new Error(`bird -p ${config}: ${check.stderr}`)
      const result = await runCommand('birdc', ['-s', birdSocket(site.id), 'configure'])
      if (result.code !== 0 || !/Reconfigur/.test(result.stdout)) throw new Error(`birdc configure: ${result.stdout}${result.stderr}`)
      return `BIRD: ${config} re-rendered with export ${withdrawn.includes(family) ? 'none' : 'of the VIP'} on ${site.router}_${family === 'ipv4' ? 'v4' : 'v6'}, \`birdc configure\`: ${result.stdout.trim().split('\n').pop()} (a filter change re-feeds the channel, the session stays up)`
    }
    case 'exabgp':
      return `ExaBGP: ${withdrawnFamiliesPath(site.id)} now lists ${withdrawn.join(', ') || 'nothing'}; the health check (every 300 ms) ${withdrawn.includes(family) ? 'withdraws' : 'announces'} that family's route through ExaBGP's API (the session stays up)`
  }
}

// ---------------------------------------------------------------- silence

async function silence(vantageId: string): Promise<string[]> {
  const vantage = vantageById(vantageId)
  const done = await silenceVantage(vantage.id)
  const lines = [
    done
      ? `silence ${vantage.id}: ${vantage.namespace}'s handle moved from /run/netns to ${silencedHandle(vantage.namespace)} (a bind mount keeps the namespace, its links and routes alive)`
      : `silence ${vantage.id}: already silenced`,
  ]
  const exec = await runCommand('ip', ['netns', 'exec', vantage.namespace, 'true'])
  lines.push(`  ip netns exec ${vantage.namespace}: exit ${exec.code}: ${exec.stderr.trim()}`)
  const links = await runCommand('nsenter', [`--net=${silencedHandle(vantage.namespace)}`, 'ip', '-brief', 'link'])
  lines.push(`  the namespace is alive: ${links.stdout.trim().split('\n').map((line) => line.split(/\s+/).slice(0, 2).join(' ')).join(', ')}`)
  // What the monitor's runner for this vantage reports now (the plan is the one a cycle would send).
  const runner = createNetnsRunner({ vantage: vantage.id, namespace: vantage.namespace })
  const plan = {
    vantage: vantage.id,
    cycleStartedAt: Date.now(),
    concurrency: 1,
    tasks: [{ target: 'lab-dns', address: VIP4, port: 53, transport: 'udp' as const, qname: ZONE, qtype: 'SOA', timeoutMs: 1000, udpPayloadBytes: 1232, identityFallback: true }],
  }
  const outcome = await runner.run(plan, AbortSignal.timeout(10_000)).then(
    (observations) => `reported ${observations.length} observation(s) (NOT silent)`,
    (error: unknown) => `rejects: ${error instanceof Error ? error.message : String(error)}`,
  )
  lines.push(`  the monitor's netns runner for ${vantage.id} ${outcome}`)
  return lines
}

async function unsilence(vantageId: string): Promise<string[]> {
  const vantage = vantageById(vantageId)
  const done = await unsilenceVantage(vantage.id)
  const answer = await digNsid(vantage.namespace, VIP4, { timeoutS: 1 })
  return [
    done ? `unsilence ${vantage.id}: ${vantage.namespace}'s handle is back in /run/netns` : `unsilence ${vantage.id}: it was not silenced`,
    `  ${vantage.id} reaches ${answer.site ?? `nothing (${answer.error})`} over IPv4`,
  ]
}

// ---------------------------------------------------------------- observe

/** The site's vantage over each family and transport, with the project's probe CLI (1 s timeout). */
async function vantageView(site: Site): Promise<string[]> {
  const vantage = vantageOfSite(site)
  const paths = FAMILIES.flatMap((family) => (['udp', 'tcp'] as const).map((transport) => ({ family, transport })))
  const results = await Promise.all(paths.map(({ family, transport }) => probeFrom(vantage, address(family), transport, 1000)))
  const describe = (result: ProbeResult): string =>
    result.outcome === 'ok'
      ? `${result.site ?? '?'} ${result.rttMs?.toFixed(1) ?? '?'} ms`
      : result.outcome === 'cli-error'
        ? `cli-error (${JSON.stringify(result.raw).slice(0, 200)})`
        : `${result.outcome}${result.site ? ` (${result.site})` : ''}`
  return [`  ${vantage.id} now: ${paths.map((path, index) => `${pathLabel(path.family, path.transport)} ${describe(results[index]!)}`).join('; ')}`]
}

/** The collector's paths for the family's VIP that come from the site's router. */
async function collectorLine(site: Site, family: Family): Promise<string> {
  const routes = (await collectorRoutes(prefix(family))).filter((route) => route.peerRouter === site.router)
  const originated = routes.some((route) => route.asPath[route.asPath.length - 1] === site.asn)
  return `  collector, ${prefix(family)} from ${site.router}: ${routes.map(describeRoute).join('; ') || 'none'} (${originated ? `AS${site.asn}'s route is announced` : `no AS${site.asn}-originated path from ${site.router}`})`
}

function describeRoute(route: CollectorRoute): string {
  return `${route.asPath.join(' ')} [${route.communities.join(' ')}] since ${route.since}`
}

async function sitePaths(site: Site, family: Family): Promise<string[]> {
  return (await collectorRoutes(prefix(family))).filter((route) => route.peerRouter === site.router).map(describeRoute)
}

/** `name: state since` of the site's router's sessions with the site (BIRD on every router). */
async function routerSessions(site: Site): Promise<Record<string, string>> {
  const router = routerById(site.router)
  const result = await runCommand('birdc', ['-s', birdSocket(router.id), 'show', 'protocols', `"${site.id}_*"`])
  const sessions: Record<string, string> = {}
  for (const line of result.stdout.split('\n')) {
    const match = /^(s\d+_v[46])\s+BGP\s+\S+\s+(\S+)\s+(\S+ \S+)\s*(.*)$/.exec(line)
    if (match) sessions[match[1]!] = `${match[2]} ${match[4]!.trim()} since ${match[3]}`
  }
  return sessions
}

async function pollCollector(prefixText: string, done: (routes: { peerRouter: string; origin: number | undefined }[]) => boolean, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const routes = await collectorRoutes(prefixText).catch(() => undefined)
    if (routes && done(routes.map((route) => ({ peerRouter: route.peerRouter, origin: route.asPath[route.asPath.length - 1] })))) return Date.now()
    await sleep(50)
  }
  return undefined
}

async function pollVantage(namespace: string, addressText: string, site: string, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const answer = await digNsid(namespace, addressText, { timeoutS: 1 })
    if (answer.ok && answer.site === site) return Date.now()
    await sleep(100)
  }
  return undefined
}
