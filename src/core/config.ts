// The monitor's configuration: one zod schema, its inferred types, and the pure functions that
// parse it, describe it (JSON Schema) and use its site tables. docs/configuration.md and
// schema/config.schema.json are generated from the `.describe()` texts below.
import { z } from 'zod'
import { AlertRoutesSchema, envName } from './alerts/routes.ts'
import { BgpSettingsSchema, bgpSettingsProblems } from './bgp/settings.ts'
import { DetectionSettingsSchema } from './detectors/index.ts'
import { IncidentPolicySettingsSchema } from './incident-policy.ts'
import { UNKNOWN_SITE_ID } from './site-ids.ts'

// Detectors import the reserved id from site-ids.ts: importing it from here would close an import loop.
export { UNKNOWN_SITE_ID }
export const CONFIG_SCHEMA_ID = 'urn:anycast-monitor:config'
export const CONFIG_SCHEMA_TITLE = 'anycast-monitor configuration'

const MAX_DNS_LABEL_CHARS = 63
const MAX_DNS_NAME_CHARS = 253
const MAX_BGP_COMMUNITY_PART = 65_535
// Identities are hostnames in practice, and DNS names compare case-insensitively.
// No 'g' or 'y' flag: those make RegExp.test() stateful through lastIndex.
const SITE_PATTERN_FLAGS = 'i'

const SLUG_REGEX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
const SLUG_MESSAGE = 'must be a slug: lowercase letters, digits and inner hyphens, at most 63 characters'
const DNS_LABEL_REGEX = /^[A-Za-z0-9_-]+$/
// For editors only; dnsNameProblem() gives the precise message.
const DNS_NAME_JSON_PATTERN = '^(?:\\.|(?:[A-Za-z0-9_-]{1,63}\\.)*[A-Za-z0-9_-]{1,63}\\.?)$'
const BGP_COMMUNITY_REGEX = /^\d+:\d+$/
const NETNS_NAME_REGEX = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/** Why `name` is not a usable DNS query name, or null when it is. */
export function dnsNameProblem(name: string): string | null {
  if (name === '.') return null
  const relative = name.endsWith('.') ? name.slice(0, -1) : name
  if (relative.length === 0) return 'must not be empty (use "." for the root)'
  if (relative.length > MAX_DNS_NAME_CHARS) {
    return `is ${relative.length} characters long; a DNS name has at most ${MAX_DNS_NAME_CHARS}`
  }
  for (const label of relative.split('.')) {
    if (label.length === 0) return 'has an empty label (a leading dot or two dots in a row)'
    if (label.length > MAX_DNS_LABEL_CHARS) {
      return `has a label of ${label.length} characters; a label has at most ${MAX_DNS_LABEL_CHARS}`
    }
    if (!DNS_LABEL_REGEX.test(label)) return `label "${label}" may only contain letters, digits, "-" and "_"`
  }
  return null
}

/** Why `pattern` cannot be a site pattern, or null when it compiles. */
export function sitePatternProblem(pattern: string): string | null {
  try {
    new RegExp(pattern, SITE_PATTERN_FLAGS)
    return null
  } catch (error) {
    return `is not a valid regular expression (${(error as Error).message})`
  }
}

function bgpCommunityProblem(community: string): string | null {
  const outOfRange = community.split(':').some((part) => Number(part) > MAX_BGP_COMMUNITY_PART)
  return outOfRange ? `both parts of a BGP community must be 0..${MAX_BGP_COMMUNITY_PART}` : null
}

function refineWith(problem: (value: string) => string | null) {
  return (value: string, ctx: z.RefinementCtx): void => {
    const message = problem(value)
    if (message !== null) ctx.addIssue({ code: 'custom', message })
  }
}

const slug = () => z.string().regex(SLUG_REGEX, SLUG_MESSAGE)
const label = () => z.string().min(1, 'must not be empty')
const latitude = () => z.number().min(-90).max(90)
const longitude = () => z.number().min(-180).max(180)

export const TransportSchema = z.enum(['udp', 'tcp'])
export const QueryTypeSchema = z.enum(['SOA', 'NS', 'A', 'AAAA', 'TXT'])
const IpAddressSchema = z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address literal' })

