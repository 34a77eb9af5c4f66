// The joined BGP view behind `anycast-monitor bgp`: for each prefix and each source, what the source
// answered, the peers seeing the prefix with their path, origin, communities and the site each one
// routes to (the BGP catchment), each site's announced / withdrawn / unknown status, and what the BGP
// detectors make of this one result (no history: the baseline-based checks cannot fire here).
import { runBgpDetectors, type BgpDetection, type BgpDetectionSettings } from '../core/bgp/detectors/index.ts'
import type { BgpSourceResult } from '../core/bgp/model.ts'
import { summariseSourceResult, type BgpSourceSummary, type BgpViewEntry } from '../core/bgp/source-view.ts'
import type { BgpSource } from '../ports/bgp-source.ts'

export type { BgpPeerView } from '../core/bgp/source-view.ts'

export interface BgpViewPrefix extends BgpViewEntry {
  /** The target the prefix is configured for; null for a prefix asked about that no target lists. */
  target: string | null
  expectedOriginAsns: number[]
}

export interface BgpViewDeps {
  sources: readonly BgpSource[]
  nowMs: () => number
  detection: BgpDetectionSettings
}

/** The source's summary with what the BGP detectors make of this one result. */
export interface BgpSourceView extends BgpSourceSummary {
  detection: BgpDetection
}

export interface BgpPrefixView {
  target: string | null
  prefix: string
  expectedOriginAsns: number[]
  sources: BgpSourceView[]
}

export interface BgpView {
  generatedAt: string
  prefixes: BgpPrefixView[]
}

/** Asks every source about every prefix at once (each source bounds its own concurrency). */
export async function buildBgpView(deps: BgpViewDeps, prefixes: readonly BgpViewPrefix[], signal: AbortSignal): Promise<BgpView> {
  const views = await Promise.all(
    prefixes.map(async (entry) => ({
      target: entry.target,
      prefix: entry.prefix,
      expectedOriginAsns: entry.expectedOriginAsns,
      sources: await Promise.all(deps.sources.map((source) => askSource(deps, source, entry, signal))),
    })),
  )
  return { generatedAt: isoTime(deps.nowMs()), prefixes: views }
}

async function askSource(deps: BgpViewDeps, source: BgpSource, entry: BgpViewPrefix, signal: AbortSignal): Promise<BgpSourceView> {
  // The port promises not to reject; a bug in an adapter still must not sink the other sources.
  const result = await source.snapshot(entry.prefix, signal).catch(
    (error: unknown): BgpSourceResult => ({ kind: 'unavailable', source: source.name, prefix: entry.prefix, reason: `source failed: ${String(error)}` }),
  )
  return sourceView(result, entry, deps)
}

export function sourceView(result: BgpSourceResult, entry: BgpViewPrefix, deps: Pick<BgpViewDeps, 'nowMs' | 'detection'>): BgpSourceView {
  const detectorInput = {
    target: entry.target ?? '',
    prefix: entry.prefix,
    at: deps.nowMs(),
    results: [result],
    expectedOriginAsns: entry.expectedOriginAsns,
    sites: entry.rules,
  }
  return { ...summariseSourceResult(result, entry), detection: runBgpDetectors(detectorInput, deps.detection) }
}

/** Every result of the view was stale or unavailable. */
export function viewHasNoFreshData(view: BgpView): boolean {
  return view.prefixes.every((prefix) => prefix.sources.every((source) => source.result !== 'snapshot'))
}

/** A few lines per prefix and source, for a terminal. */
export function bgpViewText(view: BgpView): string {
  return view.prefixes
    .flatMap((prefix) => [`${prefix.prefix}${prefix.target === null ? '' : ` (target ${prefix.target})`}`, ...prefix.sources.flatMap(sourceLines)])
    .join('\n')
}

function sourceLines(source: BgpSourceView): string[] {
  const head = `  ${source.source}: ${source.result}${source.reason === null ? '' : ` (${source.reason})`}`
  if (source.totals === null) return [head]
  const total = source.totals.peersTotal === null ? '' : ` of ${source.totals.peersTotal}`
  const origins = source.origins.map((origin) => `AS${origin.originAsn ?? '?'}×${origin.peers}${origin.expected ? '' : ' (unexpected)'}`).join(', ')
  const sites = Object.entries(source.sites).map(([site, status]) => `${site} ${status}`).join(', ')
  const catchment = Object.entries(source.catchment).map(([site, peers]) => `${site} ${peers}`).join(', ')
  const findings = source.detection.findings.map((finding) => `    ! ${finding.kind} ${finding.severity}: ${finding.summary}`)
  return [
    head,
    `    data at ${source.dataAt ?? '?'}; ${source.totals.peersSeeing}${total} peers see it at ${source.collectors.length} collectors`,
    `    origins: ${origins || 'none'}`,
    `    sites: ${sites || 'no site has a community or upstream'}`,
    `    catchment (peers per site): ${catchment || 'none'}`,
    ...findings,
  ]
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString()
}
