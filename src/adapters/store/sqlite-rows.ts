// Rows of the SQLite and D1 stores as their drivers return them, and their conversion to and from port
// types: the statements' parameters (in sqlite-sql.ts column order) and the port values read back.
import type { CycleRecord, Incident, Notification } from '../../core/findings.ts'
import type { IdentitySource, Observation, Outcome, TransportName } from '../../core/model.ts'
import type { AddressFamily } from '../../core/paths.ts'
import type {
  CatchmentChange, CatchmentEntry, DeliveryStatus, OutboxItem, Rollup, RollupGranularity, StoredPolicyState,
} from '../../ports/store.ts'
import { PERCENTILES } from './derive.ts'
import type { RollupDelta } from './rollup-deltas.ts'
import { histogramPercentilesMs, histogramToJson } from './rtt-histogram.ts'

export type SqlValue = string | number | null

const ROLLUP_FRACTIONS = [PERCENTILES.p50, PERCENTILES.p95]

/** Where a site is part of a key, '' stands for "no site" (site ids are non-empty slugs). */
export const NO_SITE = ''

export function siteToColumn(site: string | null): string {
  return site ?? NO_SITE
}
export function siteFromColumn(site: string): string | null {
  return site === NO_SITE ? null : site
}

export interface ObservationRow {
  observed_at: number
  target: string
  vantage: string
  address: string
  port: number
  qname: string
  transport: string
  outcome: string
  rcode: number | null
  rtt_ms: number | null
  connect_ms: number | null
  identity_source: string | null
  identity_hex: string | null
  identity_text: string | null
  site: string | null
  retried_over_tcp: number
  ignored_replies: number
  error: string | null
}

/** INSERT_OBSERVATION's parameters after cycle_ref, in column order. */
export function observationParams(o: Observation): SqlValue[] {
  return [
    o.observedAt, o.target, o.vantage, o.address, o.port, o.qname, o.transport, o.outcome, o.rcode, o.rttMs, o.connectMs,
    o.identity?.source ?? null, o.identity?.hex ?? null, o.identity?.text ?? null, o.site ?? null,
    o.retriedOverTcp ? 1 : 0, o.ignoredReplies, o.error,
  ]
}

export function observationFromRow(row: ObservationRow): Observation {
  const observation: Observation = {
    observedAt: row.observed_at,
    vantage: row.vantage,
    target: row.target,
    address: row.address,
    port: row.port,
    qname: row.qname,
    transport: row.transport as TransportName,
    outcome: row.outcome as Outcome,
    rcode: row.rcode,
    rttMs: row.rtt_ms,
    connectMs: row.connect_ms,
    identity: row.identity_source === null
      ? null
      : { source: row.identity_source as IdentitySource, hex: row.identity_hex ?? '', text: row.identity_text },
    retriedOverTcp: row.retried_over_tcp === 1,
    ignoredReplies: row.ignored_replies,
    error: row.error,
  }
  if (row.site !== null) observation.site = row.site
  return observation
}

export interface RollupRow {
  vantage: string
  /** '' for buckets rolled up before migration 0004 (both families). */
  family: string
  site: string
  bucket_start: number
  count: number
  successes: number
  rtt_min_ms: number | null
  rtt_max_ms: number | null
  rtt_histogram: string
}

/** A rollup upsert's parameters. */
export function rollupDeltaParams(delta: RollupDelta): SqlValue[] {
  return [
    delta.target, delta.bucketStart, delta.vantage, delta.family, siteToColumn(delta.site), delta.count, delta.successes,
    delta.rttCount, delta.rttMinMs, delta.rttMaxMs, histogramToJson(delta.rttHistogram),
  ]
}

export function rollupFromRow(target: string, granularity: RollupGranularity, row: RollupRow): Rollup {
  const [p50, p95] = row.rtt_min_ms === null || row.rtt_max_ms === null
    ? [null, null]
    : histogramPercentilesMs(row.rtt_histogram, ROLLUP_FRACTIONS, row.rtt_min_ms, row.rtt_max_ms)
  return {
    target,
    vantage: row.vantage,
    family: row.family === '' ? null : (row.family as AddressFamily),
    site: siteFromColumn(row.site),
    granularity,
    bucketStart: row.bucket_start,
    count: row.count,
    successes: row.successes,
    rttMinMs: row.rtt_min_ms,
    rttP50Ms: p50 ?? null,
    rttP95Ms: p95 ?? null,
    rttMaxMs: row.rtt_max_ms,
  }
}