export const SiteMatchSchema = z
  .strictObject({
    exact: z
      .array(z.string().min(1, 'must not be empty'))
      .min(1)
      .optional()
      .describe('Identity texts that belong to this site, compared whole and case-insensitively.'),
    pattern: z
      .string()
      .min(1, 'must not be empty')
      .superRefine(refineWith(sitePatternProblem))
      .optional()
      .describe(
        'JavaScript regular expression tested case-insensitively against the identity text ' +
          '(unanchored: use ^ and $ to match it whole). Tried only when no site claims the identity exactly.',
      ),
  })
  .meta({ minProperties: 1 })
  .refine((match) => match.exact !== undefined || match.pattern !== undefined, {
    message: 'needs "exact", "pattern" or both',
  })
  .describe('How an identity (NSID, hostname.bind or id.server text) is recognised as this site.')

export const SiteSchema = z
  .strictObject({
    id: slug()
      .refine((id) => id !== UNKNOWN_SITE_ID, `"${UNKNOWN_SITE_ID}" is reserved for identities no site matches`)
      .describe('Site id (a slug; "unknown" is reserved), unique within the target; used in observations and alerts.'),
    label: label().describe('Human-readable site name, e.g. "Frankfurt (BIND)".'),
    latitude: latitude().describe('Site latitude in decimal degrees (WGS 84).'),
    longitude: longitude().describe('Site longitude in decimal degrees (WGS 84).'),
    match: SiteMatchSchema,
    community: z
      .string()
      .regex(BGP_COMMUNITY_REGEX, { error: 'must be a BGP community "ASN:value", e.g. "65000:1"', abort: true })
      .superRefine(refineWith(bgpCommunityProblem))
      .optional()
      .describe('BGP community ("ASN:value") that tags this site\'s announcement, to map BGP routes to sites.'),
  })
  .describe('One anycast site (instance) of a target, and how to recognise it from its identity.')

const TargetFieldsSchema = z.strictObject({
  id: slug().describe('Target id (a slug: a-z, 0-9, inner "-"), unique in the config; used in observations and alerts.'),
  label: label().describe('Human-readable name of the service, e.g. "K-root".'),
  addresses: z
    .array(IpAddressSchema)
    .min(1)
    .describe('Anycast service addresses (VIPs) to query: IPv4 and IPv6 literals, at least one.'),
  port: z.number().int().min(1).max(65_535).default(53).describe('DNS port on every address.'),
  qname: z
    .string()
    .superRefine(refineWith(dnsNameProblem))
    .meta({ pattern: DNS_NAME_JSON_PATTERN })
    .describe(
      'Name asked in the class IN query that carries the NSID request: normally the apex of a zone ' +
        'the service is authoritative for, e.g. "example." ("." for a root server).',
    ),
  qtype: QueryTypeSchema.default('SOA').describe('Record type asked for qname.'),
  transports: z
    .array(TransportSchema)
    .min(1)
    .default(['udp', 'tcp'])
    .describe('Transports to probe over, each at most once.'),
  sites: z.array(SiteSchema).min(1).describe('The site table: which identities belong to which site.'),
})

export const TargetSchema = TargetFieldsSchema.superRefine((target, ctx) => {
  reportDuplicates(target.addresses.map(canonicalAddress), ['addresses'], 'address', ctx)
  reportDuplicates(target.transports, ['transports'], 'transport', ctx)
  reportDuplicates(target.sites.map((site) => site.id), ['sites'], 'site id', ctx, 'id')
  reportSharedExactIdentities(target.sites, ctx)
}).describe('One anycast DNS service to monitor.')

/** The regions a Durable Object can be placed near (`locationHint`). */
export const CLOUDFLARE_LOCATION_HINTS = ['wnam', 'enam', 'sam', 'weur', 'eeur', 'apac', 'oc', 'afr', 'me'] as const
export type CloudflareLocationHint = (typeof CLOUDFLARE_LOCATION_HINTS)[number]

const VantageRunnerSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('local').describe('Probe from the monitor process itself.') }),
    z.strictObject({
      kind: z.literal('netns').describe('Probe from inside a Linux network namespace (the lab).'),
      namespace: z
        .string()
        .regex(NETNS_NAME_REGEX, 'must be a network namespace name: letters, digits, "_", "." and "-"')
        .describe('Network namespace name, as listed by `ip netns list`.'),
    }),
    z.strictObject({
      kind: z
        .literal('remote')
        .describe(
          'A remote agent (`anycast-monitor agent`, the AWS Lambda probe) pushes its observations to the ingest API ' +
            '(POST /api/v1/ingest); each cycle takes what it pushed since the previous one.',
        ),
      keyEnv: envName().describe(
        'Name of the environment variable holding this vantage\'s HMAC-SHA256 ingest key (at least 32 characters), ' +
          'set on the monitor and on the agent alike.',
      ),
    }),
    z.strictObject({
      kind: z
        .literal('cloudflare-region')
        .describe(
          'A Cloudflare Durable Object placed near a region (the Worker deployment only): DNS over TCP, since Workers have no ' +
            'outbound UDP, and never to Cloudflare-announced addresses, which Workers cannot reach.',
        ),
      locationHint: z
        .enum(CLOUDFLARE_LOCATION_HINTS)
        .describe('Where the Durable Object is created (and stays): wnam, enam, sam, weur, eeur, apac, oc, afr or me.'),
    }),
  ])
  .describe('Where and how this vantage point runs its probes.')

export const VantageSchema = z
  .strictObject({
    id: slug().describe('Vantage id (a slug), unique in the config; used in observations and alerts.'),
    label: label().describe('Human-readable name, e.g. "Paris (lab)".'),
    region: label().describe('Free-text region, e.g. "eu-west-1" or "weur"; for grouping and display.'),
    latitude: latitude().optional().describe('Vantage latitude in decimal degrees (WGS 84); give both or neither.'),
    longitude: longitude().optional().describe('Vantage longitude in decimal degrees (WGS 84); give both or neither.'),
    runner: VantageRunnerSchema,
  })
  .meta({ dependentRequired: { latitude: ['longitude'], longitude: ['latitude'] } })
  .superRefine((vantage, ctx) => {
    if (vantage.latitude !== undefined && vantage.longitude === undefined) {
      ctx.addIssue({ code: 'custom', path: ['longitude'], message: 'is required when latitude is given' })
    }
    if (vantage.longitude !== undefined && vantage.latitude === undefined) {
      ctx.addIssue({ code: 'custom', path: ['latitude'], message: 'is required when longitude is given' })
    }
  })
  .describe('A vantage point: a place the targets are probed from.')

export const ProbeSettingsSchema = z
  .strictObject({
    intervalSeconds: z
      .number()
      .int()
      .min(5)
      .max(86_400)
      .default(60)
      .describe('Seconds between two probe cycles of each vantage.'),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(30_000)
      .default(2000)
      .describe('Milliseconds to wait for an answer to one query.'),
    udpPayloadBytes: z
      .number()
      .int()
      .min(512)
      .max(4096)
      .default(1232)
      .describe('EDNS UDP payload size advertised in queries, in bytes (1232 avoids IP fragmentation).'),
    identityFallback: z
      .boolean()
      .default(true)
      .describe('When an answer carries no NSID, ask CHAOS TXT hostname.bind, then id.server.'),
  })
  .describe('How every vantage probes.')

export const AlertSettingsSchema = z
  .strictObject({
    statusPageUrl: z
      .url({ protocol: /^https?$/ })
      .default('http://127.0.0.1:8053')
      .describe('Public base URL of the status page, linked from every alert.'),
    routes: AlertRoutesSchema,
  })
  .describe('Alert routes (Slack, PagerDuty, webhooks) and the link they carry.')

export const StoreSettingsSchema = z
  .strictObject({
    path: z.string().min(1).default('anycast-monitor.sqlite').describe('SQLite file of the embedded store, relative to the working directory.'),
    observationsDays: z.number().int().min(1).max(3650).default(30).describe('Days raw observations are kept.'),
    hourlyRollupsDays: z.number().int().min(1).max(3650).default(90).describe('Days hourly rollups are kept.'),
    dailyRollupsDays: z.number().int().min(1).max(36500).default(400).describe('Days daily rollups are kept.'),
  })
  .describe('The embedded store and its retention.')

// Timestream's own naming rules for databases and tables.
const TIMESTREAM_NAME_REGEX = /^[a-zA-Z0-9_.-]{3,256}$/
const TIMESTREAM_NAME_MESSAGE = 'must be 3 to 256 characters: letters, digits, "_", "." and "-"'
const AWS_REGION_REGEX = /^[a-z]{2}(?:-[a-z]+)+-\d+$/

