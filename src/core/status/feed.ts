// The Atom feed (RFC 4287) of incidents, newest first. Entry content is plain text (type="text"), so a
// reader shows what the network said as text and never as markup.
import type { Incident } from '../findings.ts'
import { html, joinMarkup, type Markup } from './escape.ts'
import { incidentHeading, incidentPath } from './incidents.ts'
import { formatUtc } from './time.ts'

export interface FeedInput {
  statusPageUrl: string
  title: string
  incidents: readonly Incident[]
  targetLabels: ReadonlyMap<string, string>
  /** The feed's own `updated` when it has no entry. */
  nowMs: number
}

export function renderAtomFeed(input: FeedInput): Markup {
  const base = input.statusPageUrl.replace(/\/+$/, '')
  const updated = Math.max(0, ...input.incidents.map(lastChangeOf))
  const entries = input.incidents.map((incident) => feedEntry(incident, base, input.targetLabels.get(incident.target) ?? incident.target))
  return html`<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>${input.title}: incidents</title>
<id>${base}/feed.atom</id>
<link rel="self" type="application/atom+xml" href="${base}/feed.atom"/>
<link rel="alternate" type="text/html" href="${base}/"/>
<updated>${isoTime(input.incidents.length > 0 ? updated : input.nowMs)}</updated>
<author><name>anycast-monitor</name></author>
<generator>anycast-monitor</generator>
${joinMarkup(entries, '\n')}
</feed>
`
}

function feedEntry(incident: Incident, base: string, targetLabel: string): Markup {
  const state = incident.status === 'open' ? 'Open' : 'Resolved'
  const timeline = [...incident.updates].sort((a, b) => a.at - b.at).map((update) => `${formatUtc(update.at)}: ${update.text}`)
  const content = [incident.lastFinding.summary, '', ...timeline].join('\n')
  // One entry per occurrence: a key that reopens later is a new incident with its own openedAt.
  const id = `urn:anycast-monitor:incident:${encodeURIComponent(incident.key)}:${incident.openedAt}`
  return html`<entry>
<id>${id}</id>
<title>[${state}] ${incidentHeading(incident, targetLabel)}</title>
<link rel="alternate" type="text/html" href="${base}${incidentPath(incident.key)}"/>
<published>${isoTime(incident.openedAt)}</published>
<updated>${isoTime(lastChangeOf(incident))}</updated>
<category term="${incident.severity}" label="severity"/>
<summary type="text">${incident.lastFinding.summary}</summary>
<content type="text">${content}</content>
</entry>`
}

function lastChangeOf(incident: Incident): number {
  return Math.max(incident.openedAt, incident.resolvedAt ?? 0, ...incident.updates.map((update) => update.at))
}

function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString()
}
