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
import { createSqliteStore } from '../src/adapters/store/sqlite.ts'
import { mulberry32 } from '../test/support/seeded-random.ts'
import { DAY_MS, HOUR_MS, MINUTE_MS, SEED, START_MS, TARGETS, VANTAGES, cyclesAt, loadHistory, pathsOf } from './history.ts'
import { fixed, renderTable } from './table.ts'

const COUNTED_TABLES = ['cycles', 'observations', 'rollups_hourly', 'rollups_daily', 'catchment_changes', 'catchment_current']

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
    const loaded = await loadHistory(store, random, paths, endMs)
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
