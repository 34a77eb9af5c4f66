// The optional top-level `bgp` block of the config: which BGP sources to ask, which prefixes each
// target announces (and from which origin ASes), how sites map to upstream ASes, and the BGP
// detectors' params. config.ts composes it as `bgp: BgpSettingsSchema.optional()`; the checks that
// need the rest of the config (target and site ids) are in bgpSettingsProblems().
import { z } from 'zod'
import type { SiteAttributionRule } from './attribution.ts'
import { attributionRulesOf } from './attribution.ts'
import { BgpDetectionSettingsSchema } from './detectors/index.ts'
import { MAX_ASN } from './model.ts'

const SLUG_REGEX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
// RIPEstat asks for "alphanumeric, '-' and '_' only".
const SOURCEAPP_REGEX = /^[A-Za-z0-9_-]{1,64}$/
/** RIPEstat allows 8 concurrent requests per source IP; serverless egress IPs may be shared, so allow less. */
export const RIPESTAT_MAX_CONCURRENT_REQUESTS = 8

const asn = () => z.number().int().min(0).max(MAX_ASN)
const httpUrl = () => z.url({ protocol: /^https?$/ })
const requestTimeoutMs = () =>
  z.number().int().min(100).max(60_000).default(10_000).describe('Milliseconds one HTTP request may take before it is abandoned (and retried).')

export const RipestatSourceSettingsSchema = z
  .strictObject({
    baseUrl: httpUrl().default('https://stat.ripe.net').describe('Base URL of the RIPEstat Data API (a proxy or a test server in tests).'),
    sourceapp: z
      .string()
      .regex(SOURCEAPP_REGEX, 'must be 1-64 letters, digits, "-" or "_"')
      .describe('Identifier sent as `sourceapp` on every request, as RIPEstat asks of regular users (register it with stat@ripe.net).'),
    requestTimeoutMs: requestTimeoutMs(),
    maxConcurrentRequests: z
      .number()
      .int()
      .min(1)
      .max(RIPESTAT_MAX_CONCURRENT_REQUESTS)
      .default(RIPESTAT_MAX_CONCURRENT_REQUESTS)
      .describe('Requests in flight at most (RIPEstat allows 8 per source IP; use less on a shared egress IP).'),
    maxDataAgeSeconds: z
      .number()
      .int()
      .min(60)
      .max(86_400)
      .default(900)
      .describe("RIS data older than this (looking-glass latest_time) makes the result stale, not a snapshot."),
    updatesWindowMinutes: z.number().int().min(5).max(2_880).default(120).describe('Minutes of bgp-updates history fetched for flap detection.'),
  })
  .describe('RIPEstat Data API (RIS route collectors): looking-glass, routing-status, bgp-updates, rpki-validation.')

export const BirdwatcherSourceSettingsSchema = z
  .strictObject({
    name: z.string().regex(SLUG_REGEX, 'must be a slug').default('birdwatcher').describe('Source and collector name used in views and findings.'),
    baseUrl: httpUrl().describe('Base URL of the birdwatcher API (usually an authenticated HTTPS shim in front of it).'),
    requestTimeoutMs: requestTimeoutMs(),
    maxDataAgeSeconds: z
      .number()
      .int()
      .min(10)
      .max(86_400)
      .default(900)
      .describe("Data older than this (birdwatcher's cached_at) makes the result stale."),
  })
  .describe('A private looking glass: BIRD behind birdwatcher (/routes/prefix, /protocols/bgp).')

export const RisLiveSourceSettingsSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^wss?$/ })
      .optional()
      .describe('WebSocket URL of RIS Live; default wss://ris-live.ripe.net/v1/ws/?client=<sources.ripestat.sourceapp>.'),
    silenceMs: z
      .number()
      .int()
      .min(1_000)
      .max(3_600_000)
      .default(60_000)
      .describe(
        'Milliseconds without any frame (not even the answer to the ping sent every quarter of this) after which the ' +
          'feed counts as silent: its results turn stale or unavailable, never into withdrawals, and it reconnects.',
      ),
  })
  .describe(
    'RIS Live, the real-time stream of the RIS collectors: one subscription per prefix (more-specifics included). It ' +
      'streams changes only, so each prefix starts from the RIPEstat looking glass (sources.ripestat is required). Used ' +
      'by `serve` and `run`, not by the one-shot `bgp` command.',
  )

