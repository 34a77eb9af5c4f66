import { describe, expect, it } from 'vitest'
import { rttSeriesByVantage, tallyBySite, tallyByVantage, uptimeOf } from '../../../src/core/status/series.ts'
import type { Rollup } from '../../../src/ports/store.ts'

const HOUR_MS = 3_600_000
const T0 = Date.UTC(2026, 10, 22)

function rollup(overrides: Partial<Rollup>): Rollup {
  return {
    target: 'k-root', vantage: 'par', family: 'ipv4', site: 'fra', granularity: 'hour', bucketStart: T0, count: 60, successes: 60,
    rttMinMs: 5, rttP50Ms: 10, rttP95Ms: 20, rttMaxMs: 30, ...overrides,
  }
}

describe('rttSeriesByVantage', () => {
  it('gives one point per bucket with answers, in time order, leaving gaps where there were none', () => {
    const series = rttSeriesByVantage([
      rollup({ bucketStart: T0 + 2 * HOUR_MS }),
      rollup({ bucketStart: T0 }),
      rollup({ bucketStart: T0 + HOUR_MS, site: null, successes: 0, rttP50Ms: null, rttP95Ms: null }),
    ])
    expect(series.get('par')?.map((point) => point.bucketStart)).toEqual([T0, T0 + 2 * HOUR_MS])
  })

  it('weights the sites of a bucket by their answers when a vantage moved within it', () => {
    const [point] = rttSeriesByVantage([rollup({ site: 'fra', successes: 30, rttP50Ms: 10, rttP95Ms: 20 }), rollup({ site: 'ams', successes: 10, rttP50Ms: 50, rttP95Ms: 60 })]).get('par') ?? []
    expect(point).toEqual({ bucketStart: T0, p50Ms: 20, p95Ms: 30 })
  })
})

describe('tallies', () => {
  it('adds up a vantage\'s queries and answers per bucket over its sites', () => {
    const tallies = tallyByVantage([rollup({ count: 58, successes: 58 }), rollup({ site: null, count: 2, successes: 0 })])
    expect(tallies.get('par')?.get(T0)).toEqual({ count: 60, successes: 58 })
  })

  it('charges a site for the unanswered queries of the vantages that reached it most in that bucket', () => {
    const tallies = tallyBySite([
      rollup({ site: 'fra', count: 40, successes: 40 }),
      rollup({ site: 'ams', count: 10, successes: 10 }),
      rollup({ site: null, count: 10, successes: 0 }),
      rollup({ vantage: 'ber', site: null, count: 60, successes: 0 }),
    ])
    expect(tallies.get('fra')?.get(T0)).toEqual({ count: 50, successes: 40 })
    expect(tallies.get('ams')?.get(T0)).toEqual({ count: 10, successes: 10 })
    expect([...tallies.keys()].sort()).toEqual(['ams', 'fra'])
  })

  it('computes uptime as answered over asked, null without queries', () => {
    expect(uptimeOf([{ count: 100, successes: 99 }, { count: 100, successes: 100 }])).toBe(0.995)
    expect(uptimeOf([])).toBeNull()
  })
})
