// The BGP panel of a target page: the latest BGP check the monitor stored, per prefix and per source.
// Whether the source was fresh, stale or unavailable (and why), how old its data is, how many peers
// see the prefix, which origins announce it (unexpected ones marked) and what RPKI says of them, which
// sites are announced or withdrawn, the BGP catchment (peers per site) beside the probe catchment
// (vantages per site), and the peers' routes. Reasons, peer addresses, paths, communities and source
// names come from the network or a looking glass: they go through the escaping `html` tag.
import { addressFamilyOf, type AddressFamily } from '../paths.ts'
import type { BgpPeerView, StoredBgpPrefixView, StoredBgpSourceView, StoredBgpView } from '../bgp/source-view.ts'
import { html, joinMarkup, type Markup } from './escape.ts'
import type { CatchmentEntryRow } from './store-rows.ts'
import { formatDuration, formatUtc } from './time.ts'

/** More peers than this and the table starts closed. */
const PEERS_SHOWN_OPEN = 10
const NO_ANSWER = 'no answer'

export interface BgpPanelInput {
  /** The config's `bgp` block lists the target. */
  configured: boolean
  /** The latest stored check; null when no cycle has checked the target yet. */
  view: StoredBgpView | null
  nowMs: number
  /** Where the vantages land now: the probe catchment, shown beside the BGP catchment. */
  catchment: readonly CatchmentEntryRow[]
}

const STATE_WORDS: Record<StoredBgpSourceView['result'], string> = { snapshot: 'fresh', stale: 'stale', unavailable: 'unavailable' }

export function renderBgpPanel(input: BgpPanelInput): Markup {
  return html`<section aria-labelledby="bgp" id="bgp-panel"><h2 id="bgp">BGP</h2>
${panelBody(input)}
</section>`
}

function panelBody(input: BgpPanelInput): Markup {
  if (!input.configured) return html`<div class="placeholder">BGP data: not configured</div>`
  if (input.view === null) return html`<div class="placeholder">BGP data: no BGP check yet</div>`
  const { view } = input
  return html`<p class="muted small">What the route collectors and looking glasses see of the prefixes, checked ${checkedText(view.checkedAt, input.nowMs)}.</p>
${joinMarkup(view.prefixes.map((prefix) => prefixCard(prefix, view.checkedAt, input.nowMs, probeCatchmentText(input.catchment, addressFamilyOf(prefix.prefix)))))}`
}

function prefixCard(prefix: StoredBgpPrefixView, checkedAt: number, nowMs: number, probes: string): Markup {
  const origins = prefix.expectedOriginAsns.map((asn) => `AS${asn}`).join(', ')
  const sources = prefix.sources.length === 0
    ? html`<p class="empty-note">No BGP source answered for this prefix.</p>`
    : joinMarkup(prefix.sources.map((source) => sourceBlock(source, prefix.prefix, checkedAt, nowMs, probes)))
  return html`<div class="card"><div class="card-head"><h3>${prefix.prefix}</h3><span class="muted small">expected origin ${origins}</span></div>
${sources}
</div>`
}

function sourceBlock(source: StoredBgpSourceView, prefix: string, checkedAt: number, nowMs: number, probes: string): Markup {
  const dataText = source.dataAt === null ? 'no data' : `data of ${utcOfIso(source.dataAt)}`
  return html`<div class="bgp-source">
<h4>${source.source} <span class="tag bgp-${source.result}">${STATE_WORDS[source.result]}</span>${source.reason === null ? '' : html`<span class="bgp-reason">: ${source.reason}</span>`}</h4>
<p class="muted small">${dataText}, checked ${checkedText(checkedAt, nowMs)}</p>
${source.result === 'unavailable' ? '' : html`${facts(source, probes)}
${peersTable(source, prefix)}`}
</div>`
}

function facts(source: StoredBgpSourceView, probes: string): Markup {
  const fact = (term: string, value: Markup | string, wide = false): Markup => html`<div${wide ? html` class="fact-wide"` : ''}><dt>${term}</dt><dd>${value}</dd></div>`
  const gaps = source.gaps.map((gap) => `${gap.part}: ${gap.reason}`).join('; ')
  return html`<dl class="facts">${[
    fact('Peers seeing it', peersSeeingText(source)),
    fact('Origins', originsMarkup(source)),
    fact('RPKI', rpkiText(source)),
    fact('Sites', sitesText(source)),
    fact('Catchment', catchmentMarkup(source, probes), true),
    source.updates === null ? [] : fact('Updates', updatesText(source.updates)),
    gaps === '' ? [] : fact('Not provided', gaps),
  ]}</dl>`
}

/** '4 of 10 · rrc00 2 of 5, rrc01 2' */
function peersSeeingText(source: StoredBgpSourceView): string {
  if (source.totals === null) return '–'
  const { peersSeeing, peersTotal, byCollector } = source.totals
  const collectors = byCollector.map((entry) => `${entry.collector} ${entry.peersSeeing}${entry.peersTotal === null ? '' : ` of ${entry.peersTotal}`}`)
  return `${peersSeeing}${peersTotal === null ? '' : ` of ${peersTotal}`}${collectors.length === 0 ? '' : ` · ${collectors.join(', ')}`}`
}

