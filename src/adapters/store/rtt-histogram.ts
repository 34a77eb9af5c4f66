// A compact RTT distribution: counts in log-spaced bins, stored as JSON { "bin": count }.
// Bin 0 holds [0, FIRST_BIN_EDGE_MS); bin i >= 1 holds [FIRST_BIN_EDGE_MS * RATIO^(i-1), FIRST_BIN_EDGE_MS * RATIO^i).
// A percentile is read as its bin's geometric middle, clamped to the exact min and max, so it is within
// RELATIVE_ERROR of the exact nearest-rank value (plus FIRST_BIN_EDGE_MS below the first edge).
import { nearestRank } from './derive.ts'

export const FIRST_BIN_EDGE_MS = 0.01
export const BIN_RATIO = 1.04
/** sqrt(BIN_RATIO) - 1, rounded up: the worst relative error of a percentile read from the histogram. */
export const RELATIVE_ERROR = 0.02
export const ABSOLUTE_ERROR_MS = FIRST_BIN_EDGE_MS

const LOG_RATIO = Math.log(BIN_RATIO)

export type RttHistogram = Map<number, number>

export function binOf(rttMs: number): number {
  if (!(rttMs >= FIRST_BIN_EDGE_MS)) return 0
  return 1 + Math.floor(Math.log(rttMs / FIRST_BIN_EDGE_MS) / LOG_RATIO)
}

/** The value a bin stands for: its geometric middle (half the first edge for bin 0). */
export function binValueMs(bin: number): number {
  if (bin <= 0) return FIRST_BIN_EDGE_MS / 2
  return FIRST_BIN_EDGE_MS * BIN_RATIO ** (bin - 0.5)
}

export function addToHistogram(histogram: RttHistogram, rttMs: number): void {
  const bin = binOf(rttMs)
  histogram.set(bin, (histogram.get(bin) ?? 0) + 1)
}

export function histogramToJson(histogram: RttHistogram): string {
  return JSON.stringify(Object.fromEntries(histogram))
}

/**
 * Nearest-rank percentiles read from a histogram's JSON, each clamped to [minMs, maxMs]; nulls when it
 * is empty. One pass, no sort: an object's integer keys enumerate in ascending order.
 */
export function histogramPercentilesMs(json: string, fractions: readonly number[], minMs: number, maxMs: number): (number | null)[] {
  const counts = JSON.parse(json) as Record<string, number>
  let total = 0
  for (const bin in counts) total += counts[bin] as number
  if (total === 0) return fractions.map(() => null)
  const ranks = fractions.map((fraction) => nearestRank(total, fraction))
  const values: (number | null)[] = fractions.map(() => maxMs)
  let seen = 0
  let next = 0
  const order = ranks.map((rank, index) => [rank, index] as const).sort((a, b) => a[0] - b[0])
  for (const bin in counts) {
    seen += counts[bin] as number
    while (next < order.length && seen >= order[next]![0]) {
      values[order[next]![1]] = Math.min(maxMs, Math.max(minMs, binValueMs(Number(bin))))
      next += 1
    }
    if (next === order.length) break
  }
  return values
}
