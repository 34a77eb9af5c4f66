// Tiny builders for the decision core's tests: cycles of observations on a fixed clock, a lab target
// with four sites, and helpers that run one detector or a whole series of evaluations.
import { catchmentCycleOf, type CatchmentCycle } from '../../src/core/catchment.ts'
import { compileSiteTable, TargetSchema, type Target } from '../../src/core/config.ts'
import type { BgpSiteStatus, Detector } from '../../src/core/detectors/index.ts'
import {
  EvaluationSettingsSchema,
  evaluateCycle,
  requiredHistoryCycles,
  type EvaluateInput,
  type EvaluateResult,
  type EvaluationSettings,
} from '../../src/core/evaluate.ts'
import type { CycleRecord, Finding, Notification } from '../../src/core/findings.ts'
import type { Identity, Observation, Outcome, TransportName } from '../../src/core/model.ts'

/** 2026-01-05T12:00:00Z: every test runs on this clock. */
export const T0 = Date.UTC(2026, 0, 5, 12, 0, 0)
export const CYCLE_MS = 60_000
export const MINUTE_MS = 60_000

/** startedAt of cycle number `index`. */
export const at = (index: number): number => T0 + index * CYCLE_MS

const ADDRESS = '198.51.100.53'
/** The target's IPv6 address in DUAL_STACK_TARGET, and a second IPv4 VIP in TWO_VIP_TARGET. */
export const ADDRESS_V4 = ADDRESS
export const ADDRESS_V6 = '2001:db8:53::53'
export const ADDRESS_NS2 = '198.51.100.54'

const site = (id: string, latitude: number, longitude: number) => ({
  id,
  label: id.toUpperCase(),
  latitude,
  longitude,
  match: { pattern: `^${id}\\d+\\.ns\\.example$` },
})

export const TARGET: Target = TargetSchema.parse({
  id: 'lab',
  label: 'Lab',
  addresses: [ADDRESS],
  qname: 'example.',
  sites: [site('fra', 50.1, 8.7), site('ber', 52.5, 13.4), site('ams', 52.4, 4.9), site('lon', 51.5, -0.1)],
})

/** TARGET with an IPv6 address beside its IPv4 one, probed over UDP and TCP. */
export const DUAL_STACK_TARGET: Target = { ...TARGET, addresses: [ADDRESS, ADDRESS_V6], transports: ['udp', 'tcp'] }
/** TARGET with two IPv4 VIPs (ns1 and ns2). */
export const TWO_VIP_TARGET: Target = { ...TARGET, addresses: [ADDRESS, ADDRESS_NS2] }

/** What one vantage saw over one transport in one cycle. */
export interface Probe {
  outcome: Outcome
  rttMs: number | null
  identity: Identity | null
  transport: TransportName
  /** The address asked; TARGET's IPv4 address when left out. */
  address?: string
}

/** The probe, asked of another address: `on(ADDRESS_V6, timeout())`. */
export const on = (address: string, probe: Probe): Probe => ({ ...probe, address })

/** The same answer over each of the addresses and transports: `paths(ok('fra'), [ADDRESS_V4, ADDRESS_V6], ['udp', 'tcp'])`. */
export function paths(probe: Probe, addresses: readonly string[], transports: readonly TransportName[] = ['udp']): Probe[] {
  return addresses.flatMap((address) => transports.map((transport) => ({ ...probe, address, transport })))
}

function textIdentity(text: string): Identity {
  return { source: 'nsid', hex: Buffer.from(text, 'latin1').toString('hex'), text }
}

/** An ok answer from a node of `site` (identity `${site}1.ns.example`). */
export const ok = (site: string, rttMs = 10, transport: TransportName = 'udp'): Probe => ({
  outcome: 'ok',
  rttMs,
  identity: textIdentity(`${site}1.ns.example`),
  transport,
})
/** An ok answer whose NSID text is `text`, whatever site (if any) that is. */
export const okFrom = (text: string, rttMs = 10): Probe => ({ outcome: 'ok', rttMs, identity: textIdentity(text), transport: 'udp' })
/** An ok answer with a binary NSID. */
export const okBinary = (hex: string, rttMs = 10): Probe => ({
  outcome: 'ok',
  rttMs,
  identity: { source: 'nsid', hex, text: null },
  transport: 'udp',
})
/** An ok answer that named no node (no NSID, no CHAOS identity). */
export const okAnonymous = (rttMs = 10): Probe => ({ outcome: 'ok', rttMs, identity: null, transport: 'udp' })
export const timeout = (transport: TransportName = 'udp'): Probe => ({ outcome: 'timeout', rttMs: null, identity: null, transport })
export const networkError = (): Probe => ({ outcome: 'network-error', rttMs: null, identity: null, transport: 'udp' })
/** A SERVFAIL answer; from `site` when given (it carried an NSID). */
export const servfail = (site?: string): Probe => ({
  outcome: 'servfail',
  rttMs: 4,
  identity: site === undefined ? null : textIdentity(`${site}1.ns.example`),
  transport: 'udp',
})
export const refused = (): Probe => ({ outcome: 'refused', rttMs: 4, identity: null, transport: 'udp' })

const RCODE_OF: Partial<Record<Outcome, number>> = { ok: 0, servfail: 2, refused: 5 }

