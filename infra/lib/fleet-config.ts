// The probe fleet's deploy config (infra/fleet.config.json), checked against the monitor config it names:
// where the Lambda probes run, which remote vantage each one is, how often it runs, and the Timestream
// table's retention when the monitor archives there. Problems are data (path: message lines), like the
// monitor's own config; loadFleet() is the one place that reads files and throws.
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { z } from 'zod'
import { cycleDeadlineMs, probeTasks } from '../../src/app/run-cycle.ts'
import { formatConfigErrors, formatConfigPath, parseConfig, type Config, type ConfigError } from '../../src/core/config.ts'
import { INGEST_BATCH_OBSERVATIONS } from '../../src/core/ingest/batch.ts'

const AWS_REGION_REGEX = /^[a-z]{2}(?:-[a-z]+)+-\d+$/
const AWS_ACCOUNT_REGEX = /^\d{12}$/
const NAME_REGEX = /^[A-Za-z][A-Za-z0-9-]{0,39}$/
const MS_PER_SECOND = 1000

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const
/** EventBridge Scheduler's shortest rate. */
export const MIN_SCHEDULE_MINUTES = 1
/** The ingest pusher's own timeout for one batch (src/adapters/ingest/push-client.ts); batches go one after the other. */
export const PUSH_TIMEOUT_SECONDS = 15
/** A cold start (loading the bundle, parsing the config) before the first probe. */
export const INIT_MARGIN_SECONDS = 5
/** Lambda's longest timeout. */
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900
/** Names the probe function sets itself, or Lambda reserves: a vantage's keyEnv may not be one of them. */
export const PROBE_ENV = { config: 'MONITOR_CONFIG', vantage: 'VANTAGE_ID', ingestUrl: 'MONITOR_INGEST_URL' } as const
const RESERVED_ENV_PREFIXES = ['AWS_', 'LAMBDA_', '_']
const RESERVED_ENV_NAMES = ['TZ', 'LANG', 'PATH', 'LD_LIBRARY_PATH', 'NODE_PATH', 'NODE_OPTIONS', ...Object.values(PROBE_ENV)]

export const FleetConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    $comment: z.string().optional(),
    name: z
      .string()
      .regex(NAME_REGEX, 'must start with a letter: letters, digits and "-", at most 40 characters')
      .default('anycast-monitor')
      .describe('Prefix of the stack names: <name>-probe-<region>, <name>-archive.'),
    account: z
      .string()
      .regex(AWS_ACCOUNT_REGEX, 'must be a 12-digit AWS account id')
      .optional()
      .describe('AWS account of every stack; leave it out to deploy into the account of the credentials in use.'),
    monitorConfig: z
      .string()
      .min(1)
      .describe('Path of the monitor config (relative to this file): its targets, probe settings and remote vantages.'),
    monitorUrl: z
      .url({ protocol: /^https$/, error: 'must be the monitor\'s https URL' })
      .describe('The monitor\'s public base URL; the probes push to its /api/v1/ingest over HTTPS.'),
    scheduleMinutes: z
      .number()
      .int()
      .min(MIN_SCHEDULE_MINUTES)
      .max(1440)
      .default(1)
      .describe('Minutes between two probe runs in each region (EventBridge Scheduler rate; 1 is its minimum).'),
    memoryMb: z.number().int().min(128).max(1024).default(256).describe('Memory of each probe function in MB (CPU grows with it).'),
    logRetentionDays: z
      .literal(LOG_RETENTION_DAYS, { error: `must be one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(', ')}` })
      .default(30)
      .describe('Days the probe functions\' logs are kept.'),
    probes: z
      .array(
        z.strictObject({
          region: z.string().regex(AWS_REGION_REGEX, 'must be an AWS region, e.g. "eu-west-1"').describe('AWS region the probe runs in.'),
          vantage: z.string().min(1).describe('Id of the remote vantage (in the monitor config) this probe reports as.'),
        }),
      )
      .min(1)
      .describe('One probe function per region, each a remote vantage of the monitor.'),
    timestream: z
      .strictObject({
        memoryRetentionHours: z
          .number()
          .int()
          .min(1)
          .max(8766)
          .default(24)
          .describe('Hours records stay in the memory store; writes older than this are rejected.'),
        magneticRetentionDays: z.number().int().min(1).max(73_000).default(365).describe('Days records stay in the magnetic store.'),
      })
      .optional()
      .describe(
        'Creates the Timestream database and table the monitor config\'s archive names, with this retention (an archive ' +
          'stack); leave it out when they exist already or the monitor has no Timestream archive.',
      ),
  })
  .describe('The AWS probe fleet: infra/ deploys one probe stack per entry of probes, and an archive stack for Timestream.')

