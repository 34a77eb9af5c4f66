// What every ObservationArchive promises: RTT percentiles per vantage and bucket over ok answers, probes and
// ok answers per vantage and UTC day, the newest observation of each series, a refused record that leaves
// the rest of its batch archived, an identical record taken once, and targets matched exactly whatever
// characters their ids hold.
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { Observation } from '../../src/core/model.ts'
import type { ObservationArchive } from '../../src/ports/observation-archive.ts'
import { observation, timeout } from './store.contract.ts'

const MINUTE_MS = 60_000
const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000
/** 2026-11-01T00:00:00Z, the start of an hour and of a day. */
export const ARCHIVE_T0 = Date.UTC(2026, 10, 1)
/** A clock for archives that check times against their own: two days after ARCHIVE_T0. */
export const ARCHIVE_NOW = ARCHIVE_T0 + 2 * DAY_MS

const at = (ms: number, overrides: Partial<Observation> = {}) => observation({ observedAt: ARCHIVE_T0 + ms, ...overrides })

export function archiveContract(make: () => Promise<ObservationArchive>): void {
  let archive: ObservationArchive

  beforeEach(async () => {
    archive = await make()
  })
  afterEach(async () => {
    await archive.close()
  })

  it('gives RTT percentiles per vantage and bucket, over ok answers only, in [from, until)', async () => {
    const fra = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((rttMs, i) => at(i * MINUTE_MS, { vantage: 'fra', rttMs }))
    const receipt = await archive.archive([
      ...fra,
      timeout({ observedAt: ARCHIVE_T0 + 30 * MINUTE_MS, vantage: 'fra' }),
      at(31 * MINUTE_MS, { vantage: 'fra', outcome: 'servfail', rcode: 2, rttMs: 500, error: 'answered with RCODE SERVFAIL' }),
      at(HOUR_MS, { vantage: 'ams', rttMs: 30 }),
      at(HOUR_MS + MINUTE_MS, { vantage: 'ams', rttMs: 20 }),
      at(3 * HOUR_MS, { vantage: 'ams', rttMs: 99 }),
      at(0, { vantage: 'fra', target: 'other', rttMs: 77 }),
    ])
    expect(receipt).toEqual({ written: 16, rejected: [] })
    expect(await archive.rttSeries({ target: 'k-root', from: ARCHIVE_T0, until: ARCHIVE_T0 + 3 * HOUR_MS, bucketMs: HOUR_MS })).toEqual([
      { vantage: 'fra', bucketStart: ARCHIVE_T0, samples: 10, p50Ms: 5, p95Ms: 10 },
      { vantage: 'ams', bucketStart: ARCHIVE_T0 + HOUR_MS, samples: 2, p50Ms: 20, p95Ms: 30 },
    ])
  })

  it('buckets by any whole number of seconds, aligned on the epoch', async () => {
    await archive.archive([at(0, { rttMs: 4 }), at(89_000, { rttMs: 6 }), at(90_000, { rttMs: 8.5 })])
    expect(await archive.rttSeries({ target: 'k-root', from: ARCHIVE_T0, until: ARCHIVE_T0 + HOUR_MS, bucketMs: 90_000 })).toEqual([
      { vantage: 'fra', bucketStart: ARCHIVE_T0, samples: 2, p50Ms: 4, p95Ms: 6 },
      { vantage: 'fra', bucketStart: ARCHIVE_T0 + 90_000, samples: 1, p50Ms: 8.5, p95Ms: 8.5 },
    ])
  })

  it('counts probes and ok answers per vantage and UTC day', async () => {
    await archive.archive([
      at(HOUR_MS, { vantage: 'fra' }),
      at(2 * HOUR_MS, { vantage: 'fra' }),
      timeout({ observedAt: ARCHIVE_T0 + 3 * HOUR_MS, vantage: 'fra' }),
      timeout({ observedAt: ARCHIVE_T0 + DAY_MS + HOUR_MS, vantage: 'fra' }),
      at(5 * HOUR_MS, { vantage: 'ams' }),
      at(2 * DAY_MS, { vantage: 'ams' }),
    ])
    expect(await archive.uptime({ target: 'k-root', from: ARCHIVE_T0, until: ARCHIVE_T0 + 2 * DAY_MS })).toEqual([
      { vantage: 'ams', dayStart: ARCHIVE_T0, probes: 1, ok: 1 },
      { vantage: 'fra', dayStart: ARCHIVE_T0, probes: 3, ok: 2 },
      { vantage: 'fra', dayStart: ARCHIVE_T0 + DAY_MS, probes: 1, ok: 0 },
    ])
  })

  it('gives the newest observation of each vantage, address and transport since a time', async () => {
    await archive.archive([
      at(0, { vantage: 'fra', transport: 'udp', rttMs: 11 }),
      timeout({ observedAt: ARCHIVE_T0 + MINUTE_MS, vantage: 'fra', transport: 'udp' }),
      at(30_000, { vantage: 'fra', transport: 'tcp', rttMs: 14.25, connectMs: 3.5, site: 'ams1' }),
      at(-HOUR_MS, { vantage: 'ams', transport: 'udp' }),
    ])
    expect(await archive.latest({ target: 'k-root', since: ARCHIVE_T0 })).toEqual([
      { vantage: 'fra', address: '193.0.14.129', transport: 'tcp', observedAt: ARCHIVE_T0 + 30_000, outcome: 'ok', rcode: 0, rttMs: 14.25, site: 'ams1' },
      { vantage: 'fra', address: '193.0.14.129', transport: 'udp', observedAt: ARCHIVE_T0 + MINUTE_MS, outcome: 'timeout', rcode: null, rttMs: null, site: null },
    ])
  })

  it('keeps the rest of a batch when it refuses a record that contradicts one it holds, saying which and why', async () => {
    await archive.archive([at(0), at(MINUTE_MS)])
    const receipt = await archive.archive([at(2 * MINUTE_MS), at(0, { rttMs: 99 }), at(3 * MINUTE_MS)])
    expect(receipt.written).toBe(2)
    expect(receipt.rejected).toEqual([{ index: 1, reason: expect.stringMatching(/\S/) }])
    expect(await archive.uptime({ target: 'k-root', from: ARCHIVE_T0, until: ARCHIVE_T0 + DAY_MS })).toEqual([
      { vantage: 'fra', dayStart: ARCHIVE_T0, probes: 4, ok: 4 },
    ])
    expect(await archive.rttSeries({ target: 'k-root', from: ARCHIVE_T0, until: ARCHIVE_T0 + MINUTE_MS, bucketMs: MINUTE_MS })).toEqual([
      { vantage: 'fra', bucketStart: ARCHIVE_T0, samples: 1, p50Ms: 12.5, p95Ms: 12.5 },
    ])
  })

  it('takes an observation sent again unchanged as the one it holds', async () => {
    expect(await archive.archive([at(0)])).toEqual({ written: 1, rejected: [] })
    expect(await archive.archive([at(0)])).toEqual({ written: 1, rejected: [] })
    expect(await archive.uptime({ target: 'k-root', from: ARCHIVE_T0, until: ARCHIVE_T0 + DAY_MS })).toEqual([
      { vantage: 'fra', dayStart: ARCHIVE_T0, probes: 1, ok: 1 },
    ])
  })

  it('matches a target exactly, whatever quotes or SQL its id holds', async () => {
    const targets = ["o'hare", 'o', "x' OR 'a'='a", 'say "hi"']
    await archive.archive(targets.map((target, i) => at(i * MINUTE_MS, { target })))
    for (const target of targets) {
      const days = await archive.uptime({ target, from: ARCHIVE_T0, until: ARCHIVE_T0 + DAY_MS })
      expect(days, target).toEqual([{ vantage: 'fra', dayStart: ARCHIVE_T0, probes: 1, ok: 1 }])
      expect((await archive.latest({ target, since: ARCHIVE_T0 })).map((latest) => latest.observedAt), target).toEqual([ARCHIVE_T0 + targets.indexOf(target) * MINUTE_MS])
    }
    expect(await archive.uptime({ target: 'nobody', from: ARCHIVE_T0, until: ARCHIVE_T0 + DAY_MS })).toEqual([])
  })
}
