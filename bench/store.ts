// What the SQLite store costs with a full history: 90 days of one-minute cycles for 5 targets seen from
// 12 vantages (generated), then writeCycle and the status page's queries timed on top of it.
//
//   npx tsx bench/store.ts [--days 90] [--writes 500] [--queries 200] [--keep]
//
// The history is loaded with writeCycles (the same statements as writeCycle, one transaction per hour
// of cycles, rollup deltas summed across the batch), because one transaction per cycle would take far
// longer than the load is worth. writeCycle itself is then timed one cycle at a time on the full file.
// Figures only, no thresholds: the exit code is 0 unless the setup fails.
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { createSqliteStore, type SqliteStore } from '../src/adapters/store/sqlite.ts'
import type { CycleRecord } from '../src/core/findings.ts'
import type { Observation, Outcome } from '../src/core/model.ts'
import { fixed, renderTable } from './table.ts'
import { mulberry32 } from '../test/support/seeded-random.ts'

const MINUTE_MS = 60_000
const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000
const START_MS = Date.UTC(2026, 7, 1)
const TARGETS = ['k-root', 'b-root', 'ns1-example', 'ns2-example', 'anycast-dns'] as const
const VANTAGES = ['fra', 'par', 'ams', 'lon', 'waw', 'mad', 'nyc', 'chi', 'sfo', 'gru', 'sin', 'syd'] as const
const SITES_PER_TARGET = 8
const SEED = 20_261_122
const COUNTED_TABLES = ['cycles', 'observations', 'rollups_hourly', 'rollups_daily', 'catchment_changes', 'catchment_current']
/** Chance per (target, vantage) and hour that its route moves to another site for 1-3 hours. */
const SHIFT_CHANCE_PER_HOUR = 0.01
const OUTCOME_WEIGHTS: [Outcome, number][] = [['ok', 0.993], ['timeout', 0.004], ['servfail', 0.001], ['refused', 0.001], ['network-error', 0.001]]


interface Path {
  target: string
  vantage: string
  homeSite: string
  awaySite: string
  homeRttMs: number
  awayRttMs: number
  /** The route is on awaySite until this time (a catchment shift in progress). */
  awayUntil: number
}

function pathsOf(random: () => number): Path[] {
  return TARGETS.flatMap((target) =>
    VANTAGES.map((vantage) => {
      const site = (): string => `${target.slice(0, 3)}-s${Math.floor(random() * SITES_PER_TARGET)}`
      const homeRttMs = 1 + random() * 150
      return { target, vantage, homeSite: site(), awaySite: site(), homeRttMs, awayRttMs: homeRttMs + 5 + random() * 80, awayUntil: 0 }
    }),
  )
}

function pickOutcome(random: () => number): Outcome {
  let roll = random()
  for (const [outcome, weight] of OUTCOME_WEIGHTS) {
    roll -= weight
    if (roll < 0) return outcome
  }
  return 'ok'
}

/** Jittered RTT: mostly within 10% of the base, 1% of probes 2-5x slower. */
function rttOf(random: () => number, baseMs: number): number {
  const jitter = 1 + Math.abs(random() + random() + random() - 1.5) * 0.12
  const spike = random() < 0.01 ? 2 + random() * 3 : 1
  return Math.round(baseMs * jitter * spike * 1000) / 1000
}

function observationOf(random: () => number, path: Path, atMs: number): Observation {
  const outcome = pickOutcome(random)
  const away = atMs < path.awayUntil
  const site = away ? path.awaySite : path.homeSite
  const answered = outcome === 'ok' || outcome === 'servfail' || outcome === 'refused'
  const text = `${site}.${path.target}`
  const base: Observation = {
    observedAt: atMs + Math.floor(random() * 900), vantage: path.vantage, target: path.target, address: '192.0.2.53', port: 53,
    qname: '.', transport: 'udp', outcome, rcode: null, rttMs: null, connectMs: null, identity: null,
    retriedOverTcp: false, ignoredReplies: 0, error: outcome === 'ok' ? null : `${outcome} (generated)`,
  }
  if (!answered) return base
  return {
    ...base,
    rcode: outcome === 'ok' ? 0 : outcome === 'servfail' ? 2 : 5,
    rttMs: rttOf(random, away ? path.awayRttMs : path.homeRttMs),
    identity: { source: 'nsid', hex: Buffer.from(text).toString('hex'), text },
    site,
  }
}

