// Runs inside workerd against the local D1 binding, with the schema of migrations/ applied by
// apply-d1-migrations.ts: the store contract, then what D1's batches must guarantee without transactions.
import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { createD1Store } from '../../src/adapters/store/d1.ts'
import { createMemoryStore } from '../../src/adapters/store/memory.ts'
import { StoreError } from '../../src/adapters/store/store-error.ts'
import type { CycleRecord } from '../../src/core/findings.ts'
import type { MonitorStore } from '../../src/ports/store.ts'
import { cycle, storeContract } from '../contract/store.contract.ts'
import { incident, notification } from '../support/notifications.ts'
import { mulberry32 } from '../support/seeded-random.ts'

const T0 = Date.UTC(2026, 10, 1)
const MINUTE_MS = 60_000
const DAY_MS = 86_400_000
const LEASE_MS = 600_000

/** Deletes every row of the store's tables (not of D1's own, nor of d1_migrations): each test starts empty. */
async function emptyDatabase(db: D1Database): Promise<void> {
  const { results } = await db.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT GLOB 'sqlite_*' AND name NOT GLOB '_cf_*' AND name <> 'd1_migrations'",
  ).all<{ name: string }>()
  expect(results.map((row) => row.name)).toContain('cycles')
  await db.batch(results.map((row) => db.prepare(`DELETE FROM "${row.name}"`)))
}

async function emptyStore(): Promise<MonitorStore> {
  await emptyDatabase(env.DB)
  return createD1Store(env.DB)
}

describe('d1 store', () => storeContract(emptyStore))