export const ArchiveSettingsSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z
        .literal('timestream')
        .describe(
          'Amazon Timestream for LiveAnalytics, closed to new AWS customers since 2025-06-20: for accounts that already have it. ' +
            'Credentials come from the AWS SDK\'s usual sources (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, an instance or task role).',
        ),
      region: z.string().regex(AWS_REGION_REGEX, 'must be an AWS region, e.g. "eu-west-1"').describe('AWS region of the database, e.g. "eu-west-1".'),
      database: z.string().regex(TIMESTREAM_NAME_REGEX, TIMESTREAM_NAME_MESSAGE).describe('Timestream database name.'),
      table: z
        .string()
        .regex(TIMESTREAM_NAME_REGEX, TIMESTREAM_NAME_MESSAGE)
        .describe('Timestream table name; its memory store retention bounds how late a cycle may still be archived.'),
      endpoint: z
        .url({ protocol: /^https?$/ })
        .optional()
        .describe(
          'One URL for writes and queries (a proxy, a local double). Leave it out for AWS itself: the SDK then finds the ' +
            'endpoints with DescribeEndpoints.',
        ),
    }),
  ])
  .describe(
    'Long-term archive of every observation beside the store (optional): each cycle writes its observations there, and ' +
      'the API serves RTT series, daily uptime and the latest state from it under /api/v1/targets/:id/archive/. The store ' +
      '(SQLite, or D1 on the Worker) stays the monitor\'s own memory either way.',
  )

export const ApiSettingsSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1').describe('Address the JSON API and status page listen on.'),
    port: z.number().int().min(0).max(65_535).default(8053).describe('TCP port of the JSON API and status page (0: any free port).'),
  })
  .describe('Where `serve` listens.')

export const ConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path or URL of the JSON Schema, for editors; ignored by the monitor.'),
    $comment: z.string().optional().describe('Free text for humans; ignored by the monitor.'),
    targets: z.array(TargetSchema).min(1).describe('The anycast services to monitor.'),
    vantages: z.array(VantageSchema).min(1).describe('The vantage points that probe every target.'),
    probe: ProbeSettingsSchema.prefault({}),
    detection: DetectionSettingsSchema.prefault({}),
    incidents: IncidentPolicySettingsSchema.prefault({}),
    alerts: AlertSettingsSchema.prefault({}),
    store: StoreSettingsSchema.prefault({}),
    archive: ArchiveSettingsSchema.optional(),
    api: ApiSettingsSchema.prefault({}),
    bgp: BgpSettingsSchema.optional(),
  })
  .superRefine((config, ctx) => {
    reportDuplicates(config.targets.map((target) => target.id), ['targets'], 'target id', ctx, 'id')
    reportDuplicates(config.vantages.map((vantage) => vantage.id), ['vantages'], 'vantage id', ctx, 'id')
    for (const problem of config.bgp ? bgpSettingsProblems(config.bgp, config.targets) : []) {
      ctx.addIssue({ code: 'custom', path: ['bgp', ...problem.path], message: problem.message })
    }
  })
  .describe('Configuration of anycast-monitor: what to probe, from where, and how.')

export type Config = z.output<typeof ConfigSchema>
export type ConfigInput = z.input<typeof ConfigSchema>
export type Target = z.output<typeof TargetSchema>
export type Site = z.output<typeof SiteSchema>
export type SiteMatch = z.output<typeof SiteMatchSchema>
export type Vantage = z.output<typeof VantageSchema>
export type VantageRunner = z.output<typeof VantageRunnerSchema>
export type ProbeSettings = z.output<typeof ProbeSettingsSchema>
export type ArchiveSettings = z.output<typeof ArchiveSettingsSchema>
export type Transport = z.output<typeof TransportSchema>
export type QueryType = z.output<typeof QueryTypeSchema>

function canonicalAddress(address: string): string {
  return address.toLowerCase()
}

/** Flags every repeat of an earlier value, at the repeat's path (`at[i]` or `at[i].field`). */
function reportDuplicates(
  values: readonly string[],
  at: readonly PropertyKey[],
  what: string,
  ctx: z.RefinementCtx,
  field?: string,
): void {
  const firstIndexByValue = new Map<string, number>()
  values.forEach((value, index) => {
    const firstIndex = firstIndexByValue.get(value)
    if (firstIndex === undefined) {
      firstIndexByValue.set(value, index)
      return
    }
    const path = field === undefined ? [...at, index] : [...at, index, field]
    ctx.addIssue({ code: 'custom', path, message: `duplicate ${what} "${value}" (first at index ${firstIndex})` })
  })
}

