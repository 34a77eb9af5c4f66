// A target's page (/targets/:id): its state, where each vantage lands now, RTT per vantage over 24 hours
// and 7 days, 90 days of daily uptime per vantage and per site, the catchment history, its incidents,
// and the BGP panel (the latest stored BGP check). Everything drawn from rollups and catchment changes,
// never raw rows.
import type { StoredBgpView } from '../bgp/source-view.ts'
import type { Incident } from '../findings.ts'
import { familiesOf, familyLabel, type AddressFamily } from '../paths.ts'
import { renderBgpPanel } from './bgp-panel.ts'
import type { CatchmentChangeRow, CatchmentEntryRow, RollupRow } from './store-rows.ts'
import { movesOf, renderCatchmentStrips, renderSiteKey, segmentsOf, type Move, type Strip } from './catchment-history.ts'
import { clockTick, dateTick, renderRttChart, renderUptimeBars, ticksEvery, uptimeDays } from './charts.ts'
import { html, joinMarkup, type Markup } from './escape.ts'
import { renderIncidentCard, renderIncidentTimeline } from './incidents.ts'
import { coverageOf, coverageText, familyKey, identityLabel, type VantageNow } from './latest.ts'
import { renderPage } from './layout.ts'
import { renderCatchmentMap, renderMapLegend, unplacedVantages } from './map.ts'
import { renderCatchmentMatrix } from './matrix.ts'
import type { PublicTarget, PublicVantage } from './public-view.ts'
import { rttSeriesByVantage, tallyBySite, tallyByVantage, uptimeOf, type Tally } from './series.ts'
import { STATE_LABELS, sinceText, troubledSitesOf, type TargetState } from './state.ts'
import { DAY_MS, HOUR_MS, formatDuration, formatPercent, formatRttMs, formatUtc } from './time.ts'

export const LATENCY_SHORT_WINDOW_MS = DAY_MS
export const LATENCY_LONG_WINDOW_MS = 7 * DAY_MS
export const UPTIME_DAYS = 90
export const CATCHMENT_HISTORY_MS = 7 * DAY_MS
const MOVES_SHOWN = 50
/** The map spans the card on a laptop screen. */
const TARGET_MAP_WIDTH_PX = 1030
/** The strips are ~660 px wide for 7 days: about 15 minutes per pixel; shorter gaps would not show. */
const STRIP_GAP_ABSORB_MS = 15 * 60_000

export interface TargetPageInput {
  siteTitle: string
  nowMs: number
  landPath: string
  target: PublicTarget
  vantages: readonly PublicVantage[]
  state: TargetState
  now: readonly VantageNow[]
  lastCycleAt: number | null
  /** Hourly rollups of the last LATENCY_LONG_WINDOW_MS (the 24-hour charts use their tail). */
  hourly: readonly RollupRow[]
  /** Daily rollups of the last UPTIME_DAYS days. */
  daily: readonly RollupRow[]
  /** Catchment changes of the last CATCHMENT_HISTORY_MS, oldest first. */
  changes: readonly CatchmentChangeRow[]
  /** True when the store returned fewer changes than there were (the oldest are shown). */
  changesTruncated: boolean
  catchment: readonly CatchmentEntryRow[]
  /** The target's incidents, newest first. */
  incidents: readonly Incident[]
  /** The latest stored BGP check of the target; null when there is none. */
  bgpView: StoredBgpView | null
}

export function renderTargetPage(input: TargetPageInput): string {
  const { target } = input
  const families = familiesOf(target.addresses)
  const sinceByPath = new Map(input.catchment.map((entry) => [familyKey(entry.vantage, entry.family), entry.since]))
  const body = html`<p class="breadcrumb"><a href="/">All services</a> / ${target.label}</p>
<div class="title-row"><h1>${target.label}</h1><span class="state state-${input.state.kind}">${STATE_LABELS[input.state.kind]}</span></div>
<p class="lede">${sinceText(input.state, input.nowMs)} · ${target.addresses.join(', ')} port ${target.port} · ${target.sites.length} sites · <span class="coverage">${input.lastCycleAt === null ? `${input.vantages.length} vantages` : coverageText(coverageOf(input.now))}</span></p>
${input.state.causes.length === 0 ? '' : joinMarkup(input.state.causes.map((incident) => renderIncidentCard(incident, target.label, input.nowMs)))}
<section aria-labelledby="now"><h2 id="now">Now</h2>
<div class="card"><div class="card-head"><h3>Where each vantage lands</h3><span class="muted small">${input.lastCycleAt === null ? 'no cycle yet' : html`latest cycle ${formatUtc(input.lastCycleAt)}`}</span></div>
<div class="stack">${renderCatchmentMap({ id: 'map', targetLabel: target.label, sites: target.sites, vantages: input.vantages, families, now: input.now, widthPx: TARGET_MAP_WIDTH_PX, troubledSites: troubledSitesOf(input.incidents) })}
${renderMapLegend(families)}${unplacedNote(input.vantages)}
${renderCatchmentMatrix({ targetLabel: target.label, sites: target.sites, vantages: input.vantages, families, now: input.now, sinceByPath, nowMs: input.nowMs, compact: false })}</div>
${latestAnswers(input)}
</div></section>
${latencySection(input)}
${uptimeSection(input)}
${catchmentHistorySection(input)}
<section aria-labelledby="incidents"><h2 id="incidents">Incidents</h2>
${input.incidents.length === 0 ? html`<p class="empty-note">No incidents on record.</p>` : joinMarkup(input.incidents.map((incident) => renderIncidentCard(incident, target.label, input.nowMs, html`<details><summary>Timeline (${incident.updates.length} updates)</summary>${renderIncidentTimeline(incident)}</details>`)))}
</section>
${renderBgpPanel({ configured: target.bgpConfigured, view: input.bgpView, nowMs: input.nowMs, catchment: input.catchment })}`
  return renderPage({ siteTitle: input.siteTitle, title: target.label, body, nowMs: input.nowMs, landPath: input.landPath })
}

