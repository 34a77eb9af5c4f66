// BGP visibility loss: fewer peers see the prefix than used to, overall, at one collector, or through
// one upstream (the AS that hands the route to the origin, i.e. one site's transit).
//
// The share is peers seeing now / the most peers seen in the baseline window (the fresh snapshots
// among the last baselineResults results). A baseline rather than a total, because RIPEstat's
// near-real-time data has no denominator (routing-status only counts at the 8-hourly dumps, and the
// looking glass lists partial-feed peers too) and a private looking glass's sessions do not all carry
// the prefix. A loss lasting longer than the window becomes the new normal: a site removed for good
// stops alerting after a day with the default window.
// Overall, minPeersSeeing is also an absolute floor, so a prefix nobody sees is reported even
// without history. A collector-wide finding is left out when the overall one is made (it says less).
// Recovery: the finding stops as soon as the share is back at or above minShare (and the count at or
// above minPeersSeeing); the incident policy then resolves the incident after its clean cycles.
import { z } from 'zod'
import { peerKey, upstreamOf, type BgpPeerRoute, type BgpSnapshot } from '../model.ts'
import {
  bgpFindingOf,
  collectorScope,
  currentSnapshot,
  percentText,
  prefixScope,
  recentSnapshots,
  upstreamScope,
  type BgpDetector,
  type BgpDetectorInput,
  type BgpFinding,
} from './bgp-detector.ts'

const MAX_LISTED_PEERS = 20

export const VisibilityLossParamsSchema = z
  .strictObject({
    minShare: z
      .number()
      .min(0)
      .max(1)
      .default(0.8)
      .describe('Share of the baseline peer count (0..1) below which visibility counts as lost.'),
    minPeersSeeing: z
      .number()
      .int()
      .min(0)
      .default(1)
      .describe('Fewer peers than this seeing the prefix is a loss whatever the baseline (0 turns the floor off).'),
    baselineResults: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(288)
      .describe('Results (current one included) whose best peer count is the baseline: 288 is a day at a 5-minute poll.'),
    minBaselinePeers: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe('A collector or upstream is judged only when its baseline has at least this many peers (1 → 0 is noise).'),
    perCollector: z.boolean().default(true).describe('Also judge each collector on its own.'),
    perUpstream: z.boolean().default(true).describe("Also judge the peers reaching the prefix through each upstream (a site's transit)."),
  })
  .describe('BGP visibility loss: the share of peers seeing the prefix drops below a threshold, overall, per collector or per upstream.')

export type VisibilityLossParams = z.output<typeof VisibilityLossParamsSchema>

/** Peers seeing the prefix in one snapshot, per view (overall, a collector, an upstream). */
type PeersByView = Map<string, Set<string>>

const OVERALL = 'overall'
const collectorView = (collector: string): string => `collector:${collector}`
const upstreamView = (asn: number): string => `upstream:${asn}`

function peersByView(snapshot: BgpSnapshot): PeersByView {
  const views: PeersByView = new Map([[OVERALL, new Set<string>()]])
  const add = (view: string, route: BgpPeerRoute): void => {
    views.set(view, (views.get(view) ?? new Set()).add(peerKey(route)))
  }
  for (const route of snapshot.routes) {
    add(OVERALL, route)
    add(collectorView(route.collector), route)
    const upstream = upstreamOf(route.asPath)
    if (upstream !== null) add(upstreamView(upstream), route)
  }
  return views
}

interface ViewLoss {
  view: string
  seeing: number
  baseline: number
  share: number
  lost: string[]
}

/** The view's count now against its best count in the baseline window. */
function lossOf(view: string, current: PeersByView, baseline: readonly PeersByView[]): ViewLoss {
  const seeingPeers = current.get(view) ?? new Set<string>()
  const best = baseline.reduce<Set<string>>((most, views) => {
    const peers = views.get(view)
    return peers !== undefined && peers.size > most.size ? peers : most
  }, new Set())
  const baselineCount = Math.max(best.size, seeingPeers.size)
  const lost = [...best].filter((peer) => !seeingPeers.has(peer)).sort()
  return { view, seeing: seeingPeers.size, baseline: baselineCount, share: baselineCount === 0 ? 1 : seeingPeers.size / baselineCount, lost }
}