function originsMarkup(source: StoredBgpSourceView): Markup | string {
  if (source.origins.length === 0) return 'none'
  return joinMarkup(
    source.origins.map((origin) => {
      const text = `${origin.originAsn === null ? 'AS_SET / unknown' : `AS${origin.originAsn}`} (${countText(origin.peers, 'peer')})`
      return origin.expected ? html`<span>${text}</span>` : html`<strong class="unexpected">${text}, unexpected</strong>`
    }),
    ', ',
  )
}

function rpkiText(source: StoredBgpSourceView): string {
  if (source.rpki === null) return 'not checked by this source'
  if (source.rpki.length === 0) return 'no origin to check'
  return source.rpki
    .map((check) => `AS${check.originAsn} ${check.status}${check.detail === check.status ? '' : ` (${check.detail})`}${check.validator === null ? '' : ` by ${check.validator}`}`)
    .join(', ')
}

function sitesText(source: StoredBgpSourceView): string {
  const entries = Object.entries(source.sites)
  return entries.length === 0 ? 'no site has a community or upstream AS' : entries.map(([site, status]) => `${site} ${status}`).join(', ')
}

function catchmentMarkup(source: StoredBgpSourceView, probes: string): Markup {
  const bgp = Object.entries(source.catchment)
    .sort(([a, peersA], [b, peersB]) => peersB - peersA || compareText(a, b))
    .map(([site, peers]) => `${site} ${countText(peers, 'peer')}`)
  return html`<span class="bgp-line">BGP: ${bgp.join(', ') || 'no peer'}</span><span class="bgp-line muted">Probes: ${probes}</span>`
}

/** 'fra 2 vantages, ams 1 vantage, no answer 1 vantage': the probes' catchment over the prefix's address family. */
function probeCatchmentText(catchment: readonly CatchmentEntryRow[], family: AddressFamily): string {
  const vantagesBySite = new Map<string, number>()
  for (const entry of catchment.filter((candidate) => candidate.family === family)) vantagesBySite.set(entry.site ?? NO_ANSWER, (vantagesBySite.get(entry.site ?? NO_ANSWER) ?? 0) + 1)
  const parts = [...vantagesBySite.entries()]
    .sort(([a, countA], [b, countB]) => countB - countA || compareText(a, b))
    .map(([site, count]) => `${site} ${countText(count, 'vantage')}`)
  return parts.join(', ') || 'no cycle yet'
}

function updatesText(updates: NonNullable<StoredBgpSourceView['updates']>): string {
  return `${countText(updates.announcements, 'announcement')}, ${countText(updates.withdrawals, 'withdrawal')} between ${utcOfIso(updates.from)} and ${utcOfIso(updates.until)}`
}

function peersTable(source: StoredBgpSourceView, prefix: string): Markup {
  if (source.peers.length === 0 && source.peersLeftOut === 0) return html`<p class="empty-note">No peer of this source sees the prefix.</p>`
  const total = source.peers.length + source.peersLeftOut
  const rows = source.peers.map(peerRow)
  const more = source.peersLeftOut === 0 ? '' : html`<tfoot><tr><td colspan="7" class="muted">and ${source.peersLeftOut} more</td></tr></tfoot>`
  return html`<details${total <= PEERS_SHOWN_OPEN ? html` open` : ''}><summary>Peers (${total}${source.peersLeftOut === 0 ? '' : `, ${source.peers.length} listed`})</summary><div class="table-scroll"><table class="data"><caption>Peers of ${source.source} routing to ${prefix}: the path each one takes and the site it leads to</caption>
<thead><tr><th scope="col">Collector</th><th scope="col">Peer IP</th><th scope="col">Peer AS</th><th scope="col">AS path</th><th scope="col">Communities</th><th scope="col">Site</th><th scope="col">Matched by</th></tr></thead>
<tbody>${joinMarkup(rows)}</tbody>${more}</table></div></details>`
}

function peerRow(peer: BgpPeerView): Markup {
  const communities = [...peer.communities, ...peer.largeCommunities].join(' ')
  return html`<tr><td>${peer.collector}</td><td class="mono">${peer.peerIp}</td><td>${peer.peerAsn === null ? '–' : `AS${peer.peerAsn}`}</td><td class="mono">${peer.asPath || '–'}</td><td class="mono">${communities || '–'}</td><td>${peer.site ?? '–'}</td><td>${matchedByText(peer)}</td></tr>`
}

function matchedByText(peer: BgpPeerView): string {
  if (peer.siteMatchedBy === 'community') return 'community'
  if (peer.siteMatchedBy === 'upstream') return peer.upstreamAsn === null ? 'upstream' : `upstream AS${peer.upstreamAsn}`
  return '–'
}

/** '2026-11-22 11:58 UTC (2 min ago)' */
function checkedText(checkedAt: number, nowMs: number): string {
  return `${formatUtc(checkedAt)} (${formatDuration(nowMs - checkedAt)} ago)`
}

/** A stored ISO time as the page shows times; the text itself if it does not parse. */
function utcOfIso(iso: string): string {
  const ms = Date.parse(iso)
  return Number.isFinite(ms) ? formatUtc(ms) : iso
}

function countText(count: number, noun: string): string {
  return `${count} ${count === 1 ? noun : `${noun}s`}`
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
