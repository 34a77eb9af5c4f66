// An incident's page (/incidents/:key), the link every alert carries. A key can open more than once
// (it resolved, then the same problem came back): the newest occurrence is shown in full, earlier ones
// listed under it.
import type { Incident } from '../findings.ts'
import { html, joinMarkup } from './escape.ts'
import { incidentHeading, kindLabel, renderEvidence, renderIncidentCard, renderIncidentTimeline, timeTag } from './incidents.ts'
import { renderPage } from './layout.ts'
import { formatDuration } from './time.ts'

export interface IncidentPageInput {
  siteTitle: string
  nowMs: number
  /** Occurrences of one key, newest first; at least one. */
  occurrences: readonly Incident[]
  targetLabel: string
  /** The target's page, when the target is still configured. */
  targetPath: string | null
}

export function renderIncidentPage(input: IncidentPageInput): string {
  const [latest, ...earlier] = input.occurrences
  if (!latest) throw new Error('renderIncidentPage needs at least one occurrence')
  const end = latest.resolvedAt ?? input.nowMs
  const body = html`<p class="breadcrumb"><a href="/">All services</a> / ${input.targetPath === null ? input.targetLabel : html`<a href="${input.targetPath}">${input.targetLabel}</a>`} / Incident</p>
<div class="title-row"><h1>${incidentHeading(latest, input.targetLabel)}</h1></div>
<p class="tags"><span class="tag status-${latest.status}">${latest.status === 'open' ? 'Open' : 'Resolved'}</span><span class="tag severity">${latest.severity}</span>${latest.flapping ? html`<span class="tag">flapping</span>` : ''}</p>
<div class="card">
<p>${latest.lastFinding.summary}</p>
<dl class="facts">
<div><dt>Kind</dt><dd>${kindLabel(latest.kind)}</dd></div>
<div><dt>Scope</dt><dd>${latest.scope}</dd></div>
<div><dt>Opened</dt><dd>${timeTag(latest.openedAt)}</dd></div>
<div><dt>${latest.status === 'open' ? 'Open for' : 'Resolved'}</dt><dd>${latest.status === 'open' ? formatDuration(end - latest.openedAt) : html`${timeTag(end)} (after ${formatDuration(end - latest.openedAt)})`}</dd></div>
<div><dt>Last seen</dt><dd>${timeTag(latest.lastSeenAt)}</dd></div>
<div><dt>Key</dt><dd class="mono">${latest.key}</dd></div>
</dl></div>
<section aria-labelledby="timeline"><h2 id="timeline">Timeline</h2><div class="card">${renderIncidentTimeline(latest)}</div></section>
<section aria-labelledby="evidence"><h2 id="evidence">Evidence</h2><div class="card">${renderEvidence(latest)}</div></section>
${earlier.length === 0 ? '' : html`<section aria-labelledby="earlier"><h2 id="earlier">Earlier occurrences</h2>${joinMarkup(earlier.map((incident) => renderIncidentCard(incident, input.targetLabel, input.nowMs)))}</section>`}`
  return renderPage({ siteTitle: input.siteTitle, title: incidentHeading(latest, input.targetLabel), body, nowMs: input.nowMs })
}

export function renderNotFoundPage(siteTitle: string, nowMs: number, what: string): string {
  const body = html`<p class="breadcrumb"><a href="/">All services</a></p><h1>Not found</h1><p>${what}</p>`
  return renderPage({ siteTitle, title: 'Not found', body, nowMs })
}
