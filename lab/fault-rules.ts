// The lab's partial failures as data (lab/faults.ts applies them): the arguments of `block`, `unblock`,
// `withdraw`, `announce`, `silence` and `unsilence`, the nftables ruleset a block loads inside a site's
// namespace, the reading of its counters back (`nft -j`), and the file that records a site's withdrawn
// families. Pure: no process is run here.
import { join } from 'node:path'
import { RUN_DIR, SITES, VANTAGES, VIP4, VIP6, type SiteId, type VantageId } from './topology.ts'

export type Family = 'ipv4' | 'ipv6'
export type Transport = 'udp' | 'tcp'

export const FAMILIES: readonly Family[] = ['ipv4', 'ipv6']
export const TRANSPORTS: readonly Transport[] = ['udp', 'tcp']

/** The nftables table of a site's faults (family inet: one table for IPv4 and IPv6), removed whole by `unblock`. */
export const FAULT_TABLE = 'aml_fault'
export const FAULT_CHAIN = 'input'

/** A refused command line: the CLI prints the message (one line) and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export interface Block {
  site: SiteId
  /** Both when `--family` is not given. */
  families: Family[]
  /** Both when `--transport` is not given. */
  transports: Transport[]
}

export type FaultCommand =
  | ({ command: 'block' } & Block)
  | { command: 'unblock'; site: SiteId }
  | { command: 'withdraw' | 'announce'; site: SiteId; family: Family }
  | { command: 'silence' | 'unsilence'; vantage: VantageId }

export const FAULT_COMMANDS = ['block', 'unblock', 'withdraw', 'announce', 'silence', 'unsilence'] as const

const FLAGS: Record<(typeof FAULT_COMMANDS)[number], readonly string[]> = {
  block: ['--family', '--transport'],
  unblock: [],
  withdraw: ['--family'],
  announce: ['--family'],
  silence: [],
  unsilence: [],
}

export function isFaultCommand(command: string | undefined): command is (typeof FAULT_COMMANDS)[number] {
  return (FAULT_COMMANDS as readonly string[]).includes(command ?? '')
}

function parseFamily(command: string, value: string): Family {
  if (value === '4' || value === 'ipv4') return 'ipv4'
  if (value === '6' || value === 'ipv6') return 'ipv6'
  throw new UsageError(`${command}: --family must be 4 or 6, not ${JSON.stringify(value)}`)
}

function parseTransport(command: string, value: string): Transport {
  if (value === 'udp' || value === 'tcp') return value
  throw new UsageError(`${command}: --transport must be udp or tcp, not ${JSON.stringify(value)}`)
}

/**
 * `block SITE [--family 4|6] [--transport udp|tcp]`, `unblock SITE`, `withdraw|announce SITE --family 4|6`,
 * `silence|unsilence VANTAGE`. `--flag value` and `--flag=value`; each flag at most once. Throws a
 * UsageError (one line) for anything else.
 */
export function parseFaultCommand(command: string, args: readonly string[]): FaultCommand {
  if (!isFaultCommand(command)) throw new UsageError(`unknown fault command ${JSON.stringify(command)}`)
  const known = FLAGS[command]
  const positional: string[] = []
  const flags = new Map<string, string>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (!arg.startsWith('-')) {
      positional.push(arg)
      continue
    }
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    if (!known.includes(name)) {
      throw new UsageError(`${command}: unknown option ${JSON.stringify(name)}${known.length ? ` (known: ${known.join(', ')})` : ' (it takes none)'}`)
    }
    if (flags.has(name)) throw new UsageError(`${command}: ${name} given twice`)
    const value = inline ?? args[++i]
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('-'))) throw new UsageError(`${command}: ${name} needs a value`)
    flags.set(name, value)
  }
  const isVantageCommand = command === 'silence' || command === 'unsilence'
  const what = isVantageCommand ? 'VANTAGE' : 'SITE'
  if (positional.length === 0) throw new UsageError(`${command}: missing ${what}`)
  if (positional.length > 1) throw new UsageError(`${command}: one ${what} only, got ${positional.map((p) => JSON.stringify(p)).join(' ')}`)
  const name = positional[0]!
  if (isVantageCommand) {
    const vantage = VANTAGES.find((candidate) => candidate.id === name)
    if (!vantage) throw new UsageError(`${command}: unknown vantage ${JSON.stringify(name)} (one of ${VANTAGES.map((v) => v.id).join(', ')})`)
    return { command, vantage: vantage.id }
  }
  const site = SITES.find((candidate) => candidate.id === name)
  if (!site) throw new UsageError(`${command}: unknown site ${JSON.stringify(name)} (one of ${SITES.map((s) => s.id).join(', ')})`)
  switch (command) {
    case 'block': {
      const family = flags.get('--family')
      const transport = flags.get('--transport')
      return {
        command,
        site: site.id,
        families: family === undefined ? [...FAMILIES] : [parseFamily(command, family)],
        transports: transport === undefined ? [...TRANSPORTS] : [parseTransport(command, transport)],
      }
    }
    case 'withdraw':
    case 'announce': {
      const family = flags.get('--family')
      if (family === undefined) throw new UsageError(`${command}: --family 4 or --family 6 is required (kill-bgp takes the whole site out)`)
      return { command, site: site.id, family: parseFamily(command, family) }
    }
    default:
      return { command: 'unblock', site: site.id }
  }
}

