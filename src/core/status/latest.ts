// What each vantage saw of a target in the latest cycle: the page's "now", per vantage and per address
// family (IPv4 and IPv6 are routed apart, so a vantage can land on one site over IPv4 and another over
// IPv6), with each transport where the transports disagree. Sites come from the observations themselves
// (run-cycle resolved them against the site table before storing).
import { medianMs, uniqueSorted } from '../catchment.ts'
import type { CycleRecord } from '../findings.ts'
import type { Observation, TransportName } from '../model.ts'
import { addressFamilyOf, type AddressFamily } from '../paths.ts'
import type { PublicVantage } from './public-view.ts'

export type VantageNowStatus = 'answering' | 'failing' | 'missing'

/** How one set of a vantage's queries fared: all of them, one family's, or one transport's. */
export interface AnswerSummary {
  status: VantageNowStatus
  /** Sites of the ok answers, most answers first; 'unknown' for an identity no site matches. */
  sites: string[]
  /** Median RTT of the ok answers. */
  rttMs: number | null
}

export interface TransportNow extends AnswerSummary {
  transport: TransportName
}

export interface FamilyNow extends AnswerSummary {
  family: AddressFamily
  /** Each transport's summary when they disagree (different sites, or one answering and one not); null otherwise. */
  transports: TransportNow[] | null
}

export interface VantageNow extends AnswerSummary {
  vantage: string
  /** One entry per family of the target, in ADDRESS_FAMILIES order; 'missing' for a family it did not report. */
  families: FamilyNow[]
  /** The vantage's observations in the cycle (every address and transport). */
  observations: Observation[]
  /** Why the vantage did not report, for a missing one. */
  missingReason: string | null
}

/** The key of a (vantage, family) in maps the renderers share (since, per-family lookups). */
export function familyKey(vantage: string, family: AddressFamily): string {
  return `${vantage} ${family}`
}

/**
 * One entry per configured vantage, in config order; vantages the cycle does not mention are missing.
 * `families` are the target's (familiesOf its addresses).
 */
export function vantagesNow(cycle: CycleRecord | null, vantages: readonly PublicVantage[], families: readonly AddressFamily[]): VantageNow[] {
  return vantages.map((vantage) => vantageNow(cycle, vantage.id, families))
}

function vantageNow(cycle: CycleRecord | null, vantage: string, families: readonly AddressFamily[]): VantageNow {
  const observations = cycle?.observations.filter((observation) => observation.vantage === vantage) ?? []
  const perFamily = families.map((family) => familyNow(family, observations.filter((observation) => addressFamilyOf(observation.address) === family)))
  if (observations.length === 0) {
    const missing = cycle?.missingVantages.find((entry) => entry.vantage === vantage)
    return { vantage, ...summaryOf([]), families: perFamily, observations, missingReason: missing?.reason ?? (cycle ? 'not in the latest cycle' : 'no cycle yet') }
  }
  return { vantage, ...summaryOf(observations), families: perFamily, observations, missingReason: null }
}

function familyNow(family: AddressFamily, observations: readonly Observation[]): FamilyNow {
  const transports = uniqueSorted(observations.map((observation) => observation.transport)) as TransportName[]
  const perTransport = transports.map((transport) => ({ transport, ...summaryOf(observations.filter((observation) => observation.transport === transport)) }))
  const shapes = new Set(perTransport.map((summary) => `${summary.status} ${uniqueSorted(summary.sites).join('+')}`))
  return { family, ...summaryOf(observations), transports: shapes.size > 1 ? perTransport : null }
}

function summaryOf(observations: readonly Observation[]): AnswerSummary {
  if (observations.length === 0) return { status: 'missing', sites: [], rttMs: null }
  const ok = observations.filter((observation) => observation.outcome === 'ok')
  return {
    status: ok.length > 0 ? 'answering' : 'failing',
    sites: sitesByCount(ok),
    rttMs: medianMs(ok.flatMap((observation) => (observation.rttMs === null ? [] : [observation.rttMs]))),
  }
}

function sitesByCount(observations: readonly Observation[]): string[] {
  const named = observations.flatMap((observation) => (observation.site === undefined ? [] : [observation.site]))
  const count = (site: string): number => named.filter((other) => other === site).length
  return uniqueSorted(named).sort((a, b) => count(b) - count(a))
}

/** The monitor's own coverage of a target: how many vantages reported anything in the latest cycle. */
export interface Coverage {
  reporting: number
  vantages: number
}

export function coverageOf(now: readonly VantageNow[]): Coverage {
  return { reporting: now.filter((vantage) => vantage.status !== 'missing').length, vantages: now.length }
}

export function coverageText(coverage: Coverage): string {
  return `${coverage.reporting} of ${coverage.vantages} vantage${coverage.vantages === 1 ? '' : 's'} reporting`
}

/** The identity an observation carried, as text when it is printable and as hex otherwise. */
export function identityLabel(observation: Observation): string | null {
  if (observation.identity === null) return null
  return observation.identity.text ?? `0x${observation.identity.hex}`
}
