import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { applyMigrations, loadMigrations, type Migration } from '../../../src/adapters/store/migrations.ts'
import { createSqliteStore, migrationTargetOf } from '../../../src/adapters/store/sqlite.ts'
import { StoreError } from '../../../src/adapters/store/store-error.ts'
import { cycle, storeContract } from '../../contract/store.contract.ts'
import { notification } from '../../support/notifications.ts'
import { mulberry32 } from '../../support/seeded-random.ts'

const run = promisify(execFile)
const RACER = fileURLToPath(new URL('./sqlite-racer.ts', import.meta.url))
const RACERS = 4
/** Time for the racers to start and open the file before they all go at once. */
const RACE_START_DELAY_MS = 2_500
const T0 = Date.UTC(2026, 10, 1)
const MINUTE_MS = 60_000
const DAY_MS = 86_400_000

const dir = mkdtempSync(join(tmpdir(), 'store-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const newFile = (): string => join(dir, `store-${(files += 1)}.db`)

describe('sqlite store, in memory', () => storeContract(async () => createSqliteStore({ path: ':memory:' })))
describe('sqlite store, on a file', () => storeContract(async () => createSqliteStore({ path: newFile() })))

function appliedMigrations(path: string): { name: string; applied_at: number }[] {
  const db = new Database(path, { readonly: true })
  try {
    return db.prepare('SELECT name, applied_at FROM schema_migrations ORDER BY name').all() as { name: string; applied_at: number }[]
  } finally {
    db.close()
  }
}

describe('sqlite store on a file', () => {
  it('loses nothing across a restart and re-applies no migration', async () => {
    const path = newFile()
    let nowMs = T0
    const clock = { nowMs: () => nowMs }
    const trigger = notification()
    const first = createSqliteStore({ path, clock })
    await first.writeCycle(cycle(T0, [{ vantage: 'fra' }, { vantage: 'par', site: 'cdg1' }]))
    await first.savePolicyState('k-root', 0, { open: 1 }, [trigger.incident], [{ route: 'slack', notification: trigger }])
    const claimed = await first.claimDueDeliveries(trigger.at, 10, MINUTE_MS)
    await first.close()
    const migrationsBefore = appliedMigrations(path)
    expect(migrationsBefore.map((m) => m.name)).toEqual(loadMigrations().map((m) => m.name))

    nowMs = T0 + 1_000
    const second = createSqliteStore({ path, clock })
    expect(appliedMigrations(path)).toEqual(migrationsBefore)
    await second.writeCycle(cycle(T0, [{ vantage: 'fra' }, { vantage: 'par', site: 'cdg1' }]))
    expect(await second.recentCycles('k-root', 10)).toEqual([cycle(T0, [{ vantage: 'fra' }, { vantage: 'par', site: 'cdg1' }])])
    expect((await second.rollups({ target: 'k-root', granularity: 'hour', since: T0, until: T0 + MINUTE_MS })).map((r) => r.count)).toEqual([1, 1])
    expect(await second.catchment({})).toHaveLength(2)
    expect(await second.loadPolicyState('k-root')).toEqual({ version: 1, state: { open: 1 } })
    expect(await second.savePolicyState('k-root', 1, { open: 1 }, [], [{ route: 'slack', notification: trigger }])).toBe(true)
    expect(await second.outbox({})).toEqual(claimed)
    expect(await second.claimDueDeliveries(trigger.at + MINUTE_MS - 1, 10, MINUTE_MS)).toEqual([])
    await second.close()
  })

  it('upgrades a database of the first schema on open, keeping its rows', async () => {
    const path = newFile()
    const old = new Database(path)
    applyMigrations(migrationTargetOf(old), loadMigrations().slice(0, 1), () => T0)
    old.prepare('INSERT INTO cycles (cycle_id, target, started_at, missing_vantages) VALUES (?, ?, ?, ?)').run(`k-root@${T0}`, 'k-root', T0, '[]')
    old.close()
    const upgraded = createSqliteStore({ path })
    expect(appliedMigrations(path).map((m) => m.name)).toEqual(loadMigrations().map((m) => m.name))
    expect(await upgraded.recentCycles('k-root', 10)).toEqual([cycle(T0)])
    await upgraded.saveBgpView('k-root', { checkedAt: T0, prefixes: [] })
    expect(await upgraded.bgpView('k-root')).toEqual({ checkedAt: T0, prefixes: [] })
    await upgraded.close()
  })

  it('upgrades a database of schema 3 to catchment and rollups per family (0004), filing old rows under the families each vantage asked', async () => {
    const path = newFile()
    const old = new Database(path)
    applyMigrations(migrationTargetOf(old), loadMigrations().filter((m) => m.name < '0004'), () => T0)
    const cycleRef = Number(old.prepare('INSERT INTO cycles (cycle_id, target, started_at, missing_vantages) VALUES (?, ?, ?, ?)').run(`k-root@${T0}`, 'k-root', T0, '[]').lastInsertRowid)
    const observe = old.prepare(`INSERT INTO observations (cycle_ref, observed_at, target, vantage, address, port, qname, transport, outcome,
      retried_over_tcp, ignored_replies) VALUES (?, ?, 'k-root', ?, ?, 53, '.', 'udp', 'ok', 0, 0)`)
    observe.run(cycleRef, T0, 'fra', '193.0.14.129')
    observe.run(cycleRef, T0, 'fra', '2001:7fd::1')
    observe.run(cycleRef, T0, 'par', '2001:7fd::1')
    const current = old.prepare('INSERT INTO catchment_current (target, vantage, site, since) VALUES (?, ?, ?, ?)')
    current.run('k-root', 'fra', 'ams1', T0 - DAY_MS)
    current.run('k-root', 'par', '', T0 - DAY_MS)
    current.run('k-root', 'sin', 'sin1', T0 - 2 * DAY_MS)
    old.prepare("INSERT INTO catchment_changes (target, vantage, at, from_site, to_site, cycle_id) VALUES ('k-root', 'fra', ?, 'lhr1', 'ams1', 'c1')").run(T0 - DAY_MS)
    old.prepare(`INSERT INTO rollups_hourly (target, bucket_start, vantage, site, count, successes, rtt_count, rtt_min_ms, rtt_max_ms, rtt_histogram)
      VALUES ('k-root', ?, 'fra', 'ams1', 3, 3, 3, 5, 7, '{"163":3}')`).run(T0 - DAY_MS)
    old.close()

    const upgraded = createSqliteStore({ path })
    expect(appliedMigrations(path).map((m) => m.name)).toEqual(loadMigrations().map((m) => m.name))
    expect(await upgraded.catchment({})).toEqual([
      { target: 'k-root', vantage: 'fra', family: 'ipv4', site: 'ams1', since: T0 - DAY_MS, transports: null },
      { target: 'k-root', vantage: 'fra', family: 'ipv6', site: 'ams1', since: T0 - DAY_MS, transports: null },
      { target: 'k-root', vantage: 'par', family: 'ipv6', site: null, since: T0 - DAY_MS, transports: null },
      { target: 'k-root', vantage: 'sin', family: 'ipv4', site: 'sin1', since: T0 - 2 * DAY_MS, transports: null },
    ])
    expect(await upgraded.catchmentChanges({ target: 'k-root', since: 0, until: T0 })).toEqual([
      { target: 'k-root', vantage: 'fra', family: 'ipv4', at: T0 - DAY_MS, from: 'lhr1', to: 'ams1' },
      { target: 'k-root', vantage: 'fra', family: 'ipv6', at: T0 - DAY_MS, from: 'lhr1', to: 'ams1' },
    ])
    await upgraded.writeCycle(cycle(T0 - DAY_MS + MINUTE_MS, [{ vantage: 'fra', rttMs: 6 }]))
    const rollups = await upgraded.rollups({ target: 'k-root', granularity: 'hour', since: 0, until: T0 })
    expect(rollups.map((r) => [r.vantage, r.family, r.site, r.count, r.rttMinMs, r.rttMaxMs])).toEqual([
      ['fra', null, 'ams1', 3, 5, 7],
      ['fra', 'ipv4', 'ams1', 1, 6, 6],
    ])
    await upgraded.close()
  })

  it('lets only one of two store instances on the same file win a save for the same version', async () => {
    const path = newFile()
    const a = createSqliteStore({ path })
    const b = createSqliteStore({ path })
    const [seenByA, seenByB] = [await a.loadPolicyState('k-root'), await b.loadPolicyState('k-root')]
    expect(await a.savePolicyState('k-root', seenByA.version, 'a', [], [{ route: 'slack', notification: notification({ id: 'a' }) }])).toBe(true)
    expect(await b.savePolicyState('k-root', seenByB.version, 'b', [], [{ route: 'slack', notification: notification({ id: 'b' }) }])).toBe(false)
    expect(await b.loadPolicyState('k-root')).toEqual({ version: 1, state: 'a' })
    expect((await b.outbox({})).map((item) => item.id)).toEqual(['a|slack'])
    await Promise.all([a.close(), b.close()])
  })

  it(`lets exactly one of ${RACERS} processes win a save for the same version`, async () => {
    const path = newFile()
    const setup = createSqliteStore({ path })
    await setup.savePolicyState('k-root', 0, { winner: null }, [], [])
    const results = await race('save', path)
    const winners = results.flatMap((result, index) => ((result as { saved: boolean }).saved ? [`racer-${index}`] : []))
    expect(winners).toHaveLength(1)
    expect(await setup.loadPolicyState('k-root')).toEqual({ version: 2, state: { winner: winners[0] } })
    expect((await setup.outbox({})).map((item) => item.id)).toEqual([`from-${winners[0]}|slack`])
    await setup.close()
  })

  it(`never hands the same outbox item to two of ${RACERS} claiming processes`, async () => {
    const path = newFile()
    const setup = createSqliteStore({ path })
    const outbox = Array.from({ length: 120 }, (_, i) => ({ route: 'slack', notification: notification({ id: `n${i}`, at: T0 }) }))
    await setup.savePolicyState('k-root', 0, {}, [], outbox)
    const claimed = (await race('claim', path)).flatMap((result) => (result as { claimed: string[] }).claimed)
    expect(claimed).toHaveLength(120)
    expect(new Set(claimed).size).toBe(120)
    await setup.close()
  })

  it('writes a batch of cycles exactly as it writes them one by one, a cycle repeated in the batch once', async () => {
    const random = mulberry32(3)
    const sites = ['ams1', 'lhr1', 'fra1']
    const cycles = Array.from({ length: 150 }, (_, i) =>
      cycle(T0 + i * MINUTE_MS, ['fra', 'par', 'nyc'].map((vantage) =>
        random() < 0.1 ? { vantage, outcome: 'timeout' as const } : { vantage, site: sites[Math.floor(random() * 1.3)]!, rttMs: 1 + random() * 80 })))
    const oneByOne = createSqliteStore({ path: ':memory:' })
    for (const each of cycles) await oneByOne.writeCycle(each)
    const batched = createSqliteStore({ path: ':memory:' })
    await batched.writeCycle(cycles[0]!)
    for (let start = 0; start < cycles.length; start += 50) await batched.writeCycles([...cycles.slice(start, start + 50), cycles[start]!])
    const everything = async (store: typeof batched) => ({
      observations: await store.observations({ target: 'k-root', since: 0, until: T0 + DAY_MS }),
      hourly: await store.rollups({ target: 'k-root', granularity: 'hour', since: 0, until: T0 + DAY_MS }),
      daily: await store.rollups({ target: 'k-root', granularity: 'day', since: 0, until: T0 + DAY_MS }),
      catchment: await store.catchment({}),
      changes: await store.catchmentChanges({ target: 'k-root', since: 0, until: T0 + DAY_MS }),
    })
    const expected = await everything(oneByOne)
    expect(expected.observations).toHaveLength(450)
    expect(expected.changes.length).toBeGreaterThan(10)
    expect(await everything(batched)).toEqual(expected)
    await Promise.all([oneByOne.close(), batched.close()])
  })

  it('fails with a StoreError that names its origin and keeps the cause', async () => {
    const store = createSqliteStore({ path: ':memory:' })
    await store.close()
    const error = await store.recentCycles('k-root', 1).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(StoreError)
    expect(error).toMatchObject({ origin: 'store:sqlite', message: expect.stringMatching(/recentCycles failed/), cause: expect.any(Error) })
  })
})

async function race(mode: 'save' | 'claim', path: string): Promise<unknown[]> {
  const startAt = String(Date.now() + RACE_START_DELAY_MS)
  const outputs = await Promise.all(
    Array.from({ length: RACERS }, (_, index) => run(process.execPath, ['--import', 'tsx', RACER, mode, path, startAt, `racer-${index}`])),
  )
  return outputs.map((output) => JSON.parse(output.stdout) as unknown)
}

describe('migration runner', () => {
  const migrations: Migration[] = [
    { name: '0001_a', sql: 'CREATE TABLE a (x INTEGER);' },
    { name: '0002_b', sql: 'CREATE TABLE b (y INTEGER); INSERT INTO a (x) VALUES (1);' },
  ]

  it('applies pending migrations in order, each once, and records them', () => {
    const db = new Database(':memory:')
    const target = migrationTargetOf(db)
    expect(applyMigrations(target, migrations.slice(0, 1), () => 1)).toEqual(['0001_a'])
    expect(applyMigrations(target, migrations, () => 2)).toEqual(['0002_b'])
    expect(applyMigrations(target, migrations, () => 3)).toEqual([])
    expect(db.prepare('SELECT name, applied_at FROM schema_migrations ORDER BY name').all()).toEqual([
      { name: '0001_a', applied_at: 1 },
      { name: '0002_b', applied_at: 2 },
    ])
    expect(db.prepare('SELECT count(*) AS n FROM a').get()).toEqual({ n: 1 })
  })

  it('leaves no trace of a migration that fails', () => {
    const db = new Database(':memory:')
    const broken = { name: '0002_broken', sql: 'CREATE TABLE c (z INTEGER); INSERT INTO missing VALUES (1);' }
    expect(() => applyMigrations(migrationTargetOf(db), [migrations[0]!, broken], () => 1)).toThrow(/missing/)
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'c'").all()).toEqual([])
    expect(db.prepare('SELECT name FROM schema_migrations').pluck().all()).toEqual(['0001_a'])
  })

  it('reads migrations/ in order, in SQL that D1 also accepts (no PRAGMA, transactions or triggers)', () => {
    const files = loadMigrations()
    expect(files[0]?.name).toBe('0001_init')
    expect(files.map((m) => m.name)).toEqual([...files.map((m) => m.name)].sort())
    for (const migration of files) {
      const code = migration.sql.replace(/--.*$/gm, '')
      expect(code).not.toMatch(/\b(PRAGMA|BEGIN|COMMIT|ROLLBACK|TRIGGER|ATTACH)\b/i)
    }
  })
})