function detectVisibilityLoss(input: BgpDetectorInput, params: VisibilityLossParams): BgpFinding[] {
  const snapshot = currentSnapshot(input)
  if (snapshot === null) return []
  const current = peersByView(snapshot)
  const baseline = recentSnapshots(input, params.baselineResults).map(peersByView)
  const overall = lossOf(OVERALL, current, baseline)
  const overallLost = overall.seeing < params.minPeersSeeing || overall.share < params.minShare
  const views = [...new Set(baseline.flatMap((views) => [...views.keys()]))]
  const judged = (prefix: string) =>
    views
      .filter((view) => view.startsWith(prefix))
      .sort()
      .map((view) => lossOf(view, current, baseline))
      .filter((loss) => loss.baseline >= params.minBaselinePeers && loss.share < params.minShare)
  return [
    ...(overallLost ? [overallFinding(input, snapshot, overall, params)] : []),
    ...(params.perCollector && !overallLost ? judged('collector:').map((loss) => collectorFinding(input, snapshot, loss, params)) : []),
    ...(params.perUpstream ? judged('upstream:').map((loss) => upstreamFinding(input, snapshot, loss, params)) : []),
  ]
}

function lossDetails(loss: ViewLoss, params: VisibilityLossParams) {
  return {
    peersSeeing: loss.seeing,
    baselinePeers: loss.baseline,
    share: Math.round(loss.share * 1000) / 1000,
    minShare: params.minShare,
    peersLost: loss.lost.slice(0, MAX_LISTED_PEERS),
    peersLostCount: loss.lost.length,
  }
}

function countText(loss: ViewLoss): string {
  return `${loss.seeing} of ${loss.baseline} peers (${percentText(loss.share)})`
}

function overallFinding(input: BgpDetectorInput, snapshot: BgpSnapshot, loss: ViewLoss, params: VisibilityLossParams): BgpFinding {
  const nobody = loss.seeing === 0
  return bgpFindingOf(input, snapshot, {
    kind: 'bgp-visibility-loss',
    scope: prefixScope(input.prefix),
    severity: nobody ? 'critical' : 'error',
    summary: nobody
      ? `${input.prefix} is seen by no peer of ${snapshot.source} (baseline ${loss.baseline})`
      : `${input.prefix} is seen by ${countText(loss)} on ${snapshot.source}, below ${percentText(params.minShare)}`,
    sites: [],
    details: { ...lossDetails(loss, params), peersTotal: snapshot.totals.peersTotal },
  })
}

function collectorFinding(input: BgpDetectorInput, snapshot: BgpSnapshot, loss: ViewLoss, params: VisibilityLossParams): BgpFinding {
  const collector = loss.view.slice('collector:'.length)
  const total = snapshot.totals.byCollector.find((entry) => entry.collector === collector)?.peersTotal ?? null
  return bgpFindingOf(input, snapshot, {
    kind: 'bgp-visibility-loss',
    scope: collectorScope(input.prefix, collector),
    severity: 'warning',
    summary: `${input.prefix} is seen by ${countText(loss)} at collector ${collector} of ${snapshot.source}`,
    sites: [],
    details: { ...lossDetails(loss, params), collector, peersTotal: total },
  })
}

function upstreamFinding(input: BgpDetectorInput, snapshot: BgpSnapshot, loss: ViewLoss, params: VisibilityLossParams): BgpFinding {
  const upstreamAsn = Number(loss.view.slice('upstream:'.length))
  const sites = input.sites.filter((site) => site.upstreamAsn === upstreamAsn).map((site) => site.siteId)
  const siteText = sites.length === 0 ? '' : ` (site ${sites.join(', ')})`
  return bgpFindingOf(input, snapshot, {
    kind: 'bgp-visibility-loss',
    scope: upstreamScope(input.prefix, upstreamAsn),
    severity: 'warning',
    summary: `${input.prefix} is seen through upstream AS${upstreamAsn}${siteText} by ${countText(loss)} on ${snapshot.source}`,
    sites,
    details: { ...lossDetails(loss, params), upstreamAsn },
  })
}

export const visibilityLoss = {
  kind: 'bgp-visibility-loss',
  params: VisibilityLossParamsSchema,
  historyResults: (params: VisibilityLossParams) => params.baselineResults,
  detect: detectVisibilityLoss,
} satisfies BgpDetector<VisibilityLossParams>