describe('d1 store without transactions', () => {
  let store: MonitorStore
  beforeEach(async () => {
    store = await emptyStore()
  })

  it('lets exactly one of two concurrent saves for the same version win, and keeps only the winner\'s incidents and outbox', async () => {
    await store.savePolicyState('k-root', 0, { by: 'setup' }, [], [])
    const save = (name: string) => store.savePolicyState(
      'k-root', 1, { by: name },
      [incident({ key: `k-root/site-down/${name}`, scope: name })],
      [{ route: 'slack', notification: notification({ id: `from-${name}` }) }],
    )
    const results = await Promise.all([save('a'), save('b')])
    expect(results.filter(Boolean)).toHaveLength(1)
    const winner = results[0] ? 'a' : 'b'
    expect(await store.loadPolicyState('k-root')).toEqual({ version: 2, state: { by: winner } })
    expect((await store.incidents({})).map((i) => i.key)).toEqual([`k-root/site-down/${winner}`])
    expect((await store.outbox({})).map((item) => item.id)).toEqual([`from-${winner}|slack`])
  })

  it('lets exactly one of two concurrent first saves of a target win', async () => {
    const results = await Promise.all(['a', 'b'].map((name) =>
      store.savePolicyState('k-root', 0, { by: name }, [], [{ route: 'slack', notification: notification({ id: `from-${name}` }) }])))
    expect(results.filter(Boolean)).toHaveLength(1)
    expect((await store.outbox({})).map((item) => item.id)).toEqual([`from-${results[0] ? 'a' : 'b'}|slack`])
  })

  it('never hands the same outbox item to two of 8 concurrent claimers taking 2 at a time', async () => {
    const outbox = Array.from({ length: 120 }, (_, i) => ({ route: 'slack', notification: notification({ id: `n${i}`, at: T0 }) }))
    await store.savePolicyState('k-root', 0, {}, [], outbox)
    const claimer = async (): Promise<string[]> => {
      const claimed: string[] = []
      for (;;) {
        const items = await store.claimDueDeliveries(T0, 2, LEASE_MS)
        if (items.length === 0) return claimed
        claimed.push(...items.map((item) => item.id))
      }
    }
    const claimed = (await Promise.all(Array.from({ length: 8 }, claimer))).flat()
    expect(claimed).toHaveLength(120)
    expect(new Set(claimed).size).toBe(120)
  })

  it('stores a cycle written twice at the same time once, rollups included', async () => {
    const twice = cycle(T0, [{ vantage: 'fra' }, { vantage: 'par', site: 'cdg1' }])
    await Promise.all([store.writeCycle(twice), store.writeCycle(twice)])
    expect(await store.recentCycles('k-root', 10)).toEqual([twice])
    expect((await store.rollups({ target: 'k-root', granularity: 'hour', since: T0, until: T0 + DAY_MS })).map((r) => r.count)).toEqual([1, 1])
  })

  it('writes cycles with more rows than one statement may carry exactly as the memory store does', async () => {
    const random = mulberry32(11)
    const vantages = Array.from({ length: 40 }, (_, i) => `v${String(i).padStart(2, '0')}`)
    const sites = ['ams1', 'lhr1', 'fra1', 'cdg1']
    const big = (startedAt: number): CycleRecord => cycle(startedAt, vantages.flatMap((vantage) =>
      Array.from({ length: 3 }, () => (random() < 0.1
        ? { vantage, outcome: 'timeout' as const }
        : { vantage, site: sites[Math.floor(random() * sites.length)]!, rttMs: 1 + Math.round(random() * 8000) / 100 }))))
    const cycles = [big(T0), big(T0 + MINUTE_MS), big(T0 + 2 * MINUTE_MS)]
    const reference = createMemoryStore()
    for (const each of cycles) {
      await store.writeCycle(each)
      await reference.writeCycle(each)
    }
    const everything = async (s: MonitorStore) => ({
      cycles: await s.recentCycles('k-root', 10),
      rollups: (await s.rollups({ target: 'k-root', granularity: 'hour', since: 0, until: T0 + DAY_MS }))
        .map((r) => [r.vantage, r.site, r.count, r.successes, r.rttMinMs, r.rttMaxMs]),
      catchment: await s.catchment({}),
      changes: await s.catchmentChanges({ target: 'k-root', since: 0, until: T0 + DAY_MS }),
    })
    const expected = await everything(reference)
    expect(expected.cycles.flatMap((c) => c.observations)).toHaveLength(360)
    expect(expected.catchment).toHaveLength(40)
    expect(expected.changes.length).toBeGreaterThan(20)
    expect(await everything(store)).toEqual(expected)
  })

  it('saves more incidents and outbox items than one statement may carry, or none of them when the version is stale', async () => {
    const incidents = Array.from({ length: 25 }, (_, i) => incident({ key: `k-root/site-down/site:s${i}`, openedAt: T0 + i }))
    const outbox = Array.from({ length: 45 }, (_, i) => ({ route: i % 2 ? 'slack' : 'pagerduty', notification: notification({ id: `n${i}` }) }))
    expect(await store.savePolicyState('k-root', 0, {}, incidents, outbox)).toBe(true)
    expect(await store.savePolicyState('b-root', 3, {}, incidents.map((i) => ({ ...i, target: 'b-root', key: `b-${i.key}` })), outbox)).toBe(false)
    expect(await store.incidents({})).toHaveLength(25)
    expect((await store.outbox({})).map((item) => item.id)).toEqual(outbox.map(({ route, notification: n }) => `${n.id}|${route}`))
  })

  it('fails with a StoreError that names its origin and keeps the cause, and refuses work once closed', async () => {
    const failure = new Error('D1_ERROR: no such table: cycles')
    const broken = { prepare: () => { throw failure }, batch: () => Promise.reject(failure) } as unknown as D1Database
    const error = await createD1Store(broken).recentCycles('k-root', 1).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(StoreError)
    expect(error).toMatchObject({ origin: 'store:d1', message: expect.stringMatching(/recentCycles failed: D1_ERROR/), cause: failure })
    await store.close()
    await expect(store.outbox({})).rejects.toThrow(/store:d1: the store is closed/)
  })
})