export type FleetConfigInput = z.input<typeof FleetConfigSchema>
export type LogRetentionDays = (typeof LOG_RETENTION_DAYS)[number]

export interface FleetProbe {
  region: string
  vantage: string
  /** The environment variable the probe reads its ingest key from (the vantage's runner.keyEnv). */
  keyEnv: string
}

export interface FleetArchive {
  region: string
  database: string
  table: string
  memoryRetentionHours: number
  magneticRetentionDays: number
}

export interface Fleet {
  name: string
  account: string | undefined
  monitorUrl: string
  scheduleMinutes: number
  memoryMb: number
  timeoutSeconds: number
  logRetentionDays: LogRetentionDays
  /** What the probes get as their config: the monitor config's targets and probe settings, and the fleet's vantages. */
  probeConfig: Record<string, unknown>
  probes: FleetProbe[]
  /** The Timestream database and table to create (the monitor config's archive), or null. */
  archive: FleetArchive | null
}

export type ResolveFleetResult = { ok: true; fleet: Fleet } | { ok: false; errors: ConfigError[] }

/** The fleet, or every problem of the fleet config and of the monitor config it names. */
export function resolveFleet(fleetInput: unknown, monitorInput: unknown): ResolveFleetResult {
  const parsed = FleetConfigSchema.safeParse(fleetInput)
  if (!parsed.success) return { ok: false, errors: parsed.error.issues.map((issue) => ({ path: formatConfigPath(issue.path), message: issue.message })) }
  const monitor = parseConfig(monitorInput)
  if (!monitor.ok) return { ok: false, errors: monitor.errors.map((error) => ({ path: `monitorConfig: ${error.path}`, message: error.message })) }
  const config = parsed.data
  const errors: ConfigError[] = []
  const probes = config.probes.flatMap((probe, index) => {
    const resolved = resolveProbe(probe, monitor.config, index, errors)
    return resolved ? [resolved] : []
  })
  reportDuplicates(config.probes.map((probe) => probe.region), 'region', errors)
  reportDuplicates(config.probes.map((probe) => probe.vantage), 'vantage', errors)
  const archive = resolveArchive(config.timestream, monitor.config, errors)
  const probeConfig = probeConfigOf(monitorInput as Record<string, unknown>, new Set(probes.map((probe) => probe.vantage)))
  const probeParsed = parseConfig(probeConfig)
  if (!probeParsed.ok) errors.push(...probeParsed.errors.map((error) => ({ path: `probe config: ${error.path}`, message: error.message })))
  const timeoutSeconds = probeParsed.ok ? probeTimeoutSeconds(probeParsed.config) : 0
  if (timeoutSeconds > LAMBDA_MAX_TIMEOUT_SECONDS) {
    errors.push({ path: 'monitorConfig', message: `its probe plan needs ${timeoutSeconds} s, over Lambda's ${LAMBDA_MAX_TIMEOUT_SECONDS} s: fewer targets or a shorter probe.timeoutMs` })
  }
  if (errors.length > 0) return { ok: false, errors }
  return {
    ok: true,
    fleet: {
      name: config.name,
      account: config.account,
      monitorUrl: config.monitorUrl,
      scheduleMinutes: config.scheduleMinutes,
      memoryMb: config.memoryMb,
      timeoutSeconds,
      logRetentionDays: config.logRetentionDays,
      probeConfig,
      probes,
      archive,
    },
  }
}

/**
 * A probe's worst case, in seconds: its plan (every probe bounded by probe.timeoutMs, 16 at a time, plus the
 * runner's margin), then one push timeout per batch of observations, after a cold start.
 */
