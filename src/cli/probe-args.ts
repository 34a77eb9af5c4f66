import { isIP } from 'node:net'
import { dnsNameProblem, QueryTypeSchema } from '../core/config.ts'
import type { TransportName } from '../core/model.ts'

export interface ProbeArgs {
  address: string
  port: number
  transport: TransportName
  qname: string
  qtype: string
  timeoutMs: number
  json: boolean
  identityFallback: boolean
  vantage: string
}

export type ParsedArgs = { ok: true; args: ProbeArgs } | { ok: false; error: string }

export const PROBE_USAGE =
  'usage: anycast-monitor probe <address> [--port 53] [--transport udp|tcp] [--qname NAME] [--qtype TYPE] [--timeout MS] [--no-fallback] [--vantage NAME] [--json]'

const DEFAULTS = { port: 53, transport: 'udp', qname: '.', qtype: 'SOA', timeoutMs: 2000, vantage: 'local' } as const
const QTYPES: readonly string[] = QueryTypeSchema.options
const MAX_TIMEOUT_MS = 60_000
const VALUE_FLAGS = ['--port', '--transport', '--qname', '--qtype', '--timeout', '--vantage']

/** Parses the arguments after `probe`; every problem comes back as one line naming it. */
export function parseProbeArgs(argv: readonly string[]): ParsedArgs {
  const values = new Map<string, string>()
  const positionals: string[] = []
  let json = false
  let identityFallback = true
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] as string
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? splitOnce(arg) : [arg, undefined]
    if (flag === '--json') json = true
    else if (flag === '--no-fallback') identityFallback = false
    else if (VALUE_FLAGS.includes(flag)) {
      const value = inline ?? argv[++index]
      if (value === undefined) return fail(`${flag} needs a value`)
      values.set(flag, value)
    } else if (flag.startsWith('-') && flag !== '-') return fail(`unknown option ${flag}`)
    else positionals.push(arg)
  }
  if (positionals.length === 0) return fail('missing <address>')
  if (positionals.length > 1) return fail(`unexpected argument ${positionals[1]}`)
  const address = positionals[0] as string
  if (isIP(address) === 0) return fail(`<address> must be an IPv4 or IPv6 address, got ${JSON.stringify(address)}`)

  const port = integerIn(values.get('--port'), DEFAULTS.port, 1, 65535)
  if (port === null) return fail(`--port must be an integer from 1 to 65535, got ${values.get('--port')}`)
  const timeoutMs = integerIn(values.get('--timeout'), DEFAULTS.timeoutMs, 1, MAX_TIMEOUT_MS)
  if (timeoutMs === null) return fail(`--timeout must be an integer number of ms from 1 to ${MAX_TIMEOUT_MS}, got ${values.get('--timeout')}`)
  const transport = values.get('--transport') ?? DEFAULTS.transport
  if (transport !== 'udp' && transport !== 'tcp') return fail(`--transport must be udp or tcp, got ${transport}`)
  const qtype = (values.get('--qtype') ?? DEFAULTS.qtype).toUpperCase()
  if (!QTYPES.includes(qtype)) return fail(`--qtype must be one of ${QTYPES.join(', ')}, got ${qtype}`)
  const qname = values.get('--qname') ?? DEFAULTS.qname
  const nameProblem = dnsNameProblem(qname)
  if (nameProblem) return fail(`--qname ${nameProblem}`)
  const vantage = values.get('--vantage') ?? DEFAULTS.vantage

  return { ok: true, args: { address, port, transport, qname, qtype, timeoutMs, json, identityFallback, vantage } }
}

function integerIn(raw: string | undefined, fallback: number, min: number, max: number): number | null {
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw)) return null
  const value = Number(raw)
  return value >= min && value <= max ? value : null
}

function splitOnce(arg: string): [string, string] {
  const at = arg.indexOf('=')
  return [arg.slice(0, at), arg.slice(at + 1)]
}

function fail(error: string): ParsedArgs {
  return { ok: false, error }
}