function observationOf(vantage: string, startedAt: number, probe: Probe): Observation {
  return {
    observedAt: startedAt,
    vantage,
    target: TARGET.id,
    address: probe.address ?? ADDRESS,
    port: 53,
    qname: 'example.',
    transport: probe.transport,
    outcome: probe.outcome,
    rcode: RCODE_OF[probe.outcome] ?? null,
    rttMs: probe.rttMs,
    connectMs: null,
    identity: probe.identity,
    retriedOverTcp: false,
    ignoredReplies: 0,
    error: probe.outcome === 'ok' ? null : probe.outcome,
  }
}

/** Cycle number `index` of TARGET: each vantage's probes, and the vantages that did not report. */
export function cycle(index: number, probes: Record<string, Probe | Probe[]>, options: { missing?: string[] } = {}): CycleRecord {
  const startedAt = at(index)
  return {
    cycleId: `${TARGET.id}@${startedAt}`,
    target: TARGET.id,
    startedAt,
    observations: Object.entries(probes).flatMap(([vantage, probe]) =>
      (Array.isArray(probe) ? probe : [probe]).map((one) => observationOf(vantage, startedAt, one)),
    ),
    missingVantages: (options.missing ?? []).map((vantage) => ({ vantage, reason: 'runner did not report' })),
  }
}

/** Cycles 0..count-1, each built from its index. */
export function series(
  count: number,
  probesAt: (index: number) => Record<string, Probe | Probe[]>,
  missingAt?: (index: number) => string[],
): CycleRecord[] {
  return Array.from({ length: count }, (_, index) => cycle(index, probesAt(index), { missing: missingAt?.(index) ?? [] }))
}

/** Cycles `from`..from+count-1 with the same probes: `repeat(3, { par: ok('fra') })`. */
export function repeat(count: number, probes: Record<string, Probe | Probe[]>, from = 0): CycleRecord[] {
  return Array.from({ length: count }, (_, offset) => cycle(from + offset, probes))
}

/** Renumbers cycles so they follow each other: `sequence(repeat(3, a), repeat(2, b))`. */
export function sequence(...parts: CycleRecord[][]): CycleRecord[] {
  return parts.flat().map((record, index) => ({ ...record, cycleId: `${TARGET.id}@${at(index)}`, startedAt: at(index) }))
}

export function catchmentCycles(history: readonly CycleRecord[]): CatchmentCycle[] {
  const resolveSite = compileSiteTable(TARGET.sites)
  return history.map((record) => catchmentCycleOf(record, resolveSite))
}

/** One detector on the history (current cycle last), with its params parsed from `params`. */
export function runDetector<Params>(
  detector: Detector<Params>,
  history: readonly CycleRecord[],
  params: Record<string, unknown> = {},
  bgp?: BgpSiteStatus,
): Finding[] {
  return detector.detect({ target: TARGET, cycles: catchmentCycles(history), bgp }, detector.params.parse(params))
}

export function settings(input: Record<string, unknown> = {}): EvaluationSettings {
  return EvaluationSettingsSchema.parse(input)
}

export interface SeriesRun {
  results: EvaluateResult[]
  notifications: Notification[]
  /** The stored state after the last cycle, as JSON text (what the store keeps). */
  storedState: string
}

/** What the BGP check gives one cycle's evaluation. */
export type SeriesBgp = Pick<EvaluateInput, 'bgp' | 'bgpByFamily' | 'bgpEvidence' | 'bgpFindings' | 'unchecked'>

/**
 * Evaluates the cycles one by one, as the scheduler would: each evaluation sees the history up to its
 * cycle, `now` is the cycle's start, and the state goes through JSON between cycles like the store's.
 * BGP's view is `bgp` in every cycle, or `bgpAt(index)` per cycle.
 */
export function evaluateSeries(
  history: readonly CycleRecord[],
  options: { settings?: EvaluationSettings; bgp?: BgpSiteStatus; bgpAt?: (index: number) => SeriesBgp; storedState?: string; target?: Target } = {},
): SeriesRun {
  const params = options.settings ?? settings()
  const keep = requiredHistoryCycles(params.detection)
  let storedState = options.storedState ?? 'null'
  const results: EvaluateResult[] = []
  history.forEach((record, index) => {
    const window = history.slice(Math.max(0, index + 1 - keep), index + 1)
    const policyState: unknown = JSON.parse(storedState)
    const bgp = options.bgpAt?.(index) ?? { bgp: options.bgp }
    const result = evaluateCycle({ target: options.target ?? TARGET, history: window, policyState, now: record.startedAt, params, ...bgp })
    storedState = JSON.stringify(result.state)
    results.push(result)
  })
  return { results, notifications: results.flatMap((result) => result.notifications), storedState }
}

/** `trigger black-hole site:fra` per notification: what a person would see on the pager. */
export function pages(notifications: readonly Notification[]): string[] {
  return notifications.map((notification) => `${notification.event} ${notification.incident.kind} ${notification.incident.scope}`)
}

/** The cycle index at which each notification went out. */
export function pageCycles(notifications: readonly Notification[]): number[] {
  return notifications.map((notification) => (notification.at - T0) / CYCLE_MS)
}
