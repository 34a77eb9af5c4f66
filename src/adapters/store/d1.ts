// The store on Cloudflare D1: the schema of migrations/ (applied by wrangler, or applyD1Migrations in tests,
// never by the Node migration runner) and the statements and row mappings of the SQLite store.
//
// Consistency without interactive transactions. D1 runs each statement, and each db.batch([...]), as one
// transaction, and one at a time per database: a batch takes effect whole or not at all, and nothing
// interleaves with it. The store uses the binding without sessions, so every query goes to the primary and
// sees every earlier write.
// - writeCycle reads in one batch (is the cycle stored? the target's latest start and catchment), derives
//   the rollup deltas and the catchment update in JS (derive.ts, rollup-deltas.ts), and writes them in one
//   batch opened by a plain INSERT of the cycle: if another write stored the cycle meanwhile, that INSERT
//   fails and the batch writes nothing, so a cycle is stored once. Rollups add their deltas in the upsert
//   itself. The catchment is a read-modify-write over two round trips, which is safe because the Worker
//   has one writer of cycles, the coordinator Durable Object; two concurrent writers of one target's
//   cycles could lose a catchment change.
// - savePolicyState is one batch: the incident upserts and outbox inserts, each guarded by "the stored
//   version is still expectedVersion", then the compare-and-set (an INSERT for version 0, a conditional
//   UPDATE otherwise), whose meta.changes says whether the save won. Every statement of the batch sees the
//   version as it was when the batch began, so a stale save writes nothing. (Guarding on the new version
//   instead would not do: a losing save for the same version would see the winner's.)
// - claimDueDeliveries is one UPDATE ... RETURNING that picks and leases the due items, so two claimers never
//   get the same item; recordDelivery changes pending items only.
// - the ingest inbox and nonces (d1-ingest.ts): one statement per operation, so each is atomic.
// Limits: multi-row inserts are cut to D1's 100 bound parameters per statement (d1-sql.ts); documents are
// single TEXT values (D1 allows 1 MB per value). close() only stops this store object: the binding is the
// Worker's.
import type { StoredBgpView } from '../../core/bgp/source-view.ts'
import type { Incident } from '../../core/findings.ts'
import type { Clock } from '../../ports/clock.ts'
import type { MonitorStore } from '../../ports/store.ts'
import { recentCyclesFromD1, writeCycleToD1 } from './d1-cycles.ts'
import { ingestIntoD1, ingestedFromD1, pruneIngestInD1, rememberNonceInD1, takeIngestedFromD1 } from './d1-ingest.ts'
import { claimFromD1, recordDeliveryInD1, savePolicyStateToD1 } from './d1-policy.ts'
import { pruneD1 } from './d1-prune.ts'
import type { SqlStatement } from './d1-sql.ts'
import { prepared } from './d1-statements.ts'
import * as sql from './sqlite-sql.ts'
import {
  catchmentChangeFromRow, catchmentFromRow, observationFromRow, outboxItemFromRow, policyStateFromRow, rollupFromRow,
  type CatchmentChangeRow, type CatchmentRow, type ObservationRow, type OutboxRow, type RollupRow,
} from './sqlite-rows.ts'
import { StoreError, guardedAsync } from './store-error.ts'

const ORIGIN = 'store:d1'
const { NO_LIMIT } = sql

export interface D1StoreOptions {
  /** For updated_at and created_at stamps; the system clock by default. */
  clock?: Pick<Clock, 'nowMs'>
}