function cyclesAt(random: () => number, paths: Path[], atMs: number): CycleRecord[] {
  if (atMs % HOUR_MS === 0) {
    for (const path of paths) if (random() < SHIFT_CHANCE_PER_HOUR) path.awayUntil = atMs + (1 + Math.floor(random() * 3)) * HOUR_MS
  }
  return TARGETS.map((target) => ({
    cycleId: `${target}@${atMs}`,
    target,
    startedAt: atMs,
    observations: paths.filter((path) => path.target === target).map((path) => observationOf(random, path, atMs)),
    missingVantages: [],
  }))
}

function quantile(sorted: number[], fraction: number): number {
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN
}

function summary(samplesMs: number[]): { p50: number; p95: number; max: number } {
  const sorted = [...samplesMs].sort((a, b) => a - b)
  return { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), max: sorted.at(-1) ?? Number.NaN }
}

async function timed(times: number, operation: (index: number) => Promise<unknown>): Promise<number[]> {
  const samplesMs: number[] = []
  for (let index = 0; index < times; index += 1) {
    const startedAt = performance.now()
    await operation(index)
    samplesMs.push(performance.now() - startedAt)
  }
  return samplesMs
}

function fileBytes(path: string): number {
  return ['', '-wal'].reduce((sum, suffix) => {
    try {
      return sum + statSync(`${path}${suffix}`).size
    } catch {
      return sum
    }
  }, 0)
}

async function load(store: SqliteStore, random: () => number, paths: Path[], endMs: number): Promise<{ seconds: number; cycles: number }> {
  const startedAt = performance.now()
  let cycles = 0
  for (let hourMs = START_MS; hourMs < endMs; hourMs += HOUR_MS) {
    const batch: CycleRecord[] = []
    for (let atMs = hourMs; atMs < hourMs + HOUR_MS && atMs < endMs; atMs += MINUTE_MS) batch.push(...cyclesAt(random, paths, atMs))
    await store.writeCycles(batch)
    cycles += batch.length
    if ((hourMs - START_MS) % (10 * DAY_MS) === 0 && hourMs > START_MS) {
      process.stderr.write(`  loaded ${(hourMs - START_MS) / DAY_MS} days, ${((performance.now() - startedAt) / 1000).toFixed(0)} s\n`)
    }
  }
  return { seconds: (performance.now() - startedAt) / 1000, cycles }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      days: { type: 'string', default: '90' },
      writes: { type: 'string', default: '500' },
      queries: { type: 'string', default: '200' },
      keep: { type: 'boolean', default: false },
    },
  })
  const days = Number(values.days)
  const writes = Number(values.writes)
  const queries = Number(values.queries)
  const dir = mkdtempSync(join(tmpdir(), 'bench-store-'))
  const path = join(dir, 'store.db')
  const random = mulberry32(SEED)
  const paths = pathsOf(random)
  const endMs = START_MS + days * DAY_MS
  try {
    process.stderr.write(`loading ${days} days x ${TARGETS.length} targets x ${VANTAGES.length} vantages into ${path}\n`)
    const store = createSqliteStore({ path })
    const loaded = await load(store, random, paths, endMs)
    const rows = countRows(path)
    const loadedBytes = fileBytes(path)

    // writeCycle one target-cycle at a time, continuing the history minute by minute.
    const writeFull = await timed(writes, (i) => store.writeCycle(cyclesAt(random, paths, endMs + Math.floor(i / TARGETS.length) * MINUTE_MS)[i % TARGETS.length]!))
    await store.close()
    const normal = createSqliteStore({ path, synchronous: 'normal' })
    const writeOffsetMs = Math.ceil(writes / TARGETS.length) * MINUTE_MS
    const writeNormal = await timed(writes, (i) =>
      normal.writeCycle(cyclesAt(random, paths, endMs + writeOffsetMs + Math.floor(i / TARGETS.length) * MINUTE_MS)[i % TARGETS.length]!))

    const nowMs = endMs + 2 * writeOffsetMs
    const target = (i: number): string => TARGETS[i % TARGETS.length]!
    const queryRows: [string, number[], number][] = []
    const measure = async (what: string, operation: (i: number) => Promise<unknown[]>): Promise<void> => {
      const sizes: number[] = []
      const samples = await timed(queries, async (i) => sizes.push((await operation(i)).length))
      queryRows.push([what, samples, sizes[0] ?? 0])
    }
    await measure('rollups: 24 h hourly, one target', (i) => normal.rollups({ target: target(i), granularity: 'hour', since: nowMs - DAY_MS, until: nowMs }))
    await measure(`rollups: ${days} d daily, one target`, (i) => normal.rollups({ target: target(i), granularity: 'day', since: nowMs - days * DAY_MS, until: nowMs }))
    await measure('catchment: all targets, latest', () => normal.catchment({}))
    await measure('catchment changes: 7 d, one target', (i) => normal.catchmentChanges({ target: target(i), since: nowMs - 7 * DAY_MS, until: nowMs }))
    await measure('recentCycles: 60, one target', (i) => normal.recentCycles(target(i), 60))
    await measure('observations: 1 h, one target', (i) => normal.observations({ target: target(i), since: nowMs - HOUR_MS, until: nowMs }))
    const pruneMs = await timed(1, () => normal.prune(nowMs, { observationsDays: days - 1, hourlyRollupsDays: days - 1, dailyRollupsDays: days }))
    await normal.close()

    printReport({ days, loaded, rows, loadedBytes, writeFull, writeNormal, queryRows, pruneMs: pruneMs[0] ?? Number.NaN })
  } finally {
    if (values.keep) process.stderr.write(`kept ${path}\n`)
    else rmSync(dir, { recursive: true, force: true })
  }
}

