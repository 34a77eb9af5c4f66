// The embedded store: one SQLite file (WAL), schema from migrations/ (shared with D1). Every write is one
// transaction and idempotent, so a restart loses nothing and repeats nothing.
import Database from 'better-sqlite3'
import type { StoredBgpView } from '../../core/bgp/source-view.ts'
import type { CycleRecord, Incident, Notification } from '../../core/findings.ts'
import type { Clock } from '../../ports/clock.ts'
import type {
  CatchmentEntry, DeliveryResult, MonitorStore, OutboxItem, RetentionSettings, RollupGranularity, StoredPolicyState,
} from '../../ports/store.ts'
import { DAY_MS, advanceCatchment, catchmentKey } from './derive.ts'
import {
  INSERT_APPLIED_SQL, SELECT_APPLIED_SQL, applyMigrations, loadMigrations, type Migration, type MigrationTarget,
} from './migrations.ts'
import { createRollupAccumulator } from './rollup-deltas.ts'
import { createSqliteIngest } from './sqlite-ingest.ts'
import * as sql from './sqlite-sql.ts'
import {
  catchmentChangeFromRow, catchmentChangeParams, catchmentEntryParams, catchmentFromRow, cyclesFromRows, incidentParams,
  observationFromRow, observationParams, outboxItemFromRow, outboxItemParams, policyStateFromRow, rollupDeltaParams, rollupFromRow,
  type CatchmentChangeRow, type CatchmentRow, type CycleRow, type ObservationRow, type OutboxRow, type RollupRow,
} from './sqlite-rows.ts'
import { guarded } from './store-error.ts'

const ORIGIN = 'store:sqlite'
/** Cycles deleted per prune transaction (with their observations). */
const PRUNE_CHUNK_CYCLES = 2_000
const { NO_LIMIT } = sql

export interface SqliteStoreOptions {
  /** A file path, or ':memory:' for a private in-memory database. */
  path: string
  /** For applied_at and updated_at stamps; the system clock by default. */
  clock?: Pick<Clock, 'nowMs'>
  /** 'full' (default) syncs the WAL at every commit, so a power cut loses no committed write; 'normal' does not. */
  synchronous?: 'full' | 'normal'
  /** The migrations to apply; those of migrations/ by default. */
  migrations?: readonly Migration[]
}

export interface SqliteStore extends MonitorStore {
  /**
   * writeCycle for many cycles in one transaction, with the same statements; rollup deltas are added up
   * across the batch first (one upsert per bucket), which makes bulk loads and backfills fast.
   */
  writeCycles(cycles: readonly CycleRecord[]): Promise<void>
}

type Db = Database.Database
type Statements = ReturnType<typeof prepareStatements>

