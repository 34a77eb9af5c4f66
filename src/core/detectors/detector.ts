// What every detector is: a kind, a params schema with defaults, and a pure detect() over the
// target's recent cycles. Plus the helpers they share to build findings.
import type { z } from 'zod'
import { stateIn, type CatchmentCycle } from '../catchment.ts'
import type { Target } from '../config.ts'
import type { Finding, FindingEvidence, FindingKind, FindingPaths, Severity } from '../findings.ts'
import type { TransportName } from '../model.ts'
import { ALL_PATHS_ID, familiesOf, type PathSlice } from '../paths.ts'

export type BgpRouteStatus = 'announced' | 'withdrawn' | 'unknown'

/** Per site id, whether BGP sources still see the site's route. Sites left out were not checked. */
export type BgpSiteStatus = Readonly<Record<string, BgpRouteStatus>>

/** What BGP shows of one site, ready to join a finding: the black hole, the site down and the failover carry it. */
export interface BgpSiteEvidence {
  /** A few stable words for the finding's summary, e.g. 'named by community 64500:3' (counts and paths are in details). */
  text: string
  /** Merged into the finding's details; every key starts with 'bgp'. */
  details: FindingEvidence['details']
}

export interface DetectorInput {
  target: Target
  /** Oldest first; the last one is the cycle being evaluated. Never empty. */
  cycles: readonly CatchmentCycle[]
  bgp?: BgpSiteStatus
  /** Per site id, what the BGP sources showed; sites left out have none. */
  bgpEvidence?: Readonly<Record<string, BgpSiteEvidence>>
  /** The paths the cycles hold (see paths.ts); every path of the target when left out. */
  slice?: PathSlice
}

/**
 * 'each-slice': run once per path slice (every path, each family, each address), so a failure of part
 * of the paths is seen; 'all-paths': run once over every path (the detector looks inside paths itself,
 * or is not about paths).
 */
export type DetectorSlicing = 'each-slice' | 'all-paths'

export interface Detector<Params> {
  kind: FindingKind
  params: z.ZodType<Params>
  slicing: DetectorSlicing
  /** How many cycles (current one included) detect() looks at, so the caller loads enough history. */
  historyCycles(params: Params): number
  detect(input: DetectorInput, params: Params): Finding[]
}

export function currentCycle(input: DetectorInput): CatchmentCycle {
  const cycle = input.cycles.at(-1)
  if (cycle === undefined) throw new Error('detectors need at least the current cycle')
  return cycle
}

/** The last `count` cycles, current one included. */
export function lastCycles(input: DetectorInput, count: number): readonly CatchmentCycle[] {
  return input.cycles.slice(Math.max(0, input.cycles.length - count))
}

export interface FindingFields {
  kind: FindingKind
  scope: string
  severity: Severity
  summary: string
  sites: string[]
  vantages: string[]
  details: FindingEvidence['details']
  /** The paths, when narrower than the input's slice (transport divergence); the slice's otherwise. */
  paths?: FindingPaths
}

/** A finding made in the current cycle, with the involved vantages' observations as evidence. */
export function findingOf(input: DetectorInput, fields: FindingFields): Finding {
  const cycle = currentCycle(input)
  return {
    kind: fields.kind,
    target: input.target.id,
    scope: fields.scope,
    severity: fields.severity,
    summary: fields.summary,
    at: cycle.startedAt,
    paths: fields.paths ?? slicePaths(input),
    evidence: { sites: fields.sites, vantages: fields.vantages, latest: latestOf(cycle, fields.vantages), details: fields.details },
  }
}

/** The paths of the input's slice, over the target's transports. */
export function slicePaths(input: Pick<DetectorInput, 'target' | 'slice'>): FindingPaths {
  const addresses = input.slice?.addresses ?? input.target.addresses
  const transports: TransportName[] = [...input.target.transports]
  return { slice: input.slice?.id ?? ALL_PATHS_ID, text: input.slice?.text ?? '', families: familiesOf(addresses), addresses: [...addresses], transports }
}

/** ' over IPv6' (with its leading space) in a slice, '' over every path: for summaries. */
export function sliceText(input: Pick<DetectorInput, 'slice'>): string {
  const text = input.slice?.text ?? ''
  return text === '' ? '' : ` ${text}`
}

function latestOf(cycle: CatchmentCycle, vantages: readonly string[]): FindingEvidence['latest'] {
  return vantages.flatMap((vantage) =>
    stateIn(cycle, vantage).observations.map(({ observation, site }) => ({
      vantage,
      outcome: observation.outcome,
      site,
      rttMs: observation.rttMs,
      transport: observation.transport,
      address: observation.address,
    })),
  )
}

export const siteScope = (site: string): string => `site:${site}`
export const vantageScope = (vantage: string): string => `vantage:${vantage}`
export const TARGET_SCOPE = 'target'

/** 'par', 'par and ber', 'par, ber and lon' */
export function listText(items: readonly string[]): string {
  if (items.length <= 1) return items.join('')
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`
}

export function msText(ms: number | null): string {
  return ms === null ? '?' : `${Math.round(ms * 10) / 10} ms`
}