/** Row counts through a read-only second connection: the store's API has no row counts. */
function countRows(path: string): Record<string, number> {
  const db = new Database(path, { readonly: true })
  try {
    return Object.fromEntries(COUNTED_TABLES.map((table) => [table, (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n]))
  } finally {
    db.close()
  }
}

interface Report {
  days: number
  loaded: { seconds: number; cycles: number }
  rows: Record<string, number>
  loadedBytes: number
  writeFull: number[]
  writeNormal: number[]
  queryRows: [string, number[], number][]
  pruneMs: number
}

function printReport(report: Report): void {
  const observations = report.rows.observations ?? 0
  console.log(`\nStore: ${report.days} days of one-minute cycles, ${TARGETS.length} targets x ${VANTAGES.length} vantages\n`)
  console.log(renderTable(['table', 'rows'], Object.entries(report.rows).map(([table, rows]) => [table, String(rows)])))
  console.log(`\nfile size: ${fixed(report.loadedBytes / 1e6, 0)} MB (${fixed(report.loadedBytes / observations, 0)} bytes per observation, indexes and rollups included)`)
  console.log(`load (writeCycles, one transaction per hour of cycles): ${fixed(report.loaded.seconds, 1)} s, ` +
    `${fixed(report.loaded.cycles / report.loaded.seconds, 0)} cycles/s, ${fixed(observations / report.loaded.seconds, 0)} observations/s\n`)
  const full = summary(report.writeFull)
  const normal = summary(report.writeNormal)
  console.log(renderTable(['writeCycle (1 target, 12 observations), on the full file', 'n', 'p50 ms', 'p95 ms', 'max ms'], [
    ['synchronous=FULL (default)', String(report.writeFull.length), fixed(full.p50, 3), fixed(full.p95, 3), fixed(full.max, 3)],
    ['synchronous=NORMAL', String(report.writeNormal.length), fixed(normal.p50, 3), fixed(normal.p95, 3), fixed(normal.max, 3)],
  ]))
  console.log('')
  console.log(renderTable(['query', 'n', 'rows', 'p50 ms', 'p95 ms', 'max ms'], report.queryRows.map(([what, samples, rows]) => {
    const s = summary(samples)
    return [what, String(samples.length), String(rows), fixed(s.p50, 3), fixed(s.p95, 3), fixed(s.max, 3)]
  })))
  console.log(`\nprune of one day (observations, hourly and daily rollups): ${fixed(report.pruneMs, 0)} ms`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