export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const clock = options.clock ?? { nowMs: () => Date.now() }
  const db = guarded(ORIGIN, `opening ${options.path}`, () => openDatabase(options, clock))
  const st = guarded(ORIGIN, 'preparing statements', () => prepareStatements(db))
  const inbox = guarded(ORIGIN, 'preparing statements', () => createSqliteIngest(db))
  const run = <T>(what: string, operation: () => T): Promise<T> => Promise.resolve().then(() => guarded(ORIGIN, what, operation))
  const writeCycles = (cycles: readonly CycleRecord[]) => run('writeCycle', () => writeCyclesIn(db, st, cycles))
  return {
    name: 'sqlite',
    writeCycle: (cycle) => writeCycles([cycle]),
    writeCycles,
    recentCycles: (target, limit) => run('recentCycles', () => recentCyclesIn(db, st, target, limit)),
    observations: (q) => run('observations', () =>
      (st.selectObservations.all(q.target, q.since, q.until, q.vantage ?? null, q.vantage ?? null, q.limit ?? NO_LIMIT) as ObservationRow[])
        .map(observationFromRow)),
    rollups: (q) => run('rollups', () =>
      (st.selectRollups[q.granularity].all(q.target, q.since, q.until) as RollupRow[]).map((row) => rollupFromRow(q.target, q.granularity, row))),
    catchment: (q) => run('catchment', () =>
      (st.selectCatchment.all(q.target ?? null, q.target ?? null) as CatchmentRow[]).map(catchmentFromRow)),
    catchmentChanges: (q) => run('catchmentChanges', () =>
      (st.selectCatchmentChanges.all(
        q.target, q.since, q.until, q.vantage ?? null, q.vantage ?? null, q.family ?? null, q.family ?? null, q.limit ?? NO_LIMIT,
      ) as CatchmentChangeRow[])
        .map(catchmentChangeFromRow)),
    loadPolicyState: (target) => run('loadPolicyState', () => loadPolicyStateIn(st, target)),
    savePolicyState: (target, expectedVersion, state, incidents, outbox) => run('savePolicyState', () =>
      db.transaction(() => savePolicyStateIn(st, clock.nowMs(), { target, expectedVersion, state, incidents, outbox })).immediate()),
    incidents: (q) => run('incidents', () =>
      (st.selectIncidents.pluck().all(q.target ?? null, q.target ?? null, q.status ?? null, q.status ?? null, q.limit ?? NO_LIMIT) as string[])
        .map((json) => JSON.parse(json) as Incident)),
    claimDueDeliveries: (now, limit, leaseMs) => run('claimDueDeliveries', () =>
      db.transaction(() => claimIn(st, now, limit, leaseMs)).immediate()),
    recordDelivery: (id, result) => run('recordDelivery', () => recordDeliveryIn(st, id, result)),
    outbox: (q) => run('outbox', () =>
      (st.selectOutbox.all(q.status ?? null, q.status ?? null, q.limit ?? NO_LIMIT) as OutboxRow[]).map(outboxItemFromRow)),
    saveBgpView: (target, view) => run('saveBgpView', () => void st.upsertBgpView.run(target, view.checkedAt, JSON.stringify(view))),
    bgpView: (target) => run('bgpView', () => {
      const json = st.selectBgpView.get(target) as string | undefined
      return json === undefined ? null : (JSON.parse(json) as StoredBgpView)
    }),
    rememberNonce: (vantage, nonce, now, expiresAt) => run('rememberNonce', () => inbox.rememberNonce(vantage, nonce, now, expiresAt)),
    ingestObservations: (observations, receivedAt) => run('ingestObservations', () => inbox.ingestObservations(observations, receivedAt)),
    takeIngested: (vantage, cycleStartedAt) => run('takeIngested', () => inbox.takeIngested(vantage, cycleStartedAt)),
    ingestedObservations: (q) => run('ingestedObservations', () => inbox.ingestedObservations(q)),
    prune: (now, retention) => run('prune', () => {
      pruneIn(db, st, now, retention)
      inbox.prune(now, retention)
    }),
    close: () => run('close', () => void db.close()),
  }
}

function openDatabase(options: SqliteStoreOptions, clock: Pick<Clock, 'nowMs'>): Db {
  const db = new Database(options.path)
  try {
    for (const pragma of sql.openPragmas(options.synchronous ?? 'full')) db.pragma(pragma)
    applyMigrations(migrationTargetOf(db), options.migrations ?? loadMigrations(), () => clock.nowMs())
    return db
  } catch (error) {
    db.close()
    throw error
  }
}

export function migrationTargetOf(db: Db): MigrationTarget {
  return {
    exec: (script) => void db.exec(script),
    appliedNames: () => db.prepare(SELECT_APPLIED_SQL).pluck().all() as string[],
    recordApplied: (name, appliedAt) => void db.prepare(INSERT_APPLIED_SQL).run(name, appliedAt),
    inWriteTransaction: (work) => db.transaction(work).immediate(),
  }
}