export function probeTimeoutSeconds(config: Config): number {
  const tasks = probeTasks(config).length
  const batches = Math.max(1, Math.ceil(tasks / INGEST_BATCH_OBSERVATIONS))
  return Math.ceil(cycleDeadlineMs(config, tasks) / MS_PER_SECOND) + batches * PUSH_TIMEOUT_SECONDS + INIT_MARGIN_SECONDS
}

function resolveProbe(probe: { region: string; vantage: string }, monitor: Config, index: number, errors: ConfigError[]): FleetProbe | null {
  const path = formatConfigPath(['probes', index, 'vantage'])
  const vantage = monitor.vantages.find((candidate) => candidate.id === probe.vantage)
  if (vantage === undefined) {
    errors.push({ path, message: `no vantage "${probe.vantage}" in the monitor config` })
    return null
  }
  if (vantage.runner.kind !== 'remote') {
    errors.push({ path, message: `vantage "${probe.vantage}" runs as "${vantage.runner.kind}"; a Lambda probe is a vantage of runner kind "remote"` })
    return null
  }
  const keyEnv = vantage.runner.keyEnv
  if (RESERVED_ENV_NAMES.includes(keyEnv) || RESERVED_ENV_PREFIXES.some((prefix) => keyEnv.startsWith(prefix))) {
    errors.push({ path, message: `vantage "${probe.vantage}" reads its key from ${keyEnv}, a name Lambda or the probe reserves; pick another keyEnv` })
    return null
  }
  return { region: probe.region, vantage: probe.vantage, keyEnv }
}

function resolveArchive(retention: z.output<typeof FleetConfigSchema>['timestream'], monitor: Config, errors: ConfigError[]): FleetArchive | null {
  if (retention === undefined) return null
  const archive = monitor.archive
  if (archive?.kind !== 'timestream') {
    errors.push({ path: 'timestream', message: 'the monitor config has no archive of kind "timestream" to create' })
    return null
  }
  if (archive.endpoint !== undefined) {
    errors.push({ path: 'monitorConfig: archive.endpoint', message: 'points the archive elsewhere than AWS; infra/ only creates Timestream in AWS itself' })
    return null
  }
  return {
    region: archive.region,
    database: archive.database,
    table: archive.table,
    memoryRetentionHours: retention.memoryRetentionHours,
    magneticRetentionDays: retention.magneticRetentionDays,
  }
}

/** Only what a probe needs: no alert routes, BGP sources, store or archive settings reach the functions. */
function probeConfigOf(monitorInput: Record<string, unknown>, vantages: ReadonlySet<string>): Record<string, unknown> {
  const allVantages = Array.isArray(monitorInput.vantages) ? (monitorInput.vantages as { id?: unknown }[]) : []
  return {
    targets: monitorInput.targets,
    vantages: allVantages.filter((vantage) => typeof vantage.id === 'string' && vantages.has(vantage.id)),
    ...(monitorInput.probe === undefined ? {} : { probe: monitorInput.probe }),
  }
}

function reportDuplicates(values: readonly string[], what: string, errors: ConfigError[]): void {
  values.forEach((value, index) => {
    if (values.indexOf(value) !== index) errors.push({ path: formatConfigPath(['probes', index, what]), message: `${what} "${value}" has a probe already` })
  })
}

export class FleetConfigError extends Error {
  override name = 'FleetConfigError'
}

/** Reads the fleet config and the monitor config it names; throws FleetConfigError listing every problem. */
export function loadFleet(fleetPath: string): Fleet {
  const fleetInput = readJson(fleetPath)
  const monitorPath = (fleetInput as { monitorConfig?: unknown } | null)?.monitorConfig
  const monitorInput = typeof monitorPath === 'string' && monitorPath !== '' ? readJson(resolve(dirname(fleetPath), monitorPath)) : undefined
  const result = resolveFleet(fleetInput, monitorInput)
  if (!result.ok) throw new FleetConfigError(`${fleetPath} is not a fleet infra/ can deploy:\n${formatConfigErrors(result.errors)}`)
  return result.fleet
}

function readJson(path: string): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new FleetConfigError(`cannot read ${path}: ${(error as Error).message}`, { cause: error })
  }
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new FleetConfigError(`${path} is not JSON: ${(error as Error).message}`, { cause: error })
  }
}