export const BgpPrefixSettingsSchema = z
  .strictObject({
    prefix: z
      .union([z.cidrv4(), z.cidrv6()], { error: 'must be an IPv4 or IPv6 prefix, e.g. "192.0.2.0/24"' })
      .describe('A prefix the target announces.'),
    originAsns: z.array(asn()).min(1).describe('Origin ASes allowed to announce it; any other origin is reported.'),
  })
  .describe('One announced prefix and its expected origins.')

export const BgpTargetSettingsSchema = z
  .strictObject({
    target: z.string().regex(SLUG_REGEX, 'must be a slug').describe('Id of the target (in `targets`) these prefixes belong to.'),
    prefixes: z.array(BgpPrefixSettingsSchema).min(1).describe("The target's anycast prefixes."),
    upstreamAsnBySite: z
      .record(z.string(), asn())
      .optional()
      .describe("Per site id, the upstream AS that hands the site's route to the origin; used with or instead of the site's community."),
  })
  .describe("One target's prefixes and how its sites show in BGP paths.")

export const BgpSettingsSchema = z
  .strictObject({
    sources: z
      .strictObject({
        ripestat: RipestatSourceSettingsSchema.optional(),
        birdwatcher: BirdwatcherSourceSettingsSchema.optional(),
        risLive: RisLiveSourceSettingsSchema.optional(),
      })
      .refine((sources) => sources.ripestat !== undefined || sources.birdwatcher !== undefined, { message: 'needs "ripestat", "birdwatcher" or both' })
      .refine((sources) => sources.risLive === undefined || sources.ripestat !== undefined, {
        message: '"risLive" needs "ripestat": RIS Live streams changes only, the RIPEstat looking glass gives each prefix its starting routes',
        path: ['risLive'],
      })
      .describe('The BGP data sources to ask.'),
    targets: z.array(BgpTargetSettingsSchema).min(1).describe('Which prefixes each target announces.'),
    detection: BgpDetectionSettingsSchema.prefault({}),
  })
  .describe('BGP cross-checks: sources, prefixes per target, and the BGP detectors.')

export type BgpSettings = z.output<typeof BgpSettingsSchema>
export type BgpTargetSettings = z.output<typeof BgpTargetSettingsSchema>
export type RipestatSourceSettings = z.output<typeof RipestatSourceSettingsSchema>
export type BirdwatcherSourceSettings = z.output<typeof BirdwatcherSourceSettingsSchema>
export type RisLiveSourceSettings = z.output<typeof RisLiveSourceSettingsSchema>

/** The parts of a target the BGP settings refer to (structurally a config Target). */
export interface BgpTargetRef {
  id: string
  sites: readonly { id: string; community?: string; upstreamAsn?: number }[]
}

export interface BgpSettingsProblem {
  /** Path inside the `bgp` block. */
  path: (string | number)[]
  message: string
}

/** What the schema alone cannot see: unknown target and site ids, a prefix listed twice. */
export function bgpSettingsProblems(bgp: BgpSettings, targets: readonly BgpTargetRef[]): BgpSettingsProblem[] {
  const seenPrefixes = new Map<string, string>()
  return bgp.targets.flatMap((entry, index) => {
    const target = targets.find((candidate) => candidate.id === entry.target)
    if (target === undefined) return [{ path: ['targets', index, 'target'], message: `no target "${entry.target}" in targets` }]
    const siteProblems = Object.keys(entry.upstreamAsnBySite ?? {})
      .filter((siteId) => !target.sites.some((site) => site.id === siteId))
      .map((siteId) => ({ path: ['targets', index, 'upstreamAsnBySite', siteId], message: `target "${target.id}" has no site "${siteId}"` }))
    const prefixProblems = entry.prefixes.flatMap((prefix, prefixIndex) => {
      const key = prefix.prefix.toLowerCase()
      const owner = seenPrefixes.get(key)
      seenPrefixes.set(key, owner ?? entry.target)
      if (owner === undefined) return []
      return [{ path: ['targets', index, 'prefixes', prefixIndex, 'prefix'], message: `prefix ${prefix.prefix} is already listed for "${owner}"` }]
    })
    return [...siteProblems, ...prefixProblems]
  })
}

/** The target's attribution rules: each site's community, and its upstream from the site or from upstreamAsnBySite. */
export function attributionRulesFor(target: BgpTargetRef, settings: BgpTargetSettings | undefined): SiteAttributionRule[] {
  const upstreams = settings?.upstreamAsnBySite ?? {}
  return attributionRulesOf(target.sites.map((site) => ({ ...site, upstreamAsn: site.upstreamAsn ?? upstreams[site.id] })))
}