function prepareStatements(db: Db) {
  const perGranularity = (make: (table: string) => string): Record<RollupGranularity, Database.Statement> => ({
    hour: db.prepare(make(sql.ROLLUP_TABLES.hour)),
    day: db.prepare(make(sql.ROLLUP_TABLES.day)),
  })
  return {
    insertCycle: db.prepare(sql.INSERT_CYCLE),
    selectLatestCycleStart: db.prepare(sql.SELECT_LATEST_CYCLE_START).pluck(),
    insertObservation: db.prepare(sql.INSERT_OBSERVATION),
    selectObservations: db.prepare(sql.SELECT_OBSERVATIONS),
    selectRecentCycles: db.prepare(sql.SELECT_RECENT_CYCLES),
    selectRecentCycleObservations: db.prepare(sql.SELECT_RECENT_CYCLE_OBSERVATIONS),
    selectCatchmentOfTarget: db.prepare(sql.SELECT_CATCHMENT_OF_TARGET),
    selectCatchment: db.prepare(sql.SELECT_CATCHMENT),
    upsertCatchment: db.prepare(sql.UPSERT_CATCHMENT),
    insertCatchmentChange: db.prepare(sql.INSERT_CATCHMENT_CHANGE),
    selectCatchmentChanges: db.prepare(sql.SELECT_CATCHMENT_CHANGES),
    upsertRollup: perGranularity(sql.upsertRollupSql),
    selectRollups: perGranularity(sql.selectRollupsSql),
    pruneRollups: perGranularity(sql.pruneRollupsSql),
    selectPolicyState: db.prepare(sql.SELECT_POLICY_STATE),
    insertFirstPolicyState: db.prepare(sql.INSERT_FIRST_POLICY_STATE),
    updatePolicyState: db.prepare(sql.UPDATE_POLICY_STATE),
    upsertIncident: db.prepare(sql.UPSERT_INCIDENT),
    selectIncidents: db.prepare(sql.SELECT_INCIDENTS),
    insertOutboxItem: db.prepare(sql.INSERT_OUTBOX_ITEM),
    claimDueOutboxItems: db.prepare(sql.CLAIM_DUE_OUTBOX_ITEMS),
    recordDelivered: db.prepare(sql.RECORD_DELIVERED),
    recordRetry: db.prepare(sql.RECORD_RETRY),
    recordFailed: db.prepare(sql.RECORD_FAILED),
    selectOutbox: db.prepare(sql.SELECT_OUTBOX),
    upsertBgpView: db.prepare(sql.UPSERT_BGP_VIEW),
    selectBgpView: db.prepare(sql.SELECT_BGP_VIEW).pluck(),
    selectOldCycleIds: db.prepare(sql.SELECT_OLD_CYCLE_IDS).pluck(),
    deleteObservationsOfCycles: db.prepare(sql.DELETE_OBSERVATIONS_OF_CYCLES),
    deleteCycles: db.prepare(sql.DELETE_CYCLES),
    pruneCatchmentChanges: db.prepare(sql.PRUNE_CATCHMENT_CHANGES),
    pruneFinishedOutbox: db.prepare(sql.PRUNE_FINISHED_OUTBOX),
    pruneResolvedIncidents: db.prepare(sql.PRUNE_RESOLVED_INCIDENTS),
  }
}

// ---- cycles, observations, rollups, catchment

function writeCyclesIn(db: Db, st: Statements, cycles: readonly CycleRecord[]): void {
  db.transaction(() => {
    const rollups = createRollupAccumulator()
    const catchment = createCatchmentTracker(st)
    for (const cycle of cycles) {
      const inserted = st.insertCycle.run(cycle.cycleId, cycle.target, cycle.startedAt, JSON.stringify(cycle.missingVantages))
      if (inserted.changes === 0) continue
      const cycleRef = Number(inserted.lastInsertRowid)
      for (const observation of cycle.observations) {
        st.insertObservation.run(cycleRef, ...observationParams(observation))
        rollups.add(observation)
      }
      catchment.advance(cycle)
    }
    for (const delta of rollups.deltas()) st.upsertRollup[delta.granularity].run(...rollupDeltaParams(delta))
    catchment.flush()
  }).immediate()
}

interface TargetCatchment {
  latestStartedAt: number
  entries: Map<string, CatchmentEntry>
}

