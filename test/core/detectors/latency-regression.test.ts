import { describe, expect, it } from 'vitest'
import { latencyRegression } from '../../../src/core/detectors/latency-regression.ts'
import { ok, repeat, runDetector, sequence } from '../../support/cycles.ts'

const PARAMS = { windowCycles: 3, baselineCycles: 5, factor: 1.5, minIncreaseMs: 20, minSamples: 3 }
const rtts = (baselineMs: number, recentMs: number) =>
  sequence(repeat(5, { par: ok('fra', baselineMs), ber: ok('ber', 20) }), repeat(3, { par: ok('fra', recentMs), ber: ok('ber', 20) }))

describe('latency-regression detector', () => {
  it('fires when the recent median is above the baseline by the factor and by the floor', () => {
    expect(runDetector(latencyRegression, rtts(12, 40), PARAMS)).toEqual([
      expect.objectContaining({
        kind: 'latency-regression',
        scope: 'vantage:par',
        severity: 'warning',
        summary: 'par → fra: median RTT 40 ms over the last 3 cycles, baseline 12 ms',
        evidence: expect.objectContaining({
          sites: ['fra'],
          details: { rttP50RecentMs: 40, rttP50BaselineMs: 12, recentSamples: 3, baselineSamples: 5 },
        }),
      }),
    ])
  })

  it('does not fire for a tiny absolute increase, however large the factor (2 ms → 5 ms)', () => {
    expect(runDetector(latencyRegression, rtts(2, 5), PARAMS)).toEqual([])
  })

  it('does not fire for a small relative increase, however many milliseconds (300 ms → 330 ms)', () => {
    expect(runDetector(latencyRegression, rtts(300, 330), PARAMS)).toEqual([])
  })

  it('leaves an RTT change that comes with a move to another site to the catchment shift', () => {
    const history = sequence(repeat(5, { par: ok('fra', 12) }), repeat(3, { par: ok('ams', 40) }))
    expect(runDetector(latencyRegression, history, PARAMS)).toEqual([])
  })

  it('waits for minSamples on both sides', () => {
    expect(runDetector(latencyRegression, rtts(12, 40).slice(3), PARAMS)).toEqual([])
  })
})
