// Prometheus text exposition (format 0.0.4) of the status: per target, vantage and address family
// (`family="ipv4"` or `"ipv6"`: they are routed apart) whether it got an answer, its RTT and its site in
// the latest cycle, and the site of each transport; per target its state, open incidents and how many
// vantages reported. Label values can hold identities from the network, so every one goes through
// prometheusLabelValue.
import type { Incident, Severity } from '../findings.ts'
import { prometheusLabelValue } from './escape.ts'
import { coverageOf, identityLabel, type FamilyNow, type TransportNow, type VantageNow } from './latest.ts'
import type { TargetStateKind } from './state.ts'

const SEVERITIES: readonly Severity[] = ['critical', 'error', 'warning', 'info']
const STATES: readonly TargetStateKind[] = ['operational', 'degraded', 'outage', 'no-data']
const MS_PER_SECOND = 1000

export interface TargetMetrics {
  target: string
  state: TargetStateKind
  lastCycleAt: number | null
  vantages: readonly VantageNow[]
  openIncidents: readonly Incident[]
}

type Labels = Record<string, string>

interface Family {
  name: string
  help: string
  samples: { labels: Labels; value: number }[]
}

export function renderMetrics(targets: readonly TargetMetrics[]): string {
  const families: Family[] = [
    family('anycast_monitor_target_state', 'The target\'s state on the status page: 1 for the current one, 0 for the others.', targets.flatMap((t) =>
      STATES.map((state) => ({ labels: { target: t.target, state }, value: t.state === state ? 1 : 0 })))),
    family('anycast_monitor_last_cycle_timestamp_seconds', 'Start of the latest stored probe cycle of the target (Unix time).', targets.flatMap((t) =>
      t.lastCycleAt === null ? [] : [{ labels: { target: t.target }, value: t.lastCycleAt / MS_PER_SECOND }])),
    family('anycast_monitor_vantages_reporting', 'Vantages that reported anything about the target in the latest cycle.', targets.flatMap((t) =>
      t.lastCycleAt === null ? [] : [{ labels: { target: t.target }, value: coverageOf(t.vantages).reporting }])),
    family('anycast_monitor_vantages_configured', 'Vantages configured to probe the target.', targets.map((t) => ({ labels: { target: t.target }, value: t.vantages.length }))),
    family('anycast_monitor_vantage_up', 'Whether the vantage got an ok answer from the target over the address family in the latest cycle (1) or not (0); no sample when it did not report that family.', targets.flatMap((t) =>
      reported(t).map(({ v, f }) => ({ labels: { target: t.target, vantage: v.vantage, family: f.family }, value: f.status === 'answering' ? 1 : 0 })))),
    family('anycast_monitor_rtt_seconds', 'Median round trip time of the vantage\'s ok answers over the address family in the latest cycle.', targets.flatMap((t) =>
      reported(t).flatMap(({ v, f }) => (f.rttMs === null ? [] : [{ labels: { target: t.target, vantage: v.vantage, family: f.family }, value: f.rttMs / MS_PER_SECOND }])))),
    family('anycast_monitor_vantage_site', 'The site that answered the vantage over the address family in the latest cycle (1 per site; "unknown" for an identity no site matches).', targets.flatMap((t) =>
      reported(t).flatMap(({ v, f }) => f.sites.map((site) => ({ labels: { target: t.target, vantage: v.vantage, family: f.family, site }, value: 1 }))))),
    family('anycast_monitor_transport_up', 'Only where the transports of an address family disagree (different sites, or one answering and one not): whether each transport got an ok answer in the latest cycle. No sample while they agree.', targets.flatMap((t) =>
      disagreeing(t).map(({ v, f, tr }) => ({ labels: { target: t.target, vantage: v.vantage, family: f.family, transport: tr.transport }, value: tr.status === 'answering' ? 1 : 0 })))),
    family('anycast_monitor_transport_site', 'Only where the transports of an address family disagree: the site that answered each transport in the latest cycle (1 per site). No sample while they agree.', targets.flatMap((t) =>
      disagreeing(t).flatMap(({ v, f, tr }) => tr.sites.map((site) => ({ labels: { target: t.target, vantage: v.vantage, family: f.family, transport: tr.transport, site }, value: 1 }))))),
    family('anycast_monitor_answer_identity_info', 'Identities (NSID text, or hex when not printable) the vantage\'s answers carried in the latest cycle.', targets.flatMap((t) =>
      t.vantages.flatMap((v) => uniqueIdentities(v).map((identity) => ({ labels: { target: t.target, vantage: v.vantage, identity }, value: 1 }))))),
    family('anycast_monitor_incidents_open', 'Open incidents of the target by severity.', targets.flatMap((t) =>
      SEVERITIES.map((severity) => ({ labels: { target: t.target, severity }, value: t.openIncidents.filter((i) => i.severity === severity).length })))),
  ]
  return families.map(renderFamily).join('')
}

/** The (vantage, family) pairs that reported in the latest cycle. */
function reported(target: TargetMetrics): { v: VantageNow; f: FamilyNow }[] {
  return target.vantages.flatMap((v) => v.families.filter((f) => f.status !== 'missing').map((f) => ({ v, f })))
}

/** Each transport of the (vantage, family) pairs whose transports disagree. */
function disagreeing(target: TargetMetrics): { v: VantageNow; f: FamilyNow; tr: TransportNow }[] {
  return reported(target).flatMap(({ v, f }) => (f.transports ?? []).map((tr) => ({ v, f, tr })))
}

function family(name: string, help: string, samples: Family['samples']): Family {
  return { name, help, samples }
}

function uniqueIdentities(vantage: VantageNow): string[] {
  return [...new Set(vantage.observations.flatMap((observation) => identityLabel(observation) ?? []))]
}

function renderFamily(metric: Family): string {
  const lines = metric.samples.map(({ labels, value }) => `${metric.name}{${renderLabels(labels)}} ${formatValue(value)}`)
  return `# HELP ${metric.name} ${metric.help}\n# TYPE ${metric.name} gauge\n${lines.map((line) => `${line}\n`).join('')}`
}

function renderLabels(labels: Labels): string {
  return Object.entries(labels).map(([name, value]) => `${name}="${prometheusLabelValue(value)}"`).join(',')
}

function formatValue(value: number): string {
  return Number.isFinite(value) ? String(value) : 'NaN'
}
