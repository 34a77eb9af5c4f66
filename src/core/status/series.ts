// Rollups (per target, vantage, site and bucket) reshaped for the charts: RTT per vantage over time,
// and answered/asked per vantage or per site per day. Only rollups: charts never read raw observations.
import type { RollupRow } from './store-rows.ts'

export interface RttPoint {
  bucketStart: number
  /** Success-weighted mean of the bucket's per-site medians: exact when the vantage stayed on one site. */
  p50Ms: number
  p95Ms: number
}

export interface Tally {
  count: number
  successes: number
}

/** Per vantage, its RTT points in bucket order (buckets without an answer are left out: gaps). */
export function rttSeriesByVantage(rollups: readonly RollupRow[]): Map<string, RttPoint[]> {
  const byVantage = new Map<string, Map<number, { weight: number; p50: number; p95: number }>>()
  for (const rollup of rollups) {
    if (rollup.successes === 0 || rollup.rttP50Ms === null || rollup.rttP95Ms === null) continue
    const buckets = byVantage.get(rollup.vantage) ?? new Map<number, { weight: number; p50: number; p95: number }>()
    byVantage.set(rollup.vantage, buckets)
    const sum = buckets.get(rollup.bucketStart) ?? { weight: 0, p50: 0, p95: 0 }
    buckets.set(rollup.bucketStart, { weight: sum.weight + rollup.successes, p50: sum.p50 + rollup.rttP50Ms * rollup.successes, p95: sum.p95 + rollup.rttP95Ms * rollup.successes })
  }
  return new Map(
    [...byVantage].map(([vantage, buckets]) => [
      vantage,
      [...buckets]
        .sort(([a], [b]) => a - b)
        .map(([bucketStart, sum]) => ({ bucketStart, p50Ms: sum.p50 / sum.weight, p95Ms: sum.p95 / sum.weight })),
    ]),
  )
}

/** Per vantage, per bucket start: how many queries it sent and how many were answered ok. */
export function tallyByVantage(rollups: readonly RollupRow[]): Map<string, Map<number, Tally>> {
  const tallies = new Map<string, Map<number, Tally>>()
  for (const rollup of rollups) addTally(tallies, rollup.vantage, rollup.bucketStart, rollup)
  return tallies
}

/**
 * Per site, per bucket start: queries that landed on it and how many were answered ok. A query without
 * an answer names no site, so it is charged to the site its vantage reached most in that bucket: a site
 * that stops answering must not look healthier for it. Queries of a vantage that reached no site in the
 * bucket are charged to none.
 */
export function tallyBySite(rollups: readonly RollupRow[]): Map<string, Map<number, Tally>> {
  const tallies = new Map<string, Map<number, Tally>>()
  const groups = new Map<string, RollupRow[]>()
  for (const rollup of rollups) {
    const key = `${rollup.bucketStart}|${rollup.vantage}`
    const group = groups.get(key)
    if (group) group.push(rollup)
    else groups.set(key, [rollup])
  }
  for (const group of groups.values()) {
    const named = group.filter((rollup) => rollup.site !== null)
    const dominant = named.reduce<RollupRow | null>((best, rollup) => (best === null || rollup.count > best.count ? rollup : best), null)
    for (const rollup of group) {
      const site = rollup.site ?? dominant?.site ?? null
      if (site !== null) addTally(tallies, site, rollup.bucketStart, rollup)
    }
  }
  return tallies
}

function addTally(tallies: Map<string, Map<number, Tally>>, key: string, bucketStart: number, rollup: Tally): void {
  const buckets = tallies.get(key) ?? new Map<number, Tally>()
  tallies.set(key, buckets)
  const tally = buckets.get(bucketStart) ?? { count: 0, successes: 0 }
  buckets.set(bucketStart, { count: tally.count + rollup.count, successes: tally.successes + rollup.successes })
}

/** successes / count over all buckets; null without a query. */
export function uptimeOf(buckets: Iterable<Tally>): number | null {
  let count = 0
  let successes = 0
  for (const tally of buckets) {
    count += tally.count
    successes += tally.successes
  }
  return count === 0 ? null : successes / count
}
