// The catchment matrix: vantages by sites, a mark where a vantage's queries land now, with its RTT. A
// target with IPv4 and IPv6 addresses gets one row per family under each vantage, side by side, since the
// families are routed apart; where the transports of a family disagree, each mark names its transport.
// An HTML table rather than a picture: it reads well in a screen reader and copies as text.
import { familyLabel, transportLabel, type AddressFamily } from '../paths.ts'
import { html, joinMarkup, type Markup } from './escape.ts'
import { familyKey, type AnswerSummary, type FamilyNow, type VantageNow } from './latest.ts'
import { rttBandOf } from './palette.ts'
import type { PublicSite, PublicVantage } from './public-view.ts'
import { formatDuration, formatRttMs } from './time.ts'

const UNKNOWN_SITE = 'unknown'

export interface CatchmentMatrixInput {
  targetLabel: string
  sites: readonly PublicSite[]
  vantages: readonly PublicVantage[]
  /** The target's families (familiesOf its addresses): one row each per vantage when there are two. */
  families: readonly AddressFamily[]
  now: readonly VantageNow[]
  /** Since when each (vantage, family) has had its current site (epoch ms), by familyKey, when known. */
  sinceByPath: ReadonlyMap<string, number>
  nowMs: number
  /** For the overview: RTT without unit, no region, no "for" column, so that many sites fit beside a map. */
  compact: boolean
}

interface Column {
  id: string
  label: string
}

export function renderCatchmentMatrix(input: CatchmentMatrixInput): Markup {
  const nowByVantage = new Map(input.now.map((state) => [state.vantage, state]))
  const anyUnknown = input.now.some((state) => state.families.some((family) => family.sites.includes(UNKNOWN_SITE)))
  const columns: Column[] = [...input.sites.map((site) => ({ id: site.id, label: site.label })), ...(anyUnknown ? [{ id: UNKNOWN_SITE, label: 'identity matches no site' }] : [])]
  const split = input.families.length > 1
  const header = columns.map((column) => html`<th scope="col"><abbr title="${column.label}">${column.id}</abbr></th>`)
  const rows = input.vantages.flatMap((vantage) => vantageRows(input, vantage, nowByVantage.get(vantage.id), columns, split))
  const what = split ? 'each vantage, over IPv4 and over IPv6' : 'each vantage'
  return html`<div class="table-scroll"><table class="matrix${input.compact ? ' compact' : ''}" aria-label="Catchment matrix of ${input.targetLabel}: which site answers ${what}">
<caption>Which site answers ${what} now${input.compact ? ', round trip time in ms' : ', with the round trip time, and for how long'}</caption>
<thead><tr><th scope="col">Vantage</th>${split ? html`<th scope="col">${input.compact ? html`<abbr title="Address family">IP</abbr>` : 'Family'}</th>` : ''}${joinMarkup(header)}${input.compact ? '' : html`<th scope="col">For</th>`}</tr></thead>
<tbody>${joinMarkup(rows)}</tbody></table></div>`
}

function vantageRows(input: CatchmentMatrixInput, vantage: PublicVantage, now: VantageNow | undefined, columns: readonly Column[], split: boolean): Markup[] {
  const name = input.compact
    ? html`<abbr class="vantage-id" title="${vantage.label} (${vantage.region})">${vantage.id}</abbr>`
    : html`<span class="vantage-id">${vantage.id}</span> <span class="muted">${vantage.label}</span>`
  if (!now || now.status === 'missing') {
    const span = columns.length + (split ? 1 : 0) + (input.compact ? 0 : 1)
    return [html`<tr class="vantage-start"><th scope="row">${name}</th><td class="row-note" colspan="${span}">no report</td></tr>`]
  }
  const families = input.families.map((family) => now.families.find((entry) => entry.family === family) ?? { family, status: 'missing' as const, sites: [], rttMs: null, transports: null })
  return families.map((family, index) => {
    const head = index > 0 ? '' : html`<th scope="row"${split ? html` rowspan="${families.length}"` : ''}>${name}</th>`
    // Compact: 'v4' / 'v6', so that the overview's matrix keeps its sites in view beside the map.
    const familyName = input.compact ? html`<abbr title="${familyLabel(family.family)}">${family.family === 'ipv4' ? 'v4' : 'v6'}</abbr>` : familyLabel(family.family)
    const familyCell = split ? html`<th scope="row" class="family">${familyName}</th>` : ''
    const cells = family.status === 'answering'
      ? joinMarkup(columns.map((column) => matrixCell(family, column.id, input.compact)))
      : html`<td class="row-note" colspan="${columns.length}">${family.status === 'failing' ? 'no answer' : 'no report'}</td>`
    const since = input.sinceByPath.get(familyKey(vantage.id, family.family))
    const sinceCell = input.compact ? '' : html`<td class="since">${since === undefined ? '–' : formatDuration(input.nowMs - since)}</td>`
    return html`<tr${index === 0 ? html` class="vantage-start"` : ''}>${head}${familyCell}${cells}${sinceCell}</tr>`
  })
}

function matrixCell(family: FamilyNow, siteId: string, compact: boolean): Markup {
  if (!family.sites.includes(siteId)) return html`<td class="empty"></td>`
  // A family whose transports disagree names the transport of each mark (UDP to one site, TCP to another).
  const marks = family.transports === null
    ? [pill(family, family.sites[0] === siteId, compact, null)]
    : family.transports.filter((transport) => transport.sites.includes(siteId)).map((transport) => pill(transport, transport.sites[0] === siteId, compact, transportLabel(transport.transport)))
  return html`<td class="hit">${joinMarkup(marks)}</td>`
}

function pill(summary: AnswerSummary, primary: boolean, compact: boolean, transport: string | null): Markup {
  const band = summary.rttMs === null ? null : rttBandOf(summary.rttMs)
  const rtt = compact ? formatRttMs(summary.rttMs).replace(' ms', '') : formatRttMs(summary.rttMs)
  // A vantage split over several sites within one family (per address or transport) is marked on each.
  return html`<span class="pill ${band?.className ?? 'rtt-none'}${primary ? '' : ' secondary'}">${transport === null ? '' : html`<span class="transport">${transport}</span> `}${rtt}</span>`
}