function unplacedNote(vantages: readonly PublicVantage[]): Markup | string {
  const unplaced = unplacedVantages(vantages)
  return unplaced.length === 0 ? '' : html`<p class="muted small">Not on the map (no coordinates): ${unplaced.map((vantage) => vantage.label).join(', ')}</p>`
}

function latestAnswers(input: TargetPageInput): Markup {
  const rows = input.now.flatMap((vantage) =>
    vantage.status === 'missing'
      ? [html`<tr><td>${vantage.vantage}</td><td colspan="7" class="muted">no report: ${vantage.missingReason ?? ''}</td></tr>`]
      : vantage.observations.map((observation) => html`<tr><td>${vantage.vantage}</td><td class="mono">${observation.address}</td><td>${observation.transport}</td><td>${observation.outcome}</td><td>${observation.site ?? '–'}</td><td class="mono">${identityLabel(observation) ?? '–'}</td><td class="num">${formatRttMs(observation.rttMs)}</td><td class="mono">${observation.error ?? ''}</td></tr>`),
  )
  return html`<details><summary>Latest answers, query by query (${rows.length})</summary><div class="table-scroll"><table class="data"><caption>Every query of the latest cycle, with the identity (NSID or CHAOS TXT) each answer carried</caption>
<thead><tr><th scope="col">Vantage</th><th scope="col">Address</th><th scope="col">Transport</th><th scope="col">Outcome</th><th scope="col">Site</th><th scope="col">Identity</th><th scope="col" class="num">RTT</th><th scope="col">Error</th></tr></thead>
<tbody>${joinMarkup(rows)}</tbody></table></div></details>`
}

/**
 * One row per vantage, or per (vantage, family) for a target with both families: their paths differ, so
 * their RTTs do. Hourly buckets rolled up before rollups had a family (null) count only for a
 * single-family target, where they can only be that family's.
 */
function latencySection(input: TargetPageInput): Markup {
  const longStart = input.nowMs - LATENCY_LONG_WINDOW_MS
  const shortStart = input.nowMs - LATENCY_SHORT_WINDOW_MS
  const families = familiesOf(input.target.addresses)
  const split = families.length > 1
  const seriesOf = (family: AddressFamily) => rttSeriesByVantage(split ? input.hourly.filter((rollup) => rollup.family === family) : input.hourly)
  const series = new Map(families.map((family) => [family, seriesOf(family)]))
  const rows = input.vantages.flatMap((vantage) => families.map((family) => {
    const points = series.get(family)?.get(vantage.id) ?? []
    const shortPoints = points.filter((point) => point.bucketStart + HOUR_MS > shortStart)
    const common = { bucketMs: HOUR_MS, windowEnd: input.nowMs }
    const id = split ? `${vantage.id}-${family}` : vantage.id
    const over = split ? ` over ${familyLabel(family)}` : ''
    const label = split ? html`<span class="vantage-id">${vantage.id} <span class="family">${familyLabel(family)}</span></span>` : html`<span class="vantage-id">${vantage.id}</span>`
    return html`<div class="row-label">${label}<span class="muted">${vantage.label}</span></div>
<div>${renderRttChart({ ...common, id: `rtt24-${id}`, title: `RTT from ${vantage.label} to ${input.target.label}${over}, last 24 hours`, points: shortPoints, windowStart: shortStart, ticks: ticksEvery(shortStart, input.nowMs, 6 * HOUR_MS), tickLabel: clockTick })}</div>
<div>${renderRttChart({ ...common, id: `rtt7d-${id}`, title: `RTT from ${vantage.label} to ${input.target.label}${over}, last 7 days`, points, windowStart: longStart, ticks: ticksEvery(longStart, input.nowMs, DAY_MS), tickLabel: dateTick })}</div>`
  }))
  return html`<section aria-labelledby="latency"><h2 id="latency">Round trip time per vantage</h2>
<div class="card"><p class="muted small">Hourly median (line) and 95th percentile (band) of the answered queries, in ms, UTC.</p>
<div class="latency"><div></div><div class="head">Last 24 hours</div><div class="head">Last 7 days</div>
${joinMarkup(rows)}</div></div></section>`
}

