// Cycles on D1: writeCycle as one read batch and one write batch, recentCycles as one read batch.
// The consistency model is in d1.ts.
import type { CycleRecord } from '../../core/findings.ts'
import type { CatchmentChange, CatchmentEntry } from '../../ports/store.ts'
import {
  INSERT_NEW_CYCLE, OBSERVATION_OF_CYCLE_INSERT, ROLLUP_UPSERTS, SELECT_CYCLE_STORED, chunkedInserts, type SqlStatement,
} from './d1-sql.ts'
import { preparedAll, rowsOf } from './d1-statements.ts'
import { GRANULARITIES, advanceCatchment, catchmentKey } from './derive.ts'
import { createRollupAccumulator } from './rollup-deltas.ts'
import * as sql from './sqlite-sql.ts'
import {
  catchmentChangeParams, catchmentEntryParams, catchmentFromRow, cyclesFromRows, observationParams, rollupDeltaParams,
  type CatchmentRow, type CycleRow, type ObservationRow,
} from './sqlite-rows.ts'

/** What the cycle changes in the target's catchment, from the stored state before it. */
interface CatchmentUpdate {
  updated: CatchmentEntry[]
  changes: CatchmentChange[]
}

export async function writeCycleToD1(db: D1Database, cycle: CycleRecord): Promise<void> {
  const before = await readBefore(db, cycle)
  if (before === 'stored') return
  try {
    await db.batch(preparedAll(db, cycleWrites(cycle, before)))
  } catch (error) {
    // The plain INSERT of the cycle failed because another write stored it meanwhile: nothing to do.
    if (await isStored(db, cycle.cycleId)) return
    throw error
  }
}

/** One batch, so one snapshot: whether the cycle is stored, and the catchment update it makes if it is not. */
async function readBefore(db: D1Database, cycle: CycleRecord): Promise<'stored' | CatchmentUpdate> {
  const [stored, latest, catchment] = await db.batch([
    db.prepare(SELECT_CYCLE_STORED).bind(cycle.cycleId),
    db.prepare(sql.SELECT_LATEST_CYCLE_START).bind(cycle.target),
    db.prepare(sql.SELECT_CATCHMENT_OF_TARGET).bind(cycle.target),
  ])
  if (rowsOf(stored).length > 0) return 'stored'
  const latestStartedAt = rowsOf<{ started_at: number | null }>(latest)[0]?.started_at ?? null
  // A cycle older than the target's latest stored one does not change the catchment.
  if (latestStartedAt !== null && cycle.startedAt < latestStartedAt) return { updated: [], changes: [] }
  const entries = rowsOf<CatchmentRow>(catchment).map(catchmentFromRow)
  return advanceCatchment(new Map(entries.map((entry) => [catchmentKey(entry), entry])), cycle)
}

async function isStored(db: D1Database, cycleId: string): Promise<boolean> {
  return (await db.prepare(SELECT_CYCLE_STORED).bind(cycleId).first()) !== null
}

/** The cycle, its observations, its rollup deltas and its catchment update; the cycle first, so a duplicate fails them all. */
function cycleWrites(cycle: CycleRecord, catchment: CatchmentUpdate): SqlStatement[] {
  const rollups = createRollupAccumulator()
  for (const observation of cycle.observations) rollups.add(observation)
  const deltas = [...rollups.deltas()]
  return [
    { sql: INSERT_NEW_CYCLE, params: [cycle.cycleId, cycle.target, cycle.startedAt, JSON.stringify(cycle.missingVantages)] },
    ...chunkedInserts(OBSERVATION_OF_CYCLE_INSERT, cycle.observations.map((o) => [cycle.cycleId, ...observationParams(o)])),
    ...GRANULARITIES.flatMap((granularity) => chunkedInserts(
      ROLLUP_UPSERTS[granularity],
      deltas.filter((delta) => delta.granularity === granularity).map(rollupDeltaParams),
    )),
    ...chunkedInserts(sql.CATCHMENT_CHANGE_INSERT, catchment.changes.map((change) => catchmentChangeParams(change, cycle.cycleId))),
    ...chunkedInserts(sql.CATCHMENT_UPSERT, catchment.updated.map(catchmentEntryParams)),
  ]
}

export async function recentCyclesFromD1(db: D1Database, target: string, limit: number): Promise<CycleRecord[]> {
  if (limit <= 0) return []
  const [cycles, observations] = await db.batch([
    db.prepare(sql.SELECT_RECENT_CYCLES).bind(target, limit),
    db.prepare(sql.SELECT_RECENT_CYCLE_OBSERVATIONS).bind(target, limit),
  ])
  return cyclesFromRows(rowsOf<CycleRow>(cycles), rowsOf<ObservationRow & { cycle_ref: number }>(observations))
}
