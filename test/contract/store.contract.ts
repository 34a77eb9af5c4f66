// What every MonitorStore promises: idempotent writes, ordered reads, rollups within a stated tolerance,
// a compare-and-set on policy state with its outbox, leases that two senders cannot share, the latest
// BGP view per target, the ingest inbox (once per natural key, one cycle per observation, nonces), and retention.
import { beforeEach, describe, expect, it } from 'vitest'
import type { StoredBgpView } from '../../src/core/bgp/source-view.ts'
import type { CycleRecord, Notification } from '../../src/core/findings.ts'
import type { Observation } from '../../src/core/model.ts'
import type { CatchmentEntry, MonitorStore, RetentionSettings, Rollup } from '../../src/ports/store.ts'
import { mulberry32 } from '../support/seeded-random.ts'
import { incident, notification, resolveOf } from '../support/notifications.ts'

/** How far a store's p50/p95 may be from the exact nearest-rank value: relative, plus an absolute floor. */
export const PERCENTILE_TOLERANCE = { relative: 0.02, absoluteMs: 0.01 }

const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000
const MINUTE_MS = 60_000
/** 2026-11-01T00:00:00Z, the start of an hour and of a day. */
const T0 = Date.UTC(2026, 10, 1)

export function observation(overrides: Partial<Observation> = {}): Observation {
  return {
    observedAt: T0,
    vantage: 'fra',
    target: 'k-root',
    address: '193.0.14.129',
    port: 53,
    qname: '.',
    transport: 'udp',
    outcome: 'ok',
    rcode: 0,
    rttMs: 12.5,
    connectMs: null,
    identity: { source: 'nsid', hex: '6b312e616d7331', text: 'k1.ams1' },
    site: 'ams1',
    retriedOverTcp: false,
    ignoredReplies: 0,
    error: null,
    ...overrides,
  }
}

export function timeout(overrides: Partial<Observation> = {}): Observation {
  const { site: _site, ...answered } = observation(overrides)
  return { ...answered, outcome: 'timeout', rcode: null, rttMs: null, identity: null, error: 'no answer before the deadline' }
}

/** A cycle of `target` at `startedAt`; its observations get the cycle's target and start unless they say otherwise. */
export function cycle(startedAt: number, observations: Partial<Observation>[] = [], overrides: Partial<CycleRecord> = {}): CycleRecord {
  const target = overrides.target ?? 'k-root'
  return {
    cycleId: `${target}@${startedAt}`,
    target,
    startedAt,
    observations: observations.map((o) => ('outcome' in o && o.outcome === 'timeout' ? timeout({ target, observedAt: startedAt, ...o }) : observation({ target, observedAt: startedAt, ...o }))),
    missingVantages: [],
    ...overrides,
  }
}

const V4 = '193.0.14.129'
const V6 = '2001:7fd::1'

/** A current catchment entry of k-root, over IPv4 unless it says otherwise, with its transports agreeing. */
function entry(overrides: Partial<CatchmentEntry> & Pick<CatchmentEntry, 'vantage' | 'site' | 'since'>): CatchmentEntry {
  return { target: 'k-root', family: 'ipv4', transports: null, ...overrides }
}

/** A cycle where each vantage got an ok answer from the given site, or no answer for null. */
function catchmentCycle(startedAt: number, sites: Record<string, string | null>): CycleRecord {
  return cycle(startedAt, Object.entries(sites).map(([vantage, site]) => (site === null ? { vantage, outcome: 'timeout' as const } : { vantage, site })))
}

function exactPercentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(1, Math.ceil(fraction * sorted.length)) - 1] as number
}

function expectWithinTolerance(actual: number | null, exact: number): void {
  expect(actual).not.toBeNull()
  expect(Math.abs((actual as number) - exact)).toBeLessThanOrEqual(exact * PERCENTILE_TOLERANCE.relative + PERCENTILE_TOLERANCE.absoluteMs)
}

function outboxOf(n: Notification, ...routes: string[]) {
  return routes.map((route) => ({ route, notification: n }))
}

/** A stored BGP view with one fresh source seeing `peers` peers (no peer listed), and one unavailable. */
function bgpView(checkedAt: number, peers: number): StoredBgpView {
  const common = { collectors: [], totals: null, dumpVisibility: null, origins: [], sites: {}, catchment: {}, peers: [], peersLeftOut: 0, rpki: null, updates: null, gaps: [] }
  return {
    checkedAt,
    prefixes: [{
      prefix: '193.0.14.0/23',
      expectedOriginAsns: [25152],
      sources: [
        {
          ...common, source: 'ripestat', result: 'snapshot', reason: null, fetchedAt: new Date(checkedAt).toISOString(), dataAt: new Date(checkedAt - MINUTE_MS).toISOString(),
          collectors: ['rrc00'], totals: { peersSeeing: peers, peersTotal: null, byCollector: [{ collector: 'rrc00', peersSeeing: peers, peersTotal: null }] },
          origins: [{ originAsn: 25152, peers, expected: true }], sites: { ams1: 'announced' }, catchment: { ams1: peers }, peersLeftOut: peers,
        },
        { ...common, source: 'lg', result: 'unavailable', reason: 'HTTP 500: <b>\u0000</b>', fetchedAt: null, dataAt: null },
      ],
    }],
  }
}