function uptimeSection(input: TargetPageInput): Markup {
  const days = uptimeDays(input.nowMs, UPTIME_DAYS)
  const byVantage = tallyByVantage(input.daily)
  const bySite = tallyBySite(input.daily)
  const siteIds = new Set(input.target.sites.map((site) => site.id))
  const extraSites = [...bySite.keys()].filter((site) => !siteIds.has(site)).sort()
  const row = (key: string, label: string, sub: string, tallies: ReadonlyMap<number, Tally> | undefined): Markup => {
    const uptime = uptimeOf((tallies ?? new Map<number, Tally>()).values())
    return html`<div class="row-label"><span class="vantage-id">${key}</span><span class="muted">${sub}</span></div>
${renderUptimeBars({ label: `${label}: ${formatPercent(uptime)} of queries answered over ${UPTIME_DAYS} days`, days, tallies: tallies ?? new Map() })}
<div class="pct">${formatPercent(uptime)}</div>`
  }
  return html`<section aria-labelledby="uptime"><h2 id="uptime">Uptime, last ${UPTIME_DAYS} days</h2>
<div class="card"><p class="muted small">Share of queries answered, per UTC day. A site is charged for the queries its vantages sent it that got no answer.</p>
<div class="uptime"><div class="group">Per vantage</div>
${joinMarkup(input.vantages.map((vantage) => row(vantage.id, `Vantage ${vantage.label}`, vantage.label, byVantage.get(vantage.id))))}
<div class="group">Per site</div>
${joinMarkup(input.target.sites.map((site) => row(site.id, `Site ${site.label}`, site.label, bySite.get(site.id))))}
${joinMarkup(extraSites.map((site) => row(site, `Answers from ${site}`, site === 'unknown' ? 'identity matches no site' : 'not in the site table', bySite.get(site))))}
<div class="axis-note"><span>${days[0]?.date ?? ''}</span><span>today</span></div></div></div></section>`
}

function catchmentHistorySection(input: TargetPageInput): Markup {
  const windowStart = input.nowMs - CATCHMENT_HISTORY_MS
  const families = familiesOf(input.target.addresses)
  const split = families.length > 1
  const entries = new Map(input.catchment.map((entry) => [familyKey(entry.vantage, entry.family), entry]))
  const strips: Strip[] = input.vantages.flatMap((vantage) => families.map((family) => ({
    label: split ? `${vantage.id} ${familyLabel(family)}` : vantage.id,
    name: split ? `${vantage.id} over ${familyLabel(family)}` : vantage.id,
    segments: segmentsOf(
      input.changes.filter((change) => change.vantage === vantage.id && change.family === family),
      entries.get(familyKey(vantage.id, family)), windowStart, input.nowMs, STRIP_GAP_ABSORB_MS,
    ),
  })))
  const moves = movesOf(input.changes)
  const shown = moves.slice(-MOVES_SHOWN).reverse()
  return html`<section aria-labelledby="catchment-history"><h2 id="catchment-history">Catchment history, last 7 days</h2>
<div class="card">${split ? html`<p class="muted small">One strip per vantage and address family: IPv4 and IPv6 are routed apart.</p>` : ''}${renderCatchmentStrips({ id: 'strips', targetLabel: input.target.label, sites: input.target.sites, strips, windowStart, windowEnd: input.nowMs, ticks: ticksEvery(windowStart, input.nowMs, DAY_MS), tickLabel: dateTick, moveCount: moves.length })}
${renderSiteKey(input.target.sites)}
${input.changesTruncated ? html`<p class="muted small">Only the oldest ${input.changes.length} changes of the window are shown.</p>` : ''}
${shown.length === 0 ? html`<p class="empty-note">No vantage moved between sites in this window.</p>` : movesTable(shown, moves.length, input.nowMs, split)}
</div></section>`
}

function movesTable(moves: readonly Move[], total: number, nowMs: number, split: boolean): Markup {
  const rows = moves.map((move) => {
    const next = move.next.kind === 'back'
      ? html`back ${formatUtc(move.next.at)}`
      : move.next.kind === 'onward' ? html`on to ${move.next.to} ${formatUtc(move.next.at)}` : html`<span class="muted">still there</span>`
    const away = move.next.kind === 'none' ? nowMs - move.at : move.next.at - move.at
    return html`<tr><td>${move.vantage}</td>${split ? html`<td>${familyLabel(move.family)}</td>` : ''}<td>${formatUtc(move.at)}</td><td>${move.from} → ${move.to}</td><td>${next}</td><td class="num">${formatDuration(away)}</td></tr>`
  })
  return html`<details${total <= 10 ? html` open` : ''}><summary>Moves between sites (${total}${total > moves.length ? `, latest ${moves.length} listed` : ''})</summary><div class="table-scroll"><table class="data"><caption>When each vantage moved to another site, and when it came back</caption>
<thead><tr><th scope="col">Vantage</th>${split ? html`<th scope="col">Family</th>` : ''}<th scope="col">Moved</th><th scope="col">From → to</th><th scope="col">Then</th><th scope="col" class="num">For</th></tr></thead>
<tbody>${joinMarkup(rows)}</tbody></table></div></details>`
}
