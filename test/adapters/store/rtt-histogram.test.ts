import { describe, expect, it } from 'vitest'
import {
  ABSOLUTE_ERROR_MS, RELATIVE_ERROR, addToHistogram, binOf, histogramPercentilesMs, histogramToJson, type RttHistogram,
} from '../../../src/adapters/store/rtt-histogram.ts'
import { mulberry32 } from '../../support/seeded-random.ts'

const FRACTIONS = [0.5, 0.95, 0.99, 0]

function exact(sorted: number[], fraction: number): number {
  return sorted[Math.max(1, Math.ceil(fraction * sorted.length)) - 1] as number
}

function percentilesOf(values: number[]): { estimated: (number | null)[]; exact: number[] } {
  const histogram: RttHistogram = new Map()
  for (const value of values) addToHistogram(histogram, value)
  const sorted = [...values].sort((a, b) => a - b)
  return {
    estimated: histogramPercentilesMs(histogramToJson(histogram), FRACTIONS, sorted[0]!, sorted.at(-1)!),
    exact: FRACTIONS.map((fraction) => exact(sorted, fraction)),
  }
}

describe('RTT histogram', () => {
  it.each([
    ['uniform 5-45 ms', (r: () => number) => 5 + r() * 40],
    ['loopback, below the first bin edge', (r: () => number) => r() * 0.02],
    ['long tail up to 30 s', (r: () => number) => 0.1 * Math.exp(r() * 12.6)],
  ])('reads percentiles within %s of the exact nearest-rank values', (_name, draw) => {
    const random = mulberry32(42)
    for (const count of [1, 2, 7, 100, 5_000]) {
      const { estimated, exact: exactValues } = percentilesOf(Array.from({ length: count }, () => draw(random)))
      estimated.forEach((value, index) => {
        const truth = exactValues[index]!
        expect(Math.abs((value as number) - truth)).toBeLessThanOrEqual(truth * RELATIVE_ERROR + ABSOLUTE_ERROR_MS)
      })
    }
  })

  it('puts larger values in the same or a later bin', () => {
    const values = Array.from({ length: 2_000 }, (_, i) => i * 0.037)
    const bins = values.map(binOf)
    expect(bins).toEqual([...bins].sort((a, b) => a - b))
  })

  it('gives nulls for an empty histogram', () => {
    expect(histogramPercentilesMs('{}', [0.5, 0.95], 1, 2)).toEqual([null, null])
  })
})