export function createD1Store(db: D1Database, options: D1StoreOptions = {}): MonitorStore {
  const clock = options.clock ?? { nowMs: () => Date.now() }
  let closed = false
  const run = <T>(what: string, operation: () => Promise<T>): Promise<T> => guardedAsync(ORIGIN, what, async () => {
    if (closed) throw new StoreError(ORIGIN, 'the store is closed')
    return operation()
  })
  const rows = async <Row>(statement: SqlStatement): Promise<Row[]> => (await prepared(db, statement).all<Row>()).results
  return {
    name: 'd1',
    writeCycle: (cycle) => run('writeCycle', () => writeCycleToD1(db, cycle)),
    recentCycles: (target, limit) => run('recentCycles', () => recentCyclesFromD1(db, target, limit)),
    observations: (q) => run('observations', async () => (await rows<ObservationRow>({
      sql: sql.SELECT_OBSERVATIONS, params: [q.target, q.since, q.until, q.vantage ?? null, q.vantage ?? null, q.limit ?? NO_LIMIT],
    })).map(observationFromRow)),
    rollups: (q) => run('rollups', async () => (await rows<RollupRow>({
      sql: sql.selectRollupsSql(sql.ROLLUP_TABLES[q.granularity]), params: [q.target, q.since, q.until],
    })).map((row) => rollupFromRow(q.target, q.granularity, row))),
    catchment: (q) => run('catchment', async () => (await rows<CatchmentRow>({
      sql: sql.SELECT_CATCHMENT, params: [q.target ?? null, q.target ?? null],
    })).map(catchmentFromRow)),
    catchmentChanges: (q) => run('catchmentChanges', async () => (await rows<CatchmentChangeRow>({
      sql: sql.SELECT_CATCHMENT_CHANGES,
      params: [q.target, q.since, q.until, q.vantage ?? null, q.vantage ?? null, q.family ?? null, q.family ?? null, q.limit ?? NO_LIMIT],
    })).map(catchmentChangeFromRow)),
    loadPolicyState: (target) => run('loadPolicyState', async () =>
      policyStateFromRow(await prepared(db, { sql: sql.SELECT_POLICY_STATE, params: [target] }).first<{ version: number; state: string }>())),
    savePolicyState: (target, expectedVersion, state, incidents, outbox) => run('savePolicyState', () =>
      savePolicyStateToD1(db, clock.nowMs(), { target, expectedVersion, state, incidents, outbox })),
    incidents: (q) => run('incidents', async () => (await rows<{ incident: string }>({
      sql: sql.SELECT_INCIDENTS, params: [q.target ?? null, q.target ?? null, q.status ?? null, q.status ?? null, q.limit ?? NO_LIMIT],
    })).map((row) => JSON.parse(row.incident) as Incident)),
    claimDueDeliveries: (now, limit, leaseMs) => run('claimDueDeliveries', () => claimFromD1(db, now, limit, leaseMs)),
    recordDelivery: (id, result) => run('recordDelivery', () => recordDeliveryInD1(db, id, result)),
    outbox: (q) => run('outbox', async () => (await rows<OutboxRow>({
      sql: sql.SELECT_OUTBOX, params: [q.status ?? null, q.status ?? null, q.limit ?? NO_LIMIT],
    })).map(outboxItemFromRow)),
    saveBgpView: (target, view) => run('saveBgpView', async () =>
      void (await prepared(db, { sql: sql.UPSERT_BGP_VIEW, params: [target, view.checkedAt, JSON.stringify(view)] }).run())),
    bgpView: (target) => run('bgpView', async () => {
      const row = await prepared(db, { sql: sql.SELECT_BGP_VIEW, params: [target] }).first<{ view: string }>()
      return row === null ? null : (JSON.parse(row.view) as StoredBgpView)
    }),
    rememberNonce: (vantage, nonce, now, expiresAt) => run('rememberNonce', () => rememberNonceInD1(db, vantage, nonce, now, expiresAt)),
    ingestObservations: (observations, receivedAt) => run('ingestObservations', () => ingestIntoD1(db, observations, receivedAt)),
    takeIngested: (vantage, cycleStartedAt) => run('takeIngested', () => takeIngestedFromD1(db, vantage, cycleStartedAt)),
    ingestedObservations: (q) => run('ingestedObservations', () => ingestedFromD1(db, q)),
    prune: (now, retention) => run('prune', async () => {
      await pruneD1(db, now, retention)
      await pruneIngestInD1(db, now, retention)
    }),
    close: async () => void (closed = true),
  }
}
