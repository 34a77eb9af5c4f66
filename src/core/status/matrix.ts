// The catchment matrix: vantages by sites, a mark where a vantage's queries land now, with its RTT.
// An HTML table rather than a picture: it reads well in a screen reader and copies as text.
import { html, joinMarkup, type Markup } from './escape.ts'
import type { VantageNow } from './latest.ts'
import { rttBandOf } from './palette.ts'
import type { PublicSite, PublicVantage } from './public-view.ts'
import { formatDuration, formatRttMs } from './time.ts'

const UNKNOWN_SITE = 'unknown'

export interface CatchmentMatrixInput {
  targetLabel: string
  sites: readonly PublicSite[]
  vantages: readonly PublicVantage[]
  now: readonly VantageNow[]
  /** Since when each vantage has had its current site (epoch ms), by vantage id, when known. */
  sinceByVantage: ReadonlyMap<string, number>
  nowMs: number
  /** For the overview: RTT without unit, no region, no "for" column, so that many sites fit beside a map. */
  compact: boolean
}

export function renderCatchmentMatrix(input: CatchmentMatrixInput): Markup {
  const nowByVantage = new Map(input.now.map((state) => [state.vantage, state]))
  const anyUnknown = input.now.some((state) => state.sites.includes(UNKNOWN_SITE))
  const columns = [...input.sites.map((site) => ({ id: site.id, label: site.label })), ...(anyUnknown ? [{ id: UNKNOWN_SITE, label: 'identity matches no site' }] : [])]
  const header = columns.map((column) => html`<th scope="col"><abbr title="${column.label}">${column.id}</abbr></th>`)
  const rows = input.vantages.map((vantage) => {
    const now = nowByVantage.get(vantage.id)
    const since = input.sinceByVantage.get(vantage.id)
    const cells = now?.status === 'answering'
      ? joinMarkup(columns.map((column) => matrixCell(now, column.id, input.compact)))
      : html`<td class="row-note" colspan="${columns.length}">${now?.status === 'failing' ? 'no answer' : 'no report'}</td>`
    const name = input.compact
      ? html`<abbr class="vantage-id" title="${vantage.label} (${vantage.region})">${vantage.id}</abbr>`
      : html`<span class="vantage-id">${vantage.id}</span> <span class="muted">${vantage.label}</span>`
    const sinceCell = input.compact ? '' : html`<td class="since">${since === undefined ? '–' : formatDuration(input.nowMs - since)}</td>`
    return html`<tr><th scope="row">${name}</th>${cells}${sinceCell}</tr>`
  })
  return html`<div class="table-scroll"><table class="matrix${input.compact ? ' compact' : ''}" aria-label="Catchment matrix of ${input.targetLabel}: which site answers each vantage">
<caption>Which site answers each vantage now${input.compact ? ', round trip time in ms' : ', with the round trip time, and for how long'}</caption>
<thead><tr><th scope="col">Vantage</th>${joinMarkup(header)}${input.compact ? '' : html`<th scope="col">For</th>`}</tr></thead>
<tbody>${joinMarkup(rows)}</tbody></table></div>`
}

function matrixCell(now: VantageNow, siteId: string, compact: boolean): Markup {
  if (!now.sites.includes(siteId)) return html`<td class="empty"></td>`
  const band = now.rttMs === null ? null : rttBandOf(now.rttMs)
  // A vantage split over several sites (anycast per address or transport) is marked on each.
  const primary = now.sites[0] === siteId
  const text = compact ? formatRttMs(now.rttMs).replace(' ms', '') : formatRttMs(now.rttMs)
  return html`<td class="hit"><span class="pill ${band?.className ?? 'rtt-none'}${primary ? '' : ' secondary'}">${text}</span></td>`
}