export interface CatchmentRow {
  target: string
  vantage: string
  family: string
  site: string
  since: number
  /** '' when the transports agreed; otherwise JSON { transport: site | null }. */
  transport_sites: string
}

export function catchmentFromRow(row: CatchmentRow): CatchmentEntry {
  return {
    target: row.target, vantage: row.vantage, family: row.family as AddressFamily, site: siteFromColumn(row.site), since: row.since,
    transports: row.transport_sites === '' ? null : (JSON.parse(row.transport_sites) as CatchmentEntry['transports']),
  }
}

export function catchmentEntryParams(entry: CatchmentEntry): SqlValue[] {
  return [entry.target, entry.vantage, entry.family, siteToColumn(entry.site), entry.since, entry.transports === null ? '' : JSON.stringify(entry.transports)]
}

export function catchmentChangeParams(change: CatchmentChange, cycleId: string): SqlValue[] {
  return [change.target, change.vantage, change.family, change.at, siteToColumn(change.from), siteToColumn(change.to), cycleId]
}

export interface CatchmentChangeRow {
  target: string
  vantage: string
  family: string
  at: number
  from_site: string
  to_site: string
}

export function catchmentChangeFromRow(row: CatchmentChangeRow): CatchmentChange {
  return {
    target: row.target, vantage: row.vantage, family: row.family as AddressFamily, at: row.at,
    from: siteFromColumn(row.from_site), to: siteFromColumn(row.to_site),
  }
}

export interface OutboxRow {
  seq: number
  id: string
  route: string
  notification: string
  status: string
  attempts: number
  next_attempt_at: number
  last_error: string | null
}

export function outboxItemFromRow(row: OutboxRow): OutboxItem {
  return {
    id: row.id,
    route: row.route,
    notification: JSON.parse(row.notification) as Notification,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
  }
}

/** `${notification.id}|${route}`: the outbox item's id. */
export function outboxIdOf(notification: Notification, route: string): string {
  return `${notification.id}|${route}`
}

/** INSERT_OUTBOX_ITEM's parameters; the item is due at notification.at. */
export function outboxItemParams(route: string, notification: Notification, nowMs: number): SqlValue[] {
  return [
    outboxIdOf(notification, route), route, notification.id, notification.incident.key, notification.event, notification.at,
    JSON.stringify(notification), notification.at, nowMs, nowMs,
  ]
}

/** UPSERT_INCIDENT's parameters. */
export function incidentParams(incident: Incident): SqlValue[] {
  return [
    incident.key, incident.openedAt, incident.target, incident.kind, incident.scope, incident.severity,
    incident.status, incident.resolvedAt, JSON.stringify(incident),
  ]
}

export interface CycleRow {
  id: number
  cycle_id: string
  target: string
  started_at: number
  missing_vantages: string
}

/** Cycles (SELECT_RECENT_CYCLES, newest first) with their observations (SELECT_RECENT_CYCLE_OBSERVATIONS), oldest first. */
export function cyclesFromRows(cycleRows: readonly CycleRow[], observationRows: readonly (ObservationRow & { cycle_ref: number })[]): CycleRecord[] {
  const byCycle = new Map<number, CycleRecord>()
  const cycles = [...cycleRows].reverse().map((row) => {
    const cycle: CycleRecord = {
      cycleId: row.cycle_id, target: row.target, startedAt: row.started_at,
      observations: [], missingVantages: JSON.parse(row.missing_vantages) as CycleRecord['missingVantages'],
    }
    byCycle.set(row.id, cycle)
    return cycle
  })
  for (const row of observationRows) byCycle.get(row.cycle_ref)?.observations.push(observationFromRow(row))
  return cycles
}

export function policyStateFromRow(row: { version: number; state: string } | null | undefined): StoredPolicyState {
  return row ? { version: row.version, state: JSON.parse(row.state) as unknown } : { version: 0, state: null }
}
