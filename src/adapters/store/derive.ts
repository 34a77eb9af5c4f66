// What every store derives from a cycle the same way: rollup buckets, the site of a vantage in a cycle,
// catchment changes, nearest-rank percentiles. Pure; shared by the memory and SQLite adapters.
import { UNKNOWN_SITE_ID } from '../../core/site-ids.ts'
import type { CycleRecord } from '../../core/findings.ts'
import { isAnswered, type Observation } from '../../core/model.ts'
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

/**
 * The site of each vantage that reported in the cycle: the most common site of its ok observations, or of
 * its other answers when none was ok (ties: alphabetically first; 'unknown' for an answer without a site);
 * null when none of its queries got an answer.
 */
export function catchmentOfCycle(cycle: CycleRecord): Map<string, string | null> {
  const tallies = new Map<string, { ok: Map<string, number>; answered: Map<string, number> }>()
  for (const observation of cycle.observations) {
    const tally = tallies.get(observation.vantage) ?? { ok: new Map<string, number>(), answered: new Map<string, number>() }
    tallies.set(observation.vantage, tally)
    if (!isAnswered(observation.outcome)) continue
    const site = observation.site ?? UNKNOWN_SITE_ID
    const counts = observation.outcome === 'ok' ? tally.ok : tally.answered
    counts.set(site, (counts.get(site) ?? 0) + 1)
  }
  return new Map([...tallies].map(([vantage, tally]) => [vantage, mostCommon(tally.ok) ?? mostCommon(tally.answered)]))
}

function mostCommon(tally: Map<string, number>): string | null {
  let best: [string, number] | null = null
  for (const [site, count] of tally) {
    if (!best || count > best[1] || (count === best[1] && site < best[0])) best = [site, count]
  }
  return best ? best[0] : null
}

/** The catchment after `cycle`, given the entries before it, and the changes it made. */
export function advanceCatchment(
  before: ReadonlyMap<string, CatchmentEntry>,
  cycle: CycleRecord,
): { updated: CatchmentEntry[]; changes: CatchmentChange[] } {
  const updated: CatchmentEntry[] = []
  const changes: CatchmentChange[] = []
  for (const [vantage, site] of catchmentOfCycle(cycle)) {
    const previous = before.get(vantage)
    if (previous && previous.site === site) continue
    updated.push({ target: cycle.target, vantage, site, since: cycle.startedAt })
    if (previous) changes.push({ target: cycle.target, vantage, at: cycle.startedAt, from: previous.site, to: site })
  }
  return { updated, changes }
}

/** Orders rollup-like rows by bucket, vantage, then site with null first. */
export function compareRollupKeys(
  a: { bucketStart: number; vantage: string; site: string | null },
  b: { bucketStart: number; vantage: string; site: string | null },
): number {
  return a.bucketStart - b.bucketStart || compareText(a.vantage, b.vantage) || compareText(a.site ?? '', b.site ?? '')
}

/** Code-unit order, as SQLite's BINARY collation compares ASCII text. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
