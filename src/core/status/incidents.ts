// Incidents on the page: a card per incident, the timeline of its updates, and its evidence. Summaries,
// updates and evidence can quote what the network said (an unknown NSID, an error), so they go through
// the escaping `html` tag like everything else.
import type { FindingKind, Incident } from '../findings.ts'
import { html, joinMarkup, type Markup } from './escape.ts'
import { formatDuration, formatRttMs, formatUtc } from './time.ts'

// Partial: a kind without a label here is shown by its name ('bgp-flapping' → 'Bgp flapping').
const KIND_LABELS: Partial<Record<FindingKind, string>> = {
  'black-hole': 'Black hole',
  'site-down': 'Site down',
  'catchment-shift': 'Catchment shift',
  'catchment-flapping': 'Catchment flapping',
  'unknown-identity': 'Unknown identity',
  'latency-regression': 'Latency regression',
  outage: 'Outage',
  failover: 'Failover',
  'transport-divergence': 'Transport divergence',
  'vantage-silent': 'Vantage silent',
  'bgp-visibility-loss': 'BGP visibility loss',
  'bgp-unexpected-origin': 'BGP unexpected origin',
  'bgp-flapping': 'BGP flapping',
  'bgp-rpki-invalid': 'BGP RPKI invalid',
}

export function kindLabel(kind: FindingKind): string {
  const words = kind.replace(/-/g, ' ')
  return KIND_LABELS[kind] ?? `${words.charAt(0).toUpperCase()}${words.slice(1)}`
}

/** The incident's page, relative to the status page's root: the key holds '/', so it is one encoded segment. */
export function incidentPath(key: string): string {
  return `/incidents/${encodeURIComponent(key)}`
}

/** 'Site down · site:fra on K-root' */
export function incidentHeading(incident: Incident, targetLabel: string): string {
  return `${kindLabel(incident.kind)} · ${incident.scope} on ${targetLabel}`
}

export function renderIncidentCard(incident: Incident, targetLabel: string, nowMs: number, extra: Markup | null = null): Markup {
  const duration = (incident.resolvedAt ?? nowMs) - incident.openedAt
  const when = incident.status === 'open'
    ? html`Opened ${timeTag(incident.openedAt)}, ${formatDuration(duration)} ago`
    : html`${timeTag(incident.openedAt)} to ${timeTag(incident.resolvedAt ?? incident.lastSeenAt)} (${formatDuration(duration)})`
  return html`<article class="incident severity-${incident.severity} ${incident.status}">
<h3><a href="${incidentPath(incident.key)}">${incidentHeading(incident, targetLabel)}</a></h3>
<p class="tags"><span class="tag status-${incident.status}">${incident.status === 'open' ? 'Open' : 'Resolved'}</span><span class="tag severity">${incident.severity}</span>${incident.flapping ? html`<span class="tag">flapping</span>` : ''}</p>
<p>${incident.lastFinding.summary}</p>
<p class="muted">${when}</p>${extra}
</article>`
}

export function renderIncidentTimeline(incident: Incident): Markup {
  const updates = [...incident.updates].sort((a, b) => b.at - a.at)
  return html`<ol class="timeline" aria-label="Updates, newest first">${joinMarkup(updates.map((update) => html`<li>${timeTag(update.at)}<span>${update.text}</span></li>`))}</ol>`
}

/** What the finding saw in its cycle: the affected vantages' answers. */
export function renderEvidence(incident: Incident): Markup {
  const { evidence } = incident.lastFinding
  const rows = evidence.latest.map((seen) => html`<tr><td>${seen.vantage}</td><td>${seen.address}</td><td>${seen.transport}</td><td>${seen.outcome}</td><td>${seen.site ?? '–'}</td><td class="num">${formatRttMs(seen.rttMs)}</td></tr>`)
  const details = Object.entries(evidence.details).map(([key, value]) => html`<div><dt>${wordsOf(key)}</dt><dd>${Array.isArray(value) ? value.join(', ') : String(value)}</dd></div>`)
  return html`<dl class="facts"><div><dt>Sites</dt><dd>${evidence.sites.join(', ') || '–'}</dd></div><div><dt>Vantages</dt><dd>${evidence.vantages.join(', ') || '–'}</dd></div>${joinMarkup(details)}</dl>
${rows.length === 0 ? '' : html`<div class="table-scroll"><table class="data"><caption>Answers in the cycle of ${formatUtc(incident.lastFinding.at)}</caption><thead><tr><th scope="col">Vantage</th><th scope="col">Address</th><th scope="col">Transport</th><th scope="col">Outcome</th><th scope="col">Site</th><th scope="col" class="num">RTT</th></tr></thead><tbody>${joinMarkup(rows)}</tbody></table></div>`}`
}

export function timeTag(epochMs: number): Markup {
  return html`<time datetime="${new Date(epochMs).toISOString()}">${formatUtc(epochMs)}</time>`
}

/** 'cyclesWithoutAnswer' → 'cycles without answer': evidence keys are camelCase identifiers. */
function wordsOf(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()
}
