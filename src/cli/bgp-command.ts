// `anycast-monitor bgp --config F [--prefix P] [--json]`: the joined BGP view of the configured
// prefixes (or of one prefix) from every configured BGP source.
import { readFile } from 'node:fs/promises'
import { bgpViewText, buildBgpView, viewHasNoFreshData, type BgpViewPrefix } from '../app/bgp-view.ts'
import { attributionRulesFor, BgpPrefixSettingsSchema, bgpSettingsProblems, BgpSettingsSchema, type BgpSettings } from '../core/bgp/settings.ts'
import { formatConfigErrors, formatConfigPath, parseConfig, type Config } from '../core/config.ts'
import { createBgpSources } from './bgp-wiring.ts'
import type { CliIo } from './main.ts'

const EXIT_OK = 0
const EXIT_NO_FRESH_DATA = 1
const EXIT_BAD_ARGUMENTS = 2
/** The whole command ends within this, whatever the sources do (each request has its own timeout too). */
const DEFAULT_COMMAND_TIMEOUT_MS = 60_000

export const BGP_USAGE =
  'usage: anycast-monitor bgp --config FILE [--prefix PREFIX] [--json] [--timeout-ms N]\n' +
  '  the BGP view of every prefix in the config\'s "bgp" block (or of PREFIX): peers, origins, paths, site per peer\n' +
  '  exit 0: printed; 1: no source had fresh data; 2: bad arguments or config'

interface BgpArgs {
  configPath: string
  prefix: string | null
  json: boolean
  timeoutMs: number
}

export async function bgpCommand(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(`${BGP_USAGE}\n`)
    return EXIT_OK
  }
  const args = parseBgpArgs(argv)
  if (!args.ok) return fail(io, args.error)
  const loaded = await loadBgpConfig(args.value.configPath)
  if (!loaded.ok) return fail(io, loaded.error)
  const prefixes = prefixesToView(loaded.config, loaded.bgp, args.value.prefix)
  const deps = { sources: createBgpSources(loaded.bgp), nowMs: Date.now, detection: loaded.bgp.detection }
  const view = await buildBgpView(deps, prefixes, AbortSignal.timeout(args.value.timeoutMs))
  io.stdout(`${args.value.json ? JSON.stringify(view, null, 2) : bgpViewText(view)}\n`)
  return viewHasNoFreshData(view) ? EXIT_NO_FRESH_DATA : EXIT_OK
}

function fail(io: CliIo, error: string): number {
  io.stderr(`anycast-monitor bgp: ${error}\n${BGP_USAGE}\n`)
  return EXIT_BAD_ARGUMENTS
}

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string }

export function parseBgpArgs(argv: readonly string[]): Parsed<BgpArgs> {
  const configPath = valueOf(argv, '--config')
  if (!configPath) return { ok: false, error: 'needs --config FILE' }
  const prefix = valueOf(argv, '--prefix') ?? null
  if (prefix !== null && !BgpPrefixSettingsSchema.shape.prefix.safeParse(prefix).success) {
    return { ok: false, error: `--prefix ${JSON.stringify(prefix)} is not an IPv4 or IPv6 prefix` }
  }
  const timeoutText = valueOf(argv, '--timeout-ms')
  const timeoutMs = timeoutText === undefined ? DEFAULT_COMMAND_TIMEOUT_MS : Number(timeoutText)
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) return { ok: false, error: '--timeout-ms must be a positive integer' }
  return { ok: true, value: { configPath, prefix, json: argv.includes('--json'), timeoutMs } }
}

type LoadedBgp = { ok: true; config: Config; bgp: BgpSettings } | { ok: false; error: string }

/**
 * The monitor config and its `bgp` block. The block is taken out before the rest is parsed, so this
 * works whether or not ConfigSchema lists `bgp` yet.
 */
export async function loadBgpConfig(path: string): Promise<LoadedBgp> {
  let json: unknown
  try {
    json = JSON.parse(await readFile(path, 'utf8'))
  } catch (error) {
    return { ok: false, error: `cannot read config ${path}: ${(error as Error).message}` }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, error: `config ${path} is not a JSON object` }
  const { bgp, ...rest } = json as Record<string, unknown>
  const parsed = parseConfig(rest)
  if (!parsed.ok) return { ok: false, error: `config ${path} is invalid:\n${formatConfigErrors(parsed.errors)}` }
  if (bgp === undefined) return { ok: false, error: `config ${path} has no "bgp" block` }
  const settings = BgpSettingsSchema.safeParse(bgp)
  if (!settings.success) {
    const errors = settings.error.issues.map((issue) => ({ path: formatConfigPath(['bgp', ...issue.path]), message: issue.message }))
    return { ok: false, error: `config ${path} is invalid:\n${formatConfigErrors(errors)}` }
  }
  const problems = bgpSettingsProblems(settings.data, parsed.config.targets)
  if (problems.length > 0) {
    const errors = problems.map((problem) => ({ path: formatConfigPath(['bgp', ...problem.path]), message: problem.message }))
    return { ok: false, error: `config ${path} is invalid:\n${formatConfigErrors(errors)}` }
  }
  return { ok: true, config: parsed.config, bgp: settings.data }
}

/** Every configured prefix, or just `only` (with its target's rules when a target lists it). */
export function prefixesToView(config: Config, bgp: BgpSettings, only: string | null): BgpViewPrefix[] {
  const configured = bgp.targets.flatMap((entry) => {
    const target = config.targets.find((candidate) => candidate.id === entry.target)
    const rules = target === undefined ? [] : attributionRulesFor(target, entry)
    return entry.prefixes.map((prefix) => ({ target: entry.target, prefix: prefix.prefix, expectedOriginAsns: prefix.originAsns, rules }))
  })
  if (only === null) return configured
  const matching = configured.filter((entry) => entry.prefix.toLowerCase() === only.toLowerCase())
  return matching.length > 0 ? matching : [{ target: null, prefix: only, expectedOriginAsns: [], rules: [] }]
}

function valueOf(argv: readonly string[], flag: string): string | undefined {
  const index = argv.indexOf(flag)
  if (index >= 0) return argv[index + 1]
  return argv.find((arg) => arg.startsWith(`${flag}=`))?.slice(flag.length + 1)
}
