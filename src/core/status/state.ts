// A target's public state (operational, degraded, outage) and since when, derived from its incidents.
// The page follows the incident policy rather than the last cycle: the policy already waits out single
// lost probes, so the page and the alerts agree on what is broken and since when.
import type { Incident, Severity } from '../findings.ts'
import { html, type Markup } from './escape.ts'
import { formatDuration, formatUtc } from './time.ts'

export type TargetStateKind = 'operational' | 'degraded' | 'outage' | 'no-data'

export interface TargetState {
  kind: TargetStateKind
  /** Epoch ms the state began; null when not known (no incident on record, or no data). */
  since: number | null
  /** Open incidents that set the state, most severe first. */
  causes: Incident[]
}

const STATE_OF_SEVERITY: Record<Severity, TargetStateKind> = {
  critical: 'outage',
  error: 'degraded',
  warning: 'degraded',
  // A catchment shift alone is news, not a degradation: the service still answers.
  info: 'operational',
}
const STATE_RANK: Record<TargetStateKind, number> = { 'no-data': 0, operational: 1, degraded: 2, outage: 3 }

export const STATE_LABELS: Record<TargetStateKind, string> = {
  operational: 'Operational',
  degraded: 'Degraded',
  outage: 'Outage',
  'no-data': 'No data',
}

/**
 * The target's state from its incidents (open and recently resolved, any order). Degraded or outage since
 * the earliest open incident at that level; operational since the last resolve of an incident that was
 * not informational; no-data when the target has never been probed.
 */
export function deriveTargetState(incidents: readonly Incident[], hasData: boolean): TargetState {
  const open = incidents.filter((incident) => incident.status === 'open')
  const worst = open.reduce<TargetStateKind>((state, incident) => worse(state, STATE_OF_SEVERITY[incident.severity]), 'operational')
  if (worst !== 'operational') {
    const causes = open.filter((incident) => STATE_OF_SEVERITY[incident.severity] === worst).sort(byOpenedAt)
    return { kind: worst, since: causes[0]?.openedAt ?? null, causes }
  }
  if (!hasData) return { kind: 'no-data', since: null, causes: [] }
  const resolvedAt = incidents
    .filter((incident) => incident.status === 'resolved' && STATE_OF_SEVERITY[incident.severity] !== 'operational')
    .map((incident) => incident.resolvedAt ?? incident.lastSeenAt)
  return { kind: 'operational', since: resolvedAt.length > 0 ? Math.max(...resolvedAt) : null, causes: [] }
}

/** The worst of the targets' states: what the page's banner says. */
export function overallState(states: readonly TargetStateKind[]): TargetStateKind {
  if (states.every((state) => state === 'no-data')) return 'no-data'
  return states.reduce<TargetStateKind>(worse, 'operational')
}

function worse(a: TargetStateKind, b: TargetStateKind): TargetStateKind {
  return STATE_RANK[b] > STATE_RANK[a] ? b : a
}

function byOpenedAt(a: Incident, b: Incident): number {
  return a.openedAt - b.openedAt
}

/** 'for 3 h 5 min (since 2026-11-22 12:00 UTC)', or why there is no such time. */
export function sinceText(state: TargetState, nowMs: number): Markup {
  if (state.since === null) return html`<span class="muted">${state.kind === 'no-data' ? 'never probed' : 'no incident on record'}</span>`
  return html`for ${formatDuration(nowMs - state.since)} <span class="muted small">(since ${formatUtc(state.since)})</span>`
}

/** Sites that an open incident is about (scope 'site:<id>'): the map draws them in red. */
export function troubledSitesOf(incidents: readonly Incident[]): Set<string> {
  const prefix = 'site:'
  return new Set(incidents.filter((incident) => incident.status === 'open' && incident.scope.startsWith(prefix)).map((incident) => incident.scope.slice(prefix.length)))
}
