// What each vantage saw of a target in the latest cycle: the page's "now". Sites come from the
// observations themselves (run-cycle resolved them against the site table before storing).
import { medianMs, uniqueSorted } from '../catchment.ts'
import type { CycleRecord } from '../findings.ts'
import type { Observation } from '../model.ts'
import type { PublicVantage } from './public-view.ts'

export type VantageNowStatus = 'answering' | 'failing' | 'missing'

export interface VantageNow {
  vantage: string
  status: VantageNowStatus
  /** Sites of the ok answers, most answers first; 'unknown' for an identity no site matches. */
  sites: string[]
  /** Median RTT of the ok answers. */
  rttMs: number | null
  /** The vantage's observations in the cycle (every address and transport). */
  observations: Observation[]
  /** Why the vantage did not report, for a missing one. */
  missingReason: string | null
}

/** One entry per configured vantage, in config order; vantages the cycle does not mention are missing. */
export function vantagesNow(cycle: CycleRecord | null, vantages: readonly PublicVantage[]): VantageNow[] {
  return vantages.map((vantage) => vantageNow(cycle, vantage.id))
}

function vantageNow(cycle: CycleRecord | null, vantage: string): VantageNow {
  const observations = cycle?.observations.filter((observation) => observation.vantage === vantage) ?? []
  if (observations.length === 0) {
    const missing = cycle?.missingVantages.find((entry) => entry.vantage === vantage)
    return { vantage, status: 'missing', sites: [], rttMs: null, observations, missingReason: missing?.reason ?? (cycle ? 'not in the latest cycle' : 'no cycle yet') }
  }
  const ok = observations.filter((observation) => observation.outcome === 'ok')
  return {
    vantage,
    status: ok.length > 0 ? 'answering' : 'failing',
    sites: sitesByCount(ok),
    rttMs: medianMs(ok.flatMap((observation) => (observation.rttMs === null ? [] : [observation.rttMs]))),
    observations,
    missingReason: null,
  }
}

function sitesByCount(observations: readonly Observation[]): string[] {
  const named = observations.flatMap((observation) => (observation.site === undefined ? [] : [observation.site]))
  const count = (site: string): number => named.filter((other) => other === site).length
  return uniqueSorted(named).sort((a, b) => count(b) - count(a))
}

/** The identity an observation carried, as text when it is printable and as hex otherwise. */
export function identityLabel(observation: Observation): string | null {
  if (observation.identity === null) return null
  return observation.identity.text ?? `0x${observation.identity.hex}`
}
