import { describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../src/adapters/store/memory.ts'
import { createRollupCache, type RollupQuery } from '../../src/app/rollup-cache.ts'
import type { Observation } from '../../src/core/model.ts'
import type { MonitorStore } from '../../src/ports/store.ts'

const MINUTE_MS = 60_000
const HOUR_MS = 3_600_000
const T0 = Date.UTC(2026, 10, 22)

function observation(at: number, rttMs: number): Observation {
  return {
    observedAt: at, vantage: 'par', target: 'k-root', address: '192.0.2.1', port: 53, qname: '.', transport: 'udp', outcome: 'ok', rcode: 0,
    rttMs, connectMs: null, identity: null, site: 'fra', retriedOverTcp: false, ignoredReplies: 0, error: null,
  }
}

async function storeWithHours(hours: number): Promise<MonitorStore> {
  const store = createMemoryStore()
  for (let minute = 0; minute < hours * 60; minute += 10) await write(store, T0 + minute * MINUTE_MS, 10 + minute / 60)
  return store
}

async function write(store: MonitorStore, at: number, rttMs: number): Promise<void> {
  await store.writeCycle({ cycleId: `k-root@${at}`, target: 'k-root', startedAt: at, observations: [observation(at, rttMs)], missingVantages: [] })
}

function counting(store: MonitorStore, log: RollupQuery[]): Pick<MonitorStore, 'rollups'> {
  return { rollups: (query) => (log.push(query), store.rollups(query)) }
}

describe('the rollup cache', () => {
  const window = (nowMs: number): RollupQuery => ({ target: 'k-root', granularity: 'hour', since: nowMs - 6 * HOUR_MS, until: nowMs + 1 })

  it('answers what the store answers', async () => {
    const store = await storeWithHours(8)
    let nowMs = T0 + 7 * HOUR_MS + 30 * MINUTE_MS
    const cached = createRollupCache(store, { refreshMs: 5 * MINUTE_MS, nowMs: () => nowMs })
    expect(await cached(window(nowMs))).toEqual(await store.rollups(window(nowMs)))
    nowMs += MINUTE_MS
    expect(await cached(window(nowMs))).toEqual(await store.rollups(window(nowMs)))
  })

  it('asks the store only for the current bucket until the hour turns, then for the one that closed', async () => {
    const store = await storeWithHours(8)
    const asked: RollupQuery[] = []
    let nowMs = T0 + 7 * HOUR_MS + 30 * MINUTE_MS
    const cached = createRollupCache(counting(store, asked), { refreshMs: HOUR_MS, nowMs: () => nowMs })
    await cached(window(nowMs))
    asked.length = 0
    nowMs += 10 * MINUTE_MS
    await cached(window(nowMs))
    expect(asked.map((query) => [query.since, query.until])).toEqual([[T0 + 7 * HOUR_MS, nowMs + 1]])
    asked.length = 0
    nowMs = T0 + 8 * HOUR_MS + 5 * MINUTE_MS
    await write(store, T0 + 8 * HOUR_MS, 99)
    expect(await cached(window(nowMs))).toEqual(await store.rollups(window(nowMs)))
    expect(asked.map((query) => [query.since, query.until])).toEqual([[T0 + 7 * HOUR_MS, T0 + 8 * HOUR_MS], [T0 + 8 * HOUR_MS, nowMs + 1]])
  })

  it('reads completed buckets again after refreshMs, so a late cycle shows up', async () => {
    const store = await storeWithHours(8)
    let nowMs = T0 + 7 * HOUR_MS + 30 * MINUTE_MS
    const cached = createRollupCache(store, { refreshMs: 5 * MINUTE_MS, nowMs: () => nowMs })
    await cached(window(nowMs))
    await write(store, T0 + 3 * HOUR_MS + 5 * MINUTE_MS, 500)
    nowMs += MINUTE_MS
    expect(await cached(window(nowMs))).not.toEqual(await store.rollups(window(nowMs)))
    nowMs += 5 * MINUTE_MS
    expect(await cached(window(nowMs))).toEqual(await store.rollups(window(nowMs)))
  })
})