/** `ipv6/udp`: how a blocked path is named in rule comments and in the output. */
export function pathLabel(family: Family, transport: Transport): string {
  return `${family}/${transport}`
}

/** The (family, transport) pairs a block drops. */
export function blockedPaths(block: Pick<Block, 'families' | 'transports'>): { family: Family; transport: Transport }[] {
  return FAMILIES.filter((family) => block.families.includes(family)).flatMap((family) =>
    TRANSPORTS.filter((transport) => block.transports.includes(transport)).map((transport) => ({ family, transport })),
  )
}

/** The comment that names a rule; also how `block` recognises a path it already drops. */
export function ruleComment(site: SiteId, family: Family, transport: Transport): string {
  return `aml block ${site} ${pathLabel(family, transport)}`
}

/**
 * The `nft -f -` script of a block, run inside the site's namespace. The input hook sees every DNS
 * packet addressed to the VIP: the vantages' (from the uplink) and the site's own (over lo, e.g. s2's
 * health check). `drop` is silent, as a firewall is: no ICMP, no RST, the client times out. `add` of
 * the table and chain is idempotent, so blocks accumulate; `skip` lists paths already dropped.
 */
export function renderBlockRuleset(block: Block, skip: readonly string[] = []): string {
  const lines = [
    `# npm run lab -- block ${block.site} (lab/faults.ts): silently drop DNS to the VIP`,
    `add table inet ${FAULT_TABLE}`,
    `add chain inet ${FAULT_TABLE} ${FAULT_CHAIN} { type filter hook input priority -10; policy accept; }`,
  ]
  for (const { family, transport } of blockedPaths(block)) {
    const comment = ruleComment(block.site, family, transport)
    if (skip.includes(comment)) continue
    const match = family === 'ipv4' ? `ip daddr ${VIP4}` : `ip6 daddr ${VIP6}`
    lines.push(`add rule inet ${FAULT_TABLE} ${FAULT_CHAIN} ${match} ${transport} dport 53 counter drop comment "${comment}"`)
  }
  return `${lines.join('\n')}\n`
}

export interface FaultRule {
  comment: string
  family: Family
  transport: Transport
  packets: number
  bytes: number
}

/**
 * The rules of the fault table, from `nft -j list table inet aml_fault`: each block rule's path and
 * its drop counter. Rules without the lab's comment are ignored.
 */
export function parseFaultRules(json: string): FaultRule[] {
  const parsed = JSON.parse(json) as { nftables?: Array<Record<string, unknown>> }
  const rules: FaultRule[] = []
  for (const item of parsed.nftables ?? []) {
    const rule = item.rule as { table?: string; comment?: string; expr?: Array<Record<string, unknown>> } | undefined
    if (!rule || rule.table !== FAULT_TABLE || typeof rule.comment !== 'string') continue
    const match = /^aml block s\d+ (ipv4|ipv6)\/(udp|tcp)$/.exec(rule.comment)
    if (!match) continue
    const counter = rule.expr?.find((expr) => 'counter' in expr)?.counter as { packets?: number; bytes?: number } | undefined
    rules.push({ comment: rule.comment, family: match[1] as Family, transport: match[2] as Transport, packets: counter?.packets ?? 0, bytes: counter?.bytes ?? 0 })
  }
  return rules
}

/**
 * The file that records a site's withdrawn families: s2's health check reads it every interval, s1's
 * and s3's configs are rendered from it (so start-bgp keeps a withdrawal). Absent: nothing withdrawn.
 */
export function withdrawnFamiliesPath(siteId: SiteId): string {
  return join(RUN_DIR, siteId, 'withdrawn-families')
}

/** The withdrawn-families file of a site: one family a line (read by s2's health check, lab/healthcheck.py). */
export function renderWithdrawnFamilies(families: readonly Family[]): string {
  return FAMILIES.filter((family) => families.includes(family))
    .map((family) => `${family}\n`)
    .join('')
}

export function parseWithdrawnFamilies(text: string): Family[] {
  const present = new Set(text.split('\n').map((line) => line.trim()))
  return FAMILIES.filter((family) => present.has(family))
}
