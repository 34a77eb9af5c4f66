import { describe, expect, it } from 'vitest'
import { lastDays, renderRttChart, renderUptimeBars, ticksEvery, uptimeDays } from '../../../src/core/status/charts.ts'

const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000
const T0 = Date.UTC(2026, 10, 22)

describe('renderRttChart', () => {
  const base = { id: 'c', title: 'RTT from Paris', windowStart: T0, windowEnd: T0 + 6 * HOUR_MS, bucketMs: HOUR_MS, ticks: [T0 + 3 * HOUR_MS], tickLabel: () => '03:00' }

  it('is an image with a title and a description of the figures', () => {
    const svg = renderRttChart({ ...base, points: [{ bucketStart: T0, p50Ms: 10, p95Ms: 14 }, { bucketStart: T0 + HOUR_MS, p50Ms: 12, p95Ms: 30 }] }).markup
    expect(svg).toContain('role="img" aria-labelledby="c-title c-desc"')
    expect(svg).toContain('<title id="c-title">RTT from Paris</title>')
    expect(svg).toContain('Median RTT between 10.0 ms and 12.0 ms; 95th percentile up to 30.0 ms; 2 buckets with answers.')
    expect(svg).toContain('>50 ms</text>')
    expect(svg).toContain('>03:00</text>')
  })

  it('breaks the line where a bucket is missing instead of bridging the gap', () => {
    const svg = renderRttChart({ ...base, points: [0, 1, 4, 5].map((hour) => ({ bucketStart: T0 + hour * HOUR_MS, p50Ms: 10, p95Ms: 12 })) }).markup
    expect(svg.match(/stroke="#1d4ed8"/g)).toHaveLength(2)
  })

  it('says so when there is no answer in the window', () => {
    expect(renderRttChart({ ...base, points: [] }).markup).toContain('no answers in this window')
  })
})

describe('renderUptimeBars', () => {
  it('draws one bar per day with its uptime in a tooltip, grey without data', () => {
    const days = lastDays(T0 + 5 * HOUR_MS, 3)
    expect(days).toEqual([T0 - 2 * DAY_MS, T0 - DAY_MS, T0])
    const svg = renderUptimeBars({ label: 'Vantage par: 99.93%', days: uptimeDays(T0 + 5 * HOUR_MS, 3), tallies: new Map([[T0, { count: 1440, successes: 1439 }]]) }).markup
    expect(svg).toContain('aria-label="Vantage par: 99.93%"')
    expect(svg.match(/<rect /g)).toHaveLength(3)
    expect(svg).toContain('<title>2026-11-22: 99.93%, 1439/1440</title>')
    expect(svg).toContain('<title>2026-11-20: no data</title>')
  })
})

describe('ticksEvery', () => {
  it('aligns ticks to multiples of the step inside the window', () => {
    expect(ticksEvery(T0 + 1, T0 + 13 * HOUR_MS, 6 * HOUR_MS)).toEqual([T0 + 6 * HOUR_MS, T0 + 12 * HOUR_MS])
  })
})
