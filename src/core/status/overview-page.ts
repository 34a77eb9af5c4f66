// The overview (/): the overall banner, active incidents first, every target with its state and since
// when, then each target's catchment (map and matrix), then recently resolved incidents.
import { medianMs } from '../catchment.ts'
import type { Incident } from '../findings.ts'
import { familiesOf } from '../paths.ts'
import { html, joinMarkup, type Markup } from './escape.ts'
import { renderIncidentCard } from './incidents.ts'
import { coverageOf, coverageText, type VantageNow } from './latest.ts'
import { renderPage } from './layout.ts'
import { renderCatchmentMap, renderMapLegend, unplacedVantages } from './map.ts'
import { renderCatchmentMatrix } from './matrix.ts'
import type { PublicTarget, PublicVantage } from './public-view.ts'
import { STATE_LABELS, overallState, sinceText, troubledSitesOf, type TargetState } from './state.ts'
import { formatPercent, formatRttMs, formatUtc } from './time.ts'

export interface TargetOverview {
  target: PublicTarget
  state: TargetState
  now: VantageNow[]
  /** Since when each (vantage, family) has had its current site, by familyKey. */
  sinceByPath: ReadonlyMap<string, number>
  lastCycleAt: number | null
  /** The target's open incidents (any severity): sites they are about are marked on the map. */
  openIncidents: readonly Incident[]
  /** Answered / asked over the last 24 hours, from hourly rollups. */
  uptime24h: number | null
}

export interface OverviewInput {
  siteTitle: string
  nowMs: number
  landPath: string
  vantages: readonly PublicVantage[]
  targets: readonly TargetOverview[]
  openIncidents: readonly Incident[]
  recentlyResolved: readonly Incident[]
}

/** The map's column on a laptop screen: 7/12 of the 1,030 px card. */
const OVERVIEW_MAP_WIDTH_PX = 600

const BANNER_TEXT = {
  operational: 'All services operational',
  degraded: 'Some services degraded',
  outage: 'Service outage',
  'no-data': 'No data yet',
} as const

export function renderOverviewPage(input: OverviewInput): string {
  const labels = new Map(input.targets.map(({ target }) => [target.id, target.label]))
  const overall = overallState(input.targets.map(({ state }) => state.kind))
  const body = html`<h1 class="visually-hidden">${input.siteTitle}</h1>
<section class="banner banner-${overall}"><span class="dot dot-${overall}" aria-hidden="true"></span>${BANNER_TEXT[overall]}<span class="muted">Updated ${formatUtc(input.nowMs)}</span></section>
<section aria-labelledby="active-incidents"><h2 id="active-incidents">Active incidents</h2>
${input.openIncidents.length === 0
    ? html`<p class="empty-note">No active incidents.</p>`
    : joinMarkup(input.openIncidents.map((incident) => renderIncidentCard(incident, labels.get(incident.target) ?? incident.target, input.nowMs)))}
</section>
<section aria-labelledby="services"><h2 id="services">Services</h2>
<div class="card table-scroll"><table class="services"><caption class="visually-hidden">Every monitored service with its state</caption>
<thead><tr><th scope="col">Service</th><th scope="col">State</th><th scope="col">For</th><th scope="col" class="num">Vantages reporting</th><th scope="col" class="num">Vantages answering</th><th scope="col" class="num">Median RTT</th><th scope="col" class="num">Uptime 24 h</th></tr></thead>
<tbody>${joinMarkup(input.targets.map((overview) => serviceRow(overview, input.nowMs)))}</tbody></table></div>
</section>
<section aria-labelledby="catchment"><h2 id="catchment">Where each vantage lands</h2>
${joinMarkup(input.targets.map((overview) => catchmentCard(overview, input)))}
</section>
<section aria-labelledby="resolved"><h2 id="resolved">Recently resolved</h2>
${input.recentlyResolved.length === 0
    ? html`<p class="empty-note">No resolved incidents on record.</p>`
    : joinMarkup(input.recentlyResolved.map((incident) => renderIncidentCard(incident, labels.get(incident.target) ?? incident.target, input.nowMs)))}
</section>`
  return renderPage({ siteTitle: input.siteTitle, title: null, body, nowMs: input.nowMs, landPath: input.landPath })
}

function serviceRow(overview: TargetOverview, nowMs: number): Markup {
  const { target, state, now } = overview
  const answering = now.filter((vantage) => vantage.status === 'answering')
  const coverage = coverageOf(now)
  const rtt = medianMs(answering.flatMap((vantage) => (vantage.rttMs === null ? [] : [vantage.rttMs])))
  return html`<tr><th scope="row" class="name"><a href="/targets/${encodeURIComponent(target.id)}">${target.label}</a><div class="muted small">${target.addresses.join(', ')}</div></th>
<td><span class="state state-${state.kind}">${STATE_LABELS[state.kind]}</span></td>
<td>${sinceText(state, nowMs)}</td>
<td class="num">${overview.lastCycleAt === null ? '–' : `${coverage.reporting} of ${coverage.vantages}`}</td>
<td class="num">${answering.length} of ${now.length}</td>
<td class="num">${formatRttMs(rtt)}</td>
<td class="num">${formatPercent(overview.uptime24h)}</td></tr>`
}

function catchmentCard(overview: TargetOverview, input: OverviewInput): Markup {
  const { target } = overview
  const unplaced = unplacedVantages(input.vantages)
  const families = familiesOf(target.addresses)
  return html`<article class="card">
<div class="card-head"><h3><a href="/targets/${encodeURIComponent(target.id)}">${target.label}</a></h3><span class="muted small">${overview.lastCycleAt === null ? 'no cycle yet' : html`<span class="coverage">${coverageText(coverageOf(overview.now))}</span> · latest cycle ${formatUtc(overview.lastCycleAt)}`}</span></div>
<div class="split"><div>${renderCatchmentMap({ id: `map-${target.id}`, targetLabel: target.label, sites: target.sites, vantages: input.vantages, families, now: overview.now, widthPx: OVERVIEW_MAP_WIDTH_PX, troubledSites: troubledSitesOf(overview.openIncidents) })}
${renderMapLegend(families)}
${unplaced.length === 0 ? '' : html`<p class="muted small">Not on the map (no coordinates): ${unplaced.map((vantage) => vantage.label).join(', ')}</p>`}</div>
<div>${renderCatchmentMatrix({ targetLabel: target.label, sites: target.sites, vantages: input.vantages, families, now: overview.now, sinceByPath: overview.sinceByPath, nowMs: input.nowMs, compact: true })}</div></div>
</article>`
}