const KEEP_ALL: RetentionSettings = { observationsDays: 10_000, hourlyRollupsDays: 10_000, dailyRollupsDays: 10_000 }

export function storeContract(make: () => Promise<MonitorStore>): void {
  let store: MonitorStore
  beforeEach(async () => {
    store = await make()
    return () => store.close()
  })

  describe('cycles and observations', () => {
    it('returns what it wrote, ordered by observedAt, within [since, until)', async () => {
      await store.writeCycle(cycle(T0 + MINUTE_MS, [{ vantage: 'fra', observedAt: T0 + MINUTE_MS + 5 }, { vantage: 'par', observedAt: T0 + MINUTE_MS + 1 }]))
      await store.writeCycle(cycle(T0, [{ vantage: 'fra', rttMs: 3.25, connectMs: 1.5, transport: 'tcp' }, { vantage: 'par', outcome: 'timeout' }]))
      const all = await store.observations({ target: 'k-root', since: T0, until: T0 + HOUR_MS })
      expect(all.map((o) => [o.observedAt, o.vantage])).toEqual([
        [T0, 'fra'], [T0, 'par'], [T0 + MINUTE_MS + 1, 'par'], [T0 + MINUTE_MS + 5, 'fra'],
      ])
      expect(all[0]).toEqual(observation({ rttMs: 3.25, connectMs: 1.5, transport: 'tcp' }))
      expect(all[1]).toEqual(timeout({ vantage: 'par' }))
      expect(all[1]).not.toHaveProperty('site')
      expect(await store.observations({ target: 'k-root', since: T0 + 1, until: T0 + MINUTE_MS + 5 })).toHaveLength(1)
      expect((await store.observations({ target: 'k-root', since: T0, until: T0 + HOUR_MS, vantage: 'par' })).map((o) => o.observedAt)).toEqual([T0, T0 + MINUTE_MS + 1])
      expect(await store.observations({ target: 'k-root', since: T0, until: T0 + HOUR_MS, limit: 3 })).toHaveLength(3)
      expect(await store.observations({ target: 'other', since: T0, until: T0 + HOUR_MS })).toEqual([])
    })

    it('stores a cycle written twice once, rollups included', async () => {
      const twice = cycle(T0, [{ vantage: 'fra' }, { vantage: 'par' }])
      await store.writeCycle(twice)
      await store.writeCycle(twice)
      expect(await store.observations({ target: 'k-root', since: T0, until: T0 + HOUR_MS })).toHaveLength(2)
      expect(await store.recentCycles('k-root', 10)).toHaveLength(1)
      const rollups = await store.rollups({ target: 'k-root', granularity: 'hour', since: T0, until: T0 + HOUR_MS })
      expect(rollups.map((r) => r.count)).toEqual([1, 1])
    })

    it('returns the newest N cycles oldest first, with their observations and missing vantages', async () => {
      for (let i = 0; i < 5; i += 1) {
        await store.writeCycle(cycle(T0 + i * MINUTE_MS, [{ vantage: 'fra', rttMs: i }], { missingVantages: i === 4 ? [{ vantage: 'par', reason: 'runner crashed' }] : [] }))
      }
      await store.writeCycle(cycle(T0, [], { target: 'other' }))
      const recent = await store.recentCycles('k-root', 3)
      expect(recent.map((c) => c.startedAt)).toEqual([T0 + 2 * MINUTE_MS, T0 + 3 * MINUTE_MS, T0 + 4 * MINUTE_MS])
      expect(recent[2]).toEqual(cycle(T0 + 4 * MINUTE_MS, [{ vantage: 'fra', rttMs: 4 }], { missingVantages: [{ vantage: 'par', reason: 'runner crashed' }] }))
      expect(await store.recentCycles('other', 3)).toEqual([cycle(T0, [], { target: 'other' })])
      expect(await store.recentCycles('k-root', 0)).toEqual([])
    })
  })

  describe('rollups', () => {
    it('gives count, successes and RTT min/p50/p95/max per (target, vantage, site, hour)', async () => {
      const random = mulberry32(7)
      const rtts: number[] = []
      for (let minute = 0; minute < 60; minute += 1) {
        const rttMs = 5 + random() * 40 + (minute % 10 === 0 ? 200 : 0)
        rtts.push(rttMs)
        await store.writeCycle(cycle(T0 + minute * MINUTE_MS, [
          { vantage: 'fra', rttMs },
          minute % 6 === 0 ? { vantage: 'par', outcome: 'timeout' } : { vantage: 'par', site: 'cdg1', rttMs: 2 },
        ]))
      }
      await store.writeCycle(cycle(T0 + HOUR_MS, [{ vantage: 'fra', rttMs: 7 }, { vantage: 'fra', outcome: 'servfail', rcode: 2, rttMs: 900 }]))
      const hourly = await store.rollups({ target: 'k-root', granularity: 'hour', since: T0, until: T0 + 2 * HOUR_MS })
      expect(hourly.map((r) => [r.bucketStart, r.vantage, r.family, r.site, r.count, r.successes])).toEqual([
        [T0, 'fra', 'ipv4', 'ams1', 60, 60],
        [T0, 'par', 'ipv4', null, 10, 0],
        [T0, 'par', 'ipv4', 'cdg1', 50, 50],
        [T0 + HOUR_MS, 'fra', 'ipv4', 'ams1', 2, 1],
      ])
      const fra = hourly[0] as Rollup
      expect(fra).toMatchObject({ target: 'k-root', family: 'ipv4', granularity: 'hour', rttMinMs: Math.min(...rtts), rttMaxMs: Math.max(...rtts) })
      expectWithinTolerance(fra.rttP50Ms, exactPercentile(rtts, 0.5))
      expectWithinTolerance(fra.rttP95Ms, exactPercentile(rtts, 0.95))
      expect(hourly[1]).toMatchObject({ rttMinMs: null, rttP50Ms: null, rttP95Ms: null, rttMaxMs: null })
      expect(hourly[2]).toMatchObject({ rttMinMs: 2, rttP50Ms: 2, rttP95Ms: 2, rttMaxMs: 2 })
      expect(hourly[3]).toMatchObject({ rttMinMs: 7, rttMaxMs: 7, rttP50Ms: 7 })
    })

    it('rolls days up the same way and selects buckets by their start in [since, until)', async () => {
      await store.writeCycle(cycle(T0 + 3 * HOUR_MS, [{ rttMs: 10 }]))
      await store.writeCycle(cycle(T0 + 20 * HOUR_MS, [{ rttMs: 30 }]))
      await store.writeCycle(cycle(T0 + DAY_MS, [{ rttMs: 50 }]))
      const daily = await store.rollups({ target: 'k-root', granularity: 'day', since: T0, until: T0 + DAY_MS })
      expect(daily).toHaveLength(1)
      expect(daily[0]).toMatchObject({ bucketStart: T0, granularity: 'day', count: 2, successes: 2, rttMinMs: 10, rttMaxMs: 30 })
      expectWithinTolerance(daily[0]!.rttP50Ms, 10)
      expectWithinTolerance(daily[0]!.rttP95Ms, 30)
      expect(await store.rollups({ target: 'k-root', granularity: 'hour', since: T0 + HOUR_MS, until: T0 + 20 * HOUR_MS })).toHaveLength(1)
    })

    it('keeps RTT and uptime per address family: one bucket per (vantage, family, site)', async () => {
      for (let minute = 0; minute < 10; minute += 1) {
        await store.writeCycle(cycle(T0 + minute * MINUTE_MS, [
          { vantage: 'fra', address: V4, rttMs: 10 + minute },
          { vantage: 'fra', address: V4, transport: 'tcp', rttMs: 20 + minute },
          minute < 4 ? { vantage: 'fra', address: V6, outcome: 'timeout' } : { vantage: 'fra', address: V6, site: 'lhr1', rttMs: 100 + minute },
        ]))
      }
      for (const granularity of ['hour', 'day'] as const) {
        const rollups = await store.rollups({ target: 'k-root', granularity, since: T0, until: T0 + DAY_MS })
        expect(rollups.map((r) => [r.vantage, r.family, r.site, r.count, r.successes, r.rttMinMs, r.rttMaxMs])).toEqual([
          ['fra', 'ipv4', 'ams1', 20, 20, 10, 29],
          ['fra', 'ipv6', null, 4, 0, null, null],
          ['fra', 'ipv6', 'lhr1', 6, 6, 104, 109],
        ])
        expectWithinTolerance(rollups[2]!.rttP50Ms, 106)
      }
    })
  })

  describe('catchment', () => {
    it('keeps the latest site per vantage and records changes, not first sightings', async () => {
      await store.writeCycle(catchmentCycle(T0, { fra: 'ams1', par: 'cdg1' }))
      await store.writeCycle(catchmentCycle(T0 + MINUTE_MS, { fra: 'ams1', par: 'cdg1' }))
      await store.writeCycle(catchmentCycle(T0 + 2 * MINUTE_MS, { fra: 'lhr1', par: null }))
      await store.writeCycle(catchmentCycle(T0 + 3 * MINUTE_MS, { fra: 'lhr1', par: 'cdg1' }))
      expect(await store.catchment({})).toEqual([
        entry({ vantage: 'fra', site: 'lhr1', since: T0 + 2 * MINUTE_MS }),
        entry({ vantage: 'par', site: 'cdg1', since: T0 + 3 * MINUTE_MS }),
      ])
      expect(await store.catchmentChanges({ target: 'k-root', since: T0, until: T0 + HOUR_MS })).toEqual([
        { target: 'k-root', vantage: 'fra', family: 'ipv4', at: T0 + 2 * MINUTE_MS, from: 'ams1', to: 'lhr1' },
        { target: 'k-root', vantage: 'par', family: 'ipv4', at: T0 + 2 * MINUTE_MS, from: 'cdg1', to: null },
        { target: 'k-root', vantage: 'par', family: 'ipv4', at: T0 + 3 * MINUTE_MS, from: null, to: 'cdg1' },
      ])
      expect(await store.catchmentChanges({ target: 'k-root', since: T0, until: T0 + HOUR_MS, vantage: 'par', limit: 1 })).toEqual([
        { target: 'k-root', vantage: 'par', family: 'ipv4', at: T0 + 2 * MINUTE_MS, from: 'cdg1', to: null },
      ])
    })

    it('takes the most common site of a vantage\'s ok answers (else of its other answers), keeps the site of a missing vantage and ignores older cycles', async () => {
      await store.writeCycle(cycle(T0, [
        { site: 'lhr1' }, { site: 'ams1' }, { site: 'ams1' }, { outcome: 'timeout' }, { outcome: 'refused', rcode: 5, site: 'lhr1' },
        { vantage: 'ber', site: 'lhr1' }, { vantage: 'ber', site: 'ams1' },
        { vantage: 'nyc', site: undefined },
        { vantage: 'sin', outcome: 'servfail', rcode: 2, site: 'sin1' }, { vantage: 'sin', outcome: 'timeout' },
      ]))
      await store.writeCycle(cycle(T0 + MINUTE_MS, [{ vantage: 'par', site: 'cdg1' }], { missingVantages: [{ vantage: 'fra', reason: 'late' }] }))
      await store.writeCycle(catchmentCycle(T0 - MINUTE_MS, { fra: 'lhr1', par: 'lhr1' }))
      await store.writeCycle(cycle(T0, [{ vantage: 'fra', site: 'sin1' }], { target: 'b-root' }))
      expect(await store.catchment({ target: 'k-root' })).toEqual([
        entry({ vantage: 'ber', site: 'ams1', since: T0 }),
        entry({ vantage: 'fra', site: 'ams1', since: T0 }),
        entry({ vantage: 'nyc', site: 'unknown', since: T0 }),
        entry({ vantage: 'par', site: 'cdg1', since: T0 + MINUTE_MS }),
        entry({ vantage: 'sin', site: 'sin1', since: T0 }),
      ])
      expect((await store.catchment({})).map((entry) => entry.target)).toEqual(['b-root', 'k-root', 'k-root', 'k-root', 'k-root', 'k-root'])
      expect(await store.catchmentChanges({ target: 'k-root', since: 0, until: T0 + HOUR_MS })).toEqual([])
    })

    it('keeps catchment per address family: an IPv6 move while IPv4 stays is one IPv6 change and no IPv4 change', async () => {
      const both = (startedAt: number, v4: string, v6: string) => cycle(startedAt, [
        { vantage: 'fra', address: V4, site: v4 }, { vantage: 'fra', address: V4, transport: 'tcp', site: v4 },
        { vantage: 'fra', address: V6, site: v6 }, { vantage: 'fra', address: V6, transport: 'tcp', site: v6 },
      ])
      await store.writeCycle(both(T0, 'ams1', 'ams1'))
      await store.writeCycle(both(T0 + MINUTE_MS, 'ams1', 'lhr1'))
      await store.writeCycle(both(T0 + 2 * MINUTE_MS, 'ams1', 'lhr1'))
      // A cycle that asked only IPv4 leaves the IPv6 site as it was.
      await store.writeCycle(cycle(T0 + 3 * MINUTE_MS, [{ vantage: 'fra', address: V4, site: 'ams1' }]))
      expect(await store.catchment({ target: 'k-root' })).toEqual([
        entry({ vantage: 'fra', family: 'ipv4', site: 'ams1', since: T0 }),
        entry({ vantage: 'fra', family: 'ipv6', site: 'lhr1', since: T0 + MINUTE_MS }),
      ])
      expect(await store.catchmentChanges({ target: 'k-root', since: 0, until: T0 + HOUR_MS })).toEqual([
        { target: 'k-root', vantage: 'fra', family: 'ipv6', at: T0 + MINUTE_MS, from: 'ams1', to: 'lhr1' },
      ])
      expect(await store.catchmentChanges({ target: 'k-root', since: 0, until: T0 + HOUR_MS, family: 'ipv4' })).toEqual([])
      expect(await store.catchmentChanges({ target: 'k-root', since: 0, until: T0 + HOUR_MS, family: 'ipv6' })).toHaveLength(1)
    })

    it('shows the transports\' sites where they disagree, without a change while the family\'s site stays', async () => {
      await store.writeCycle(cycle(T0, [{ vantage: 'fra', address: V6, site: 'ams1' }, { vantage: 'fra', address: V6, transport: 'tcp', site: 'ams1' }]))
      // Two UDP answers from ams1 against one TCP answer from lhr1: the family stays on ams1.
      await store.writeCycle(cycle(T0 + MINUTE_MS, [
        { vantage: 'fra', address: V6, site: 'ams1' }, { vantage: 'fra', address: V6, site: 'ams1' },
        { vantage: 'fra', address: V6, transport: 'tcp', site: 'lhr1' },
      ]))
      expect(await store.catchment({ target: 'k-root' })).toEqual([
        entry({ vantage: 'fra', family: 'ipv6', site: 'ams1', since: T0, transports: { tcp: 'lhr1', udp: 'ams1' } }),
      ])
      await store.writeCycle(cycle(T0 + 2 * MINUTE_MS, [{ vantage: 'fra', address: V6, transport: 'tcp', outcome: 'timeout' }, { vantage: 'fra', address: V6, site: 'ams1' }]))
      expect(await store.catchment({ target: 'k-root' })).toEqual([
        entry({ vantage: 'fra', family: 'ipv6', site: 'ams1', since: T0, transports: { tcp: null, udp: 'ams1' } }),
      ])
      await store.writeCycle(cycle(T0 + 3 * MINUTE_MS, [{ vantage: 'fra', address: V6, site: 'ams1' }, { vantage: 'fra', address: V6, transport: 'tcp', site: 'ams1' }]))
      expect(await store.catchment({ target: 'k-root' })).toEqual([entry({ vantage: 'fra', family: 'ipv6', site: 'ams1', since: T0 })])
      expect(await store.catchmentChanges({ target: 'k-root', since: 0, until: T0 + HOUR_MS })).toEqual([])
    })
  })

  describe('policy state and outbox', () => {
    const trigger = notification()

    it('starts at version 0 and returns the saved state with the next version', async () => {
      expect(await store.loadPolicyState('k-root')).toEqual({ version: 0, state: null })
      expect(await store.savePolicyState('k-root', 0, { open: ['a'] }, [], [])).toBe(true)
      expect(await store.savePolicyState('k-root', 1, { open: ['a', 'b'] }, [], [])).toBe(true)
      expect(await store.loadPolicyState('k-root')).toEqual({ version: 2, state: { open: ['a', 'b'] } })
      expect(await store.loadPolicyState('other')).toEqual({ version: 0, state: null })
    })

    it('refuses a stale version, and then stores nothing of that call', async () => {
      expect(await store.savePolicyState('k-root', 0, { run: 1 }, [], [])).toBe(true)
      expect(await store.savePolicyState('k-root', 0, { run: 2 }, [trigger.incident], outboxOf(trigger, 'slack'))).toBe(false)
      expect(await store.savePolicyState('k-root', 7, { run: 3 }, [trigger.incident], outboxOf(trigger, 'slack'))).toBe(false)
      expect(await store.loadPolicyState('k-root')).toEqual({ version: 1, state: { run: 1 } })
      expect(await store.incidents({})).toEqual([])
      expect(await store.outbox({})).toEqual([])
    })

    it('keeps an outbox item enqueued twice once, and one item per route', async () => {
      await store.savePolicyState('k-root', 0, {}, [trigger.incident], outboxOf(trigger, 'slack', 'pagerduty'))
      await store.savePolicyState('k-root', 1, {}, [trigger.incident], outboxOf(trigger, 'slack'))
      expect(await store.outbox({})).toEqual([
        { id: `${trigger.id}|slack`, route: 'slack', notification: trigger, status: 'pending', attempts: 0, nextAttemptAt: trigger.at, lastError: null },
        { id: `${trigger.id}|pagerduty`, route: 'pagerduty', notification: trigger, status: 'pending', attempts: 0, nextAttemptAt: trigger.at, lastError: null },
      ])
    })

    it('never hands the same item to two concurrent claimers, and leases what it hands out', async () => {
      const notifications = Array.from({ length: 20 }, (_, i) => notification({ id: `n${i}`, at: T0 }))
      await store.savePolicyState('k-root', 0, {}, [], notifications.flatMap((n) => outboxOf(n, 'slack')))
      const claims = await Promise.all(Array.from({ length: 6 }, () => store.claimDueDeliveries(T0, 5, MINUTE_MS)))
      const ids = claims.flat().map((item) => item.id)
      expect(ids).toHaveLength(20)
      expect(new Set(ids).size).toBe(20)
      expect(claims.flat().every((item) => item.attempts === 1 && item.nextAttemptAt === T0 + MINUTE_MS)).toBe(true)
      expect(await store.claimDueDeliveries(T0 + MINUTE_MS - 1, 50, MINUTE_MS)).toEqual([])
      const again = await store.claimDueDeliveries(T0 + MINUTE_MS, 3, MINUTE_MS)
      expect(again.map((item) => [item.id, item.attempts])).toEqual([['n0|slack', 2], ['n1|slack', 2], ['n2|slack', 2]])
    })

    it('respects nextAttemptAt: an item is due from that time on', async () => {
      await store.savePolicyState('k-root', 0, {}, [], outboxOf(trigger, 'slack'))
      expect(await store.claimDueDeliveries(trigger.at - 1, 10, MINUTE_MS)).toEqual([])
      expect(await store.claimDueDeliveries(trigger.at, 0, MINUTE_MS)).toEqual([])
      expect(await store.claimDueDeliveries(trigger.at, 10, MINUTE_MS)).toHaveLength(1)
    })

    it('records retry, failed and delivered, and ignores results for items no longer pending', async () => {
      const resolve = resolveOf(trigger, trigger.at + HOUR_MS)
      await store.savePolicyState('k-root', 0, {}, [], [...outboxOf(trigger, 'slack', 'pagerduty'), ...outboxOf(resolve, 'slack')])
      await store.claimDueDeliveries(resolve.at, 10, MINUTE_MS)
      const [slack, pagerduty, resolveSlack] = [`${trigger.id}|slack`, `${trigger.id}|pagerduty`, `${resolve.id}|slack`]
      await store.recordDelivery(slack, { kind: 'retry', at: resolve.at + 1, nextAttemptAt: resolve.at + 30_000, error: 'HTTP 503' })
      await store.recordDelivery(pagerduty, { kind: 'failed', at: resolve.at + 1, error: 'HTTP 400 invalid routing key' })
      await store.recordDelivery(resolveSlack, { kind: 'delivered', at: resolve.at + 1, detail: 'HTTP 200' })
      await store.recordDelivery(resolveSlack, { kind: 'retry', at: resolve.at + 2, nextAttemptAt: resolve.at + 9, error: 'late' })
      await store.recordDelivery('unknown|slack', { kind: 'failed', at: resolve.at, error: 'x' })
      expect((await store.outbox({})).map((item) => [item.id, item.status, item.attempts, item.nextAttemptAt, item.lastError])).toEqual([
        [slack, 'pending', 1, resolve.at + 30_000, 'HTTP 503'],
        [pagerduty, 'failed', 1, resolve.at + MINUTE_MS, 'HTTP 400 invalid routing key'],
        [resolveSlack, 'delivered', 1, resolve.at + MINUTE_MS, null],
      ])
      expect((await store.outbox({ status: 'pending' })).map((item) => item.id)).toEqual([slack])
      expect(await store.claimDueDeliveries(resolve.at + 29_999, 10, MINUTE_MS)).toEqual([])
      expect((await store.claimDueDeliveries(resolve.at + 30_000, 10, MINUTE_MS)).map((item) => [item.id, item.attempts])).toEqual([[slack, 2]])
    })

    it('stores incidents by key and opening, and queries them by status and target, newest first', async () => {
      const first = incident({ openedAt: T0, status: 'resolved', resolvedAt: T0 + HOUR_MS })
      const second = incident({ openedAt: T0 + DAY_MS })
      const other = incident({ key: 'b-root/site-down/site:fra1', target: 'b-root', openedAt: T0 + HOUR_MS })
      await store.savePolicyState('k-root', 0, {}, [first, { ...second, status: 'open' }], [])
      await store.savePolicyState('k-root', 1, {}, [{ ...second, updates: [...second.updates, { at: T0 + DAY_MS + 1, text: 'still down' }] }], [])
      await store.savePolicyState('b-root', 0, {}, [other], [])
      const all = await store.incidents({})
      expect(all.map((i) => [i.target, i.openedAt])).toEqual([['k-root', T0 + DAY_MS], ['b-root', T0 + HOUR_MS], ['k-root', T0]])
      expect(all[0]?.updates).toHaveLength(2)
      expect(await store.incidents({ status: 'resolved' })).toEqual([first])
      expect((await store.incidents({ target: 'k-root', status: 'open' })).map((i) => i.openedAt)).toEqual([T0 + DAY_MS])
      expect(await store.incidents({ limit: 1 })).toHaveLength(1)
    })
  })

  describe('BGP views', () => {
    it('has no BGP view before the first save, and returns what was saved, per target', async () => {
      expect(await store.bgpView('k-root')).toBeNull()
      await store.saveBgpView('k-root', bgpView(T0, 12))
      await store.saveBgpView('b-root', bgpView(T0, 3))
      expect(await store.bgpView('k-root')).toEqual(bgpView(T0, 12))
      expect(await store.bgpView('b-root')).toEqual(bgpView(T0, 3))
      expect(await store.bgpView('other')).toBeNull()
    })

    it('keeps the latest check only: a later save replaces the view, an earlier one changes nothing', async () => {
      await store.saveBgpView('k-root', bgpView(T0, 12))
      await store.saveBgpView('k-root', bgpView(T0 + MINUTE_MS, 11))
      expect(await store.bgpView('k-root')).toEqual(bgpView(T0 + MINUTE_MS, 11))
      await store.saveBgpView('k-root', bgpView(T0, 12))
      expect(await store.bgpView('k-root')).toEqual(bgpView(T0 + MINUTE_MS, 11))
      await store.saveBgpView('k-root', bgpView(T0 + MINUTE_MS, 10))
      expect(await store.bgpView('k-root')).toEqual(bgpView(T0 + MINUTE_MS, 10))
    })

    it('keeps BGP views through a prune', async () => {
      await store.saveBgpView('k-root', bgpView(T0, 12))
      await store.prune(T0 + 400 * DAY_MS, { observationsDays: 1, hourlyRollupsDays: 1, dailyRollupsDays: 1 })
      expect(await store.bgpView('k-root')).toEqual(bgpView(T0, 12))
    })
  })

  describe('ingest inbox', () => {
    const SECOND_MS = 1_000
    const pushed = (observedAt: number, overrides: Partial<Observation> = {}) => observation({ vantage: 'aws-euw1', observedAt, ...overrides })
    const inbox = (vantage = 'aws-euw1') => store.ingestedObservations({ vantage, since: 0, until: T0 + DAY_MS })
    const times = (observations: Observation[]) => observations.map((o) => o.observedAt)

    it('stores each pushed observation once per natural key (vantage, target, address, transport, observedAt) and counts the new ones', async () => {
      const udp = pushed(T0)
      const tcp = pushed(T0, { transport: 'tcp', connectMs: 1.5, rttMs: 3.25 })
      const timedOut = timeout({ vantage: 'aws-euw1', observedAt: T0 + SECOND_MS })
      expect(await store.ingestObservations([udp, tcp], T0 + 100)).toEqual({ stored: 2 })
      expect(await store.ingestObservations([tcp, timedOut], T0 + 200)).toEqual({ stored: 1 })
      expect(await store.ingestObservations([udp, { ...udp, rttMs: 99 }], T0 + 300)).toEqual({ stored: 0 })
      expect(await store.ingestObservations([pushed(T0, { vantage: 'gcp-usc1' })], T0 + 400)).toEqual({ stored: 1 })
      expect(await inbox()).toEqual([
        { observation: tcp, receivedAt: T0 + 100, cycleStartedAt: null },
        { observation: udp, receivedAt: T0 + 100, cycleStartedAt: null },
        { observation: timedOut, receivedAt: T0 + 200, cycleStartedAt: null },
      ])
      expect((await inbox())[2]?.observation).not.toHaveProperty('site')
      expect(await inbox('gcp-usc1')).toHaveLength(1)
    })

    it('stores a batch pushed twice at the same time once', async () => {
      const batch = Array.from({ length: 60 }, (_, i) => pushed(T0 + i, { transport: i % 2 === 0 ? 'udp' : 'tcp' }))
      const [first, second] = await Promise.all([store.ingestObservations(batch, T0), store.ingestObservations(batch.slice(20), T0 + 1)])
      expect((first?.stored ?? 0) + (second?.stored ?? 0)).toBe(60)
      expect(times((await inbox()).map((row) => row.observation))).toEqual(batch.map((o) => o.observedAt))
    })

    it('hands each pushed observation to one cycle: made before its start and not taken by another cycle', async () => {
      await store.ingestObservations([pushed(T0 - 30 * SECOND_MS), pushed(T0 - 10 * SECOND_MS), pushed(T0 + 5 * SECOND_MS)], T0)
      await store.ingestObservations([pushed(T0 - 10 * SECOND_MS, { vantage: 'gcp-usc1' })], T0)
      const first = await store.takeIngested('aws-euw1', T0)
      expect(first).toEqual([pushed(T0 - 30 * SECOND_MS), pushed(T0 - 10 * SECOND_MS)])
      expect(await store.takeIngested('aws-euw1', T0)).toEqual(first)
      expect(times(await store.takeIngested('aws-euw1', T0 + MINUTE_MS))).toEqual([T0 + 5 * SECOND_MS])
      // Made before the first cycle, arrived after it: the next cycle that asks takes it.
      await store.ingestObservations([pushed(T0 - 20 * SECOND_MS)], T0 + MINUTE_MS + 1)
      expect(times(await store.takeIngested('aws-euw1', T0 + 2 * MINUTE_MS))).toEqual([T0 - 20 * SECOND_MS])
      expect(await store.takeIngested('aws-euw1', T0 + 3 * MINUTE_MS)).toEqual([])
      expect((await inbox()).map((row) => [row.observation.observedAt, row.cycleStartedAt])).toEqual([
        [T0 - 30 * SECOND_MS, T0], [T0 - 20 * SECOND_MS, T0 + 2 * MINUTE_MS], [T0 - 10 * SECOND_MS, T0], [T0 + 5 * SECOND_MS, T0 + MINUTE_MS],
      ])
      expect((await inbox('gcp-usc1')).map((row) => row.cycleStartedAt)).toEqual([null])
    })

    it('never hands one observation to two cycles taking at the same time', async () => {
      await store.ingestObservations(Array.from({ length: 40 }, (_, i) => pushed(T0 + i)), T0)
      const [a = [], b = []] = await Promise.all([store.takeIngested('aws-euw1', T0 + MINUTE_MS), store.takeIngested('aws-euw1', T0 + MINUTE_MS + 1)])
      expect([...times(a), ...times(b)].sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => T0 + i))
    })

    it('remembers a nonce per vantage until it expires, and lets one of two concurrent uses through', async () => {
      const expiresAt = T0 + 10 * MINUTE_MS
      expect(await store.rememberNonce('aws-euw1', 'nonce-0123456789', T0, expiresAt)).toBe(true)
      expect(await store.rememberNonce('aws-euw1', 'nonce-0123456789', T0 + 1, expiresAt + 1)).toBe(false)
      expect(await store.rememberNonce('gcp-usc1', 'nonce-0123456789', T0 + 1, expiresAt + 1)).toBe(true)
      expect(await store.rememberNonce('aws-euw1', 'nonce-0123456789', expiresAt, expiresAt + 10 * MINUTE_MS)).toBe(true)
      const both = await Promise.all([1, 2].map(() => store.rememberNonce('aws-euw1', 'nonce-concurrent', T0, expiresAt)))
      expect(both.filter(Boolean)).toHaveLength(1)
    })

    it('prunes pushed observations older than the observations\' retention, and forgets expired nonces', async () => {
      await store.ingestObservations([pushed(T0), pushed(T0 + 2 * DAY_MS)], T0 + 2 * DAY_MS)
      await store.rememberNonce('aws-euw1', 'nonce-0123456789', T0, T0 + MINUTE_MS)
      await store.prune(T0 + 2 * DAY_MS, { ...KEEP_ALL, observationsDays: 1 })
      expect(times((await store.ingestedObservations({ vantage: 'aws-euw1', since: 0, until: T0 + 3 * DAY_MS })).map((row) => row.observation)))
        .toEqual([T0 + 2 * DAY_MS])
      // Asked as if before its expiry: only a forgotten nonce is new again.
      expect(await store.rememberNonce('aws-euw1', 'nonce-0123456789', T0, T0 + MINUTE_MS)).toBe(true)
    })
  })

  describe('retention', () => {
    it('drops old rows and keeps recent ones', async () => {
      const now = T0 + 10 * DAY_MS
      for (const day of [0, 5, 9]) await store.writeCycle(cycle(T0 + day * DAY_MS, [{ rttMs: day + 1 }]))
      await store.prune(now, KEEP_ALL)
      expect(await store.recentCycles('k-root', 10)).toHaveLength(3)
      await store.prune(now, { observationsDays: 3, hourlyRollupsDays: 7, dailyRollupsDays: 8 })
      expect((await store.recentCycles('k-root', 10)).map((c) => c.startedAt)).toEqual([T0 + 9 * DAY_MS])
      expect((await store.observations({ target: 'k-root', since: 0, until: now })).map((o) => o.rttMs)).toEqual([10])
      const hourly = await store.rollups({ target: 'k-root', granularity: 'hour', since: 0, until: now })
      expect(hourly.map((r) => r.bucketStart)).toEqual([T0 + 5 * DAY_MS, T0 + 9 * DAY_MS])
      const daily = await store.rollups({ target: 'k-root', granularity: 'day', since: 0, until: now })
      expect(daily.map((r) => r.bucketStart)).toEqual([T0 + 5 * DAY_MS, T0 + 9 * DAY_MS])
      expect(await store.catchment({})).toHaveLength(1)
    })

    it('drops finished outbox items and resolved incidents older than the daily retention, keeps pending and open ones', async () => {
      const old = notification({ id: 'old', at: T0 })
      const pending = notification({ id: 'pending', at: T0 })
      const resolved = incident({ openedAt: T0, status: 'resolved', resolvedAt: T0 + HOUR_MS })
      const open = incident({ openedAt: T0 + HOUR_MS })
      await store.savePolicyState('k-root', 0, {}, [resolved, open], [...outboxOf(old, 'slack'), ...outboxOf(pending, 'slack')])
      await store.claimDueDeliveries(T0, 1, MINUTE_MS)
      await store.recordDelivery('old|slack', { kind: 'delivered', at: T0 + 1, detail: 'ok' })
      await store.prune(T0 + 30 * DAY_MS, { observationsDays: 1, hourlyRollupsDays: 1, dailyRollupsDays: 20 })
      expect((await store.outbox({})).map((item) => item.id)).toEqual(['pending|slack'])
      expect((await store.incidents({})).map((i) => i.openedAt)).toEqual([T0 + HOUR_MS])
    })
  })
}