function reportSharedExactIdentities(sites: readonly Site[], ctx: z.RefinementCtx): void {
  const siteIdByIdentity = new Map<string, string>()
  sites.forEach((site, siteIndex) => {
    const ownIdentities = new Set<string>()
    ;(site.match.exact ?? []).forEach((identity, exactIndex) => {
      const key = identity.toLowerCase()
      const owner = siteIdByIdentity.get(key)
      if (owner !== undefined && !ownIdentities.has(key)) {
        const path = ['sites', siteIndex, 'match', 'exact', exactIndex]
        ctx.addIssue({ code: 'custom', path, message: `identity "${identity}" is already claimed by site "${owner}"` })
      }
      siteIdByIdentity.set(key, owner ?? site.id)
      ownIdentities.add(key)
    })
  })
}

export interface ConfigError {
  /** Where the bad value is, like 'targets[0].sites[1].match.pattern'; '' for the whole input. */
  path: string
  message: string
}

export type ParseConfigResult = { ok: true; config: Config } | { ok: false; errors: ConfigError[] }

export function parseConfig(input: unknown): ParseConfigResult {
  const result = ConfigSchema.safeParse(input, { error: missingFieldMessage })
  if (result.success) return { ok: true, config: result.data }
  return { ok: false, errors: result.error.issues.flatMap(toConfigErrors) }
}

function missingFieldMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const isMissing = issue.code === 'invalid_type' && issue.input === undefined
  return isMissing ? 'is required' : undefined
}

function toConfigErrors(issue: z.core.$ZodIssue): ConfigError[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: formatConfigPath([...issue.path, key]), message: 'unknown field' }))
  }
  return [{ path: formatConfigPath(issue.path), message: issue.message }]
}

export function formatConfigPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`
    return text === '' ? String(segment) : `${text}.${String(segment)}`
  }, '')
}

/** One line per error: `path: message`. */
export function formatConfigErrors(errors: readonly ConfigError[]): string {
  return errors.map((error) => `${error.path === '' ? '(root)' : error.path}: ${error.message}`).join('\n')
}

export type SiteResolution = { siteId: string } | { siteId: typeof UNKNOWN_SITE_ID }
export type SiteResolver = (identityText: string | null) => SiteResolution

/**
 * Compiles a target's site table once. Exact identities win over patterns; among several
 * candidates the first site in the table wins. A null identity resolves to 'unknown'.
 */
export function compileSiteTable(sites: readonly Site[]): SiteResolver {
  const siteIdByIdentity = new Map<string, string>()
  for (const site of sites) {
    for (const identity of site.match.exact ?? []) {
      const key = identity.toLowerCase()
      if (!siteIdByIdentity.has(key)) siteIdByIdentity.set(key, site.id)
    }
  }
  const patterns = sites.flatMap(({ id, match }) =>
    match.pattern === undefined ? [] : [{ regex: new RegExp(match.pattern, SITE_PATTERN_FLAGS), siteId: id }],
  )
  return (identityText) => {
    if (identityText === null) return { siteId: UNKNOWN_SITE_ID }
    const exactSiteId = siteIdByIdentity.get(identityText.toLowerCase())
    if (exactSiteId !== undefined) return { siteId: exactSiteId }
    const hit = patterns.find((pattern) => pattern.regex.test(identityText))
    return { siteId: hit?.siteId ?? UNKNOWN_SITE_ID }
  }
}

/** One-off resolution; use compileSiteTable() when resolving many observations. */
export function resolveSite(identityText: string | null, sites: readonly Site[]): SiteResolution {
  return compileSiteTable(sites)(identityText)
}

/** JSON Schema (draft 2020-12) of the config as written by users: fields with defaults are optional. */
export function configJsonSchema(): z.core.JSONSchema.JSONSchema {
  const { $schema, ...rest } = z.toJSONSchema(ConfigSchema, { target: 'draft-2020-12', io: 'input' })
  return { $schema, $id: CONFIG_SCHEMA_ID, title: CONFIG_SCHEMA_TITLE, ...rest }
}