/** Carries each target's catchment through a batch of cycles: changes are inserted as found, entries written at the end. */
function createCatchmentTracker(st: Statements) {
  const targets = new Map<string, TargetCatchment>()
  const updated = new Map<string, CatchmentEntry>()
  const stateOf = (target: string): TargetCatchment => {
    let state = targets.get(target)
    if (!state) {
      // Read after this batch's first cycle of the target was inserted: the latest start includes it.
      const latestStartedAt = (st.selectLatestCycleStart.get(target) as number | null) ?? Number.NEGATIVE_INFINITY
      const entries = (st.selectCatchmentOfTarget.all(target) as CatchmentRow[]).map(catchmentFromRow)
      state = { latestStartedAt, entries: new Map(entries.map((entry) => [catchmentKey(entry), entry])) }
      targets.set(target, state)
    }
    return state
  }
  return {
    advance(cycle: CycleRecord): void {
      const state = stateOf(cycle.target)
      if (cycle.startedAt < state.latestStartedAt) return
      state.latestStartedAt = cycle.startedAt
      const next = advanceCatchment(state.entries, cycle)
      for (const entry of next.updated) {
        state.entries.set(catchmentKey(entry), entry)
        updated.set(`${entry.target}\u0000${catchmentKey(entry)}`, entry)
      }
      for (const change of next.changes) st.insertCatchmentChange.run(...catchmentChangeParams(change, cycle.cycleId))
    },
    flush(): void {
      for (const entry of updated.values()) st.upsertCatchment.run(...catchmentEntryParams(entry))
    },
  }
}

function recentCyclesIn(db: Db, st: Statements, target: string, limit: number): CycleRecord[] {
  if (limit <= 0) return []
  return db.transaction(() => {
    const cycleRows = st.selectRecentCycles.all(target, limit) as CycleRow[]
    const observationRows = st.selectRecentCycleObservations.all(target, limit) as (ObservationRow & { cycle_ref: number })[]
    return cyclesFromRows(cycleRows, observationRows)
  })()
}

// ---- policy state, incidents, outbox

function loadPolicyStateIn(st: Statements, target: string): StoredPolicyState {
  return policyStateFromRow(st.selectPolicyState.get(target) as { version: number; state: string } | undefined)
}

interface PolicySave {
  target: string
  expectedVersion: number
  state: unknown
  incidents: readonly Incident[]
  outbox: readonly { route: string; notification: Notification }[]
}

/** Runs inside a write transaction: the compare-and-set first, so that a stale save writes nothing. */
function savePolicyStateIn(st: Statements, nowMs: number, save: PolicySave): boolean {
  const stateJson = JSON.stringify(save.state ?? null)
  const swapped = save.expectedVersion === 0
    ? st.insertFirstPolicyState.run(save.target, stateJson, nowMs)
    : st.updatePolicyState.run(stateJson, nowMs, save.target, save.expectedVersion)
  if (swapped.changes !== 1) return false
  for (const incident of save.incidents) st.upsertIncident.run(...incidentParams(incident))
  for (const { route, notification } of save.outbox) st.insertOutboxItem.run(...outboxItemParams(route, notification, nowMs))
  return true
}

function claimIn(st: Statements, now: number, limit: number, leaseMs: number): OutboxItem[] {
  if (limit <= 0) return []
  const rows = st.claimDueOutboxItems.all(now + leaseMs, now, now, limit) as OutboxRow[]
  return rows.sort((a, b) => a.seq - b.seq).map(outboxItemFromRow)
}

function recordDeliveryIn(st: Statements, id: string, result: DeliveryResult): void {
  switch (result.kind) {
    case 'delivered':
      st.recordDelivered.run(result.detail, result.at, result.at, id)
      return
    case 'retry':
      st.recordRetry.run(result.nextAttemptAt, result.error, result.at, id)
      return
    case 'failed':
      st.recordFailed.run(result.error, result.at, id)
      return
  }
}

// ---- retention

function pruneIn(db: Db, st: Statements, now: number, retention: RetentionSettings): void {
  const cutoff = (days: number): number => now - days * DAY_MS
  const deleteChunk = db.transaction((ids: number[]) => {
    st.deleteObservationsOfCycles.run(JSON.stringify(ids))
    st.deleteCycles.run(JSON.stringify(ids))
  })
  for (;;) {
    const ids = st.selectOldCycleIds.all(cutoff(retention.observationsDays), PRUNE_CHUNK_CYCLES) as number[]
    if (ids.length === 0) break
    deleteChunk.immediate(ids)
  }
  const dailyCutoff = cutoff(retention.dailyRollupsDays)
  db.transaction(() => {
    st.pruneRollups.hour.run(cutoff(retention.hourlyRollupsDays))
    st.pruneRollups.day.run(dailyCutoff)
    st.pruneCatchmentChanges.run(dailyCutoff)
    st.pruneFinishedOutbox.run(dailyCutoff)
    st.pruneResolvedIncidents.run(dailyCutoff)
  }).immediate()
}
