// What every store derives from a cycle the same way: rollup buckets, the site of a (vantage, family) in
// a cycle, catchment changes, nearest-rank percentiles. Pure; shared by the memory, SQLite and D1 adapters.
import { UNKNOWN_SITE_ID } from '../../core/site-ids.ts'
import type { CycleRecord } from '../../core/findings.ts'
import { isAnswered, type Observation, type TransportName } from '../../core/model.ts'
import { addressFamilyOf, type AddressFamily } from '../../core/paths.ts'
import type { CatchmentChange, CatchmentEntry, RollupGranularity } from '../../ports/store.ts'

export const HOUR_MS = 3_600_000
export const DAY_MS = 86_400_000
export const GRANULARITIES: readonly RollupGranularity[] = ['hour', 'day']
export const PERCENTILES = { p50: 0.5, p95: 0.95 } as const

export function bucketLengthMs(granularity: RollupGranularity): number {
  return granularity === 'hour' ? HOUR_MS : DAY_MS
}

/** Start of the UTC hour or day that `atMs` falls in. */
export function bucketStartMs(granularity: RollupGranularity, atMs: number): number {
  const lengthMs = bucketLengthMs(granularity)
  return Math.floor(atMs / lengthMs) * lengthMs
}

/** The family a rollup files an observation under: that of the address it asked. */
export function rollupFamilyOf(observation: Observation): AddressFamily {
  return addressFamilyOf(observation.address)
}

/** The site a rollup files an observation under: its resolved site, null without one. */
export function rollupSiteOf(observation: Observation): string | null {
  return observation.site ?? null
}

/** The RTT a rollup counts: only successes have one. */
export function rollupRttOf(observation: Observation): number | null {
  return observation.outcome === 'ok' ? observation.rttMs : null
}

/** 1-based nearest rank of percentile `fraction` among `count` values. */
export function nearestRank(count: number, fraction: number): number {
  return Math.max(1, Math.ceil(fraction * count))
}

/** Nearest-rank percentile of values sorted ascending; null for none. */
export function percentileOfSorted(sorted: readonly number[], fraction: number): number | null {
  if (sorted.length === 0) return null
  return sorted[nearestRank(sorted.length, fraction) - 1] ?? null
}

/** What a (vantage, family) showed in one cycle. */
export interface FamilyCatchment {
  vantage: string
  family: AddressFamily
  site: string | null
  /** The site of each transport when they disagree; null when they agree or only one was probed. */
  transports: Partial<Record<TransportName, string | null>> | null
}

/** The key of a (vantage, family) in a target's catchment. */
export function catchmentKey(entry: { vantage: string; family: AddressFamily }): string {
  return `${entry.vantage}\u0000${entry.family}`
}

/**
 * The site of each (vantage, family) that reported in the cycle: the most common site of its ok
 * observations, or of its other answers when none was ok (ties: alphabetically first; 'unknown' for an
 * answer without a site); null when none of its queries got an answer. The same rule per transport gives
 * `transports` where the transports disagree. Keyed by catchmentKey.
 *
 * Transport is not part of the key: UDP and TCP to one address follow one route, so they disagree only
 * when something is wrong (a TCP-only site, a middlebox), and that is shown beside the family's site
 * rather than doubling every change in the history.
 */
export function catchmentOfCycle(cycle: CycleRecord): Map<string, FamilyCatchment> {
  const tallies = new Map<string, { vantage: string; family: AddressFamily; all: Tally; byTransport: Map<TransportName, Tally> }>()
  for (const observation of cycle.observations) {
    const family = addressFamilyOf(observation.address)
    const key = catchmentKey({ vantage: observation.vantage, family })
    const tally = tallies.get(key) ?? { vantage: observation.vantage, family, all: newTally(), byTransport: new Map<TransportName, Tally>() }
    tallies.set(key, tally)
    const transportTally = tally.byTransport.get(observation.transport) ?? newTally()
    tally.byTransport.set(observation.transport, transportTally)
    addToTally(tally.all, observation)
    addToTally(transportTally, observation)
  }
  return new Map([...tallies].map(([key, tally]) => {
    const byTransport = [...tally.byTransport].sort(([a], [b]) => compareText(a, b)).map(([transport, t]) => [transport, siteOfTally(t)] as const)
    const disagree = new Set(byTransport.map(([, site]) => site)).size > 1
    return [key, { vantage: tally.vantage, family: tally.family, site: siteOfTally(tally.all), transports: disagree ? Object.fromEntries(byTransport) : null }]
  }))
}

interface Tally {
  ok: Map<string, number>
  answered: Map<string, number>
}

function newTally(): Tally {
  return { ok: new Map(), answered: new Map() }
}

function addToTally(tally: Tally, observation: Observation): void {
  if (!isAnswered(observation.outcome)) return
  const site = observation.site ?? UNKNOWN_SITE_ID
  const counts = observation.outcome === 'ok' ? tally.ok : tally.answered
  counts.set(site, (counts.get(site) ?? 0) + 1)
}

function siteOfTally(tally: Tally): string | null {
  return mostCommon(tally.ok) ?? mostCommon(tally.answered)
}

function mostCommon(tally: Map<string, number>): string | null {
  let best: [string, number] | null = null
  for (const [site, count] of tally) {
    if (!best || count > best[1] || (count === best[1] && site < best[0])) best = [site, count]
  }
  return best ? best[0] : null
}

/**
 * The catchment after `cycle`, given the entries before it (keyed by catchmentKey), and the changes it
 * made: a change when a (vantage, family)'s site differs; an entry rewritten, keeping `since`, when only
 * its transports' split differs.
 */
export function advanceCatchment(
  before: ReadonlyMap<string, CatchmentEntry>,
  cycle: CycleRecord,
): { updated: CatchmentEntry[]; changes: CatchmentChange[] } {
  const updated: CatchmentEntry[] = []
  const changes: CatchmentChange[] = []
  for (const [key, now] of catchmentOfCycle(cycle)) {
    const previous = before.get(key)
    const { vantage, family, site, transports } = now
    if (previous && previous.site === site) {
      if (sameTransports(previous.transports, transports)) continue
      updated.push({ ...previous, transports })
      continue
    }
    updated.push({ target: cycle.target, vantage, family, site, since: cycle.startedAt, transports })
    if (previous) changes.push({ target: cycle.target, vantage, family, at: cycle.startedAt, from: previous.site, to: site })
  }
  return { updated, changes }
}

function sameTransports(a: CatchmentEntry['transports'], b: CatchmentEntry['transports']): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

type RollupKey = { bucketStart: number; vantage: string; family: AddressFamily | null; site: string | null }

/** Orders rollup-like rows by bucket, vantage, family, then site, nulls first. */
export function compareRollupKeys(a: RollupKey, b: RollupKey): number {
  return a.bucketStart - b.bucketStart || compareText(a.vantage, b.vantage) || compareText(a.family ?? '', b.family ?? '')
    || compareText(a.site ?? '', b.site ?? '')
}

/** Orders catchment entries by target, vantage, family. */
export function compareCatchmentEntries(a: CatchmentEntry, b: CatchmentEntry): number {
  return compareText(a.target, b.target) || compareText(a.vantage, b.vantage) || compareText(a.family, b.family)
}

/** Code-unit order, as SQLite's BINARY collation compares ASCII text. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
