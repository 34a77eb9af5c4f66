// The monitor's vocabulary above single observations: cycles, findings, incidents, notifications.
// Plain data, shared by detectors, the incident policy, stores, sinks and the API.
import type { Observation, TransportName } from './model.ts'
import type { AddressFamily } from './paths.ts'

/** One probe cycle of one target: everything every vantage reported, and who did not report. */
export interface CycleRecord {
  /** `${target}@${startedAt}`: unique, stable across retries of the same cycle. */
  cycleId: string
  target: string
  /** Epoch ms at which the cycle started (the scheduler's tick). */
  startedAt: number
  observations: Observation[]
  /** Vantages whose runner failed or did not report before the cycle's deadline. */
  missingVantages: { vantage: string; reason: string }[]
}

export type FindingKind =
  | 'black-hole'
  | 'site-down'
  | 'catchment-shift'
  | 'catchment-flapping'
  | 'unknown-identity'
  | 'latency-regression'
  | 'outage'
  | 'bgp-visibility-loss'
  | 'bgp-unexpected-origin'
  | 'bgp-flapping'
  | 'bgp-rpki-invalid'
  /**
   * A site BGP shows withdrawn: a suspected black hole at it (traffic is, or should be, failing over), or
   * a site whose vantages all moved elsewhere (a clean failover, from the site-down detector).
   */
  | 'failover'
  /** A site answers over one transport and not the other (TCP/53 filtered: large and DNSSEC answers fail). */
  | 'transport-divergence'
  /** A vantage (agent, region, namespace) that reports nothing: the monitor's own coverage shrank. */
  | 'vantage-silent'

/** Mapped onto PagerDuty's severities as they are. */
export type Severity = 'critical' | 'error' | 'warning' | 'info'

/** What a detector saw in a window of cycles; the evidence says why, in data a person can check. */
export interface Finding {
  kind: FindingKind
  target: string
  /** What the finding is about, and part of its incident's key: 'site:fra', 'vantage:par', 'target'. */
  scope: string
  severity: Severity
  /** One line for humans, without the target's name (sinks add it). */
  summary: string
  /** startedAt of the cycle the finding was made in. */
  at: number
  /** The probe paths the finding is about; absent for findings that are not about probes (BGP's). */
  paths?: FindingPaths
  evidence: FindingEvidence
}

/**
 * Which of the target's paths (vantage, address, transport) a finding is about: all of them, or a part,
 * such as one address family ("over IPv6"), one address, or one transport ("over TCP").
 */
export interface FindingPaths {
  /** 'all', 'ipv4', 'ipv6', 'address:<address>', 'udp', 'tcp', or several of them joined by '+'. */
  slice: string
  /** Words the summary uses: '' for all paths, 'over IPv6', 'on 198.51.100.54', 'over TCP'. */
  text: string
  families: AddressFamily[]
  addresses: string[]
  transports: TransportName[]
}

export interface FindingEvidence {
  /** Sites involved: the suspected black-holed site, the site a vantage moved from and to, ... */
  sites: string[]
  /** Vantages involved (affected, moved, flapping). */
  vantages: string[]
  /** The involved vantages' observations in the finding's cycle; `site` is null for an answer without identity. */
  latest: { vantage: string; outcome: string; site: string | null; rttMs: number | null; transport: string; address: string }[]
  /** Free-form details specific to the kind (e.g. rttBeforeMs / rttAfterMs, changes in window). */
  details: Record<string, string | number | boolean | null | string[]>
}

export type IncidentStatus = 'open' | 'resolved'

export interface Incident {
  /** Stable dedup key: `${target}/${kind}/${scope}`; also PagerDuty's dedup_key. */
  key: string
  kind: FindingKind
  target: string
  scope: string
  severity: Severity
  status: IncidentStatus
  /** Epoch ms of the cycle that opened it. */
  openedAt: number
  resolvedAt: number | null
  /** startedAt of the latest cycle in which its finding was made. */
  lastSeenAt: number
  /** It reopened within the damping window after resolving: it now resolves only after a quiet damping window. */
  flapping: boolean
  /** The finding that opened it, then the latest one while it stays open. */
  lastFinding: Finding
  /** Timeline for the status page: what happened, when. */
  updates: { at: number; text: string }[]
}

export type NotificationEvent = 'trigger' | 'reminder' | 'resolve'

/** What the incident policy wants said; the outbox delivers it to every route exactly once. */
export interface Notification {
  /** Unique per (incident key, opening, event, sequence): the outbox ignores a second copy. */
  id: string
  event: NotificationEvent
  incident: Incident
  at: number
}
