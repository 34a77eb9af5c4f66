// Policy state, incidents and the outbox on D1: the compare-and-set save as one batch, claims as one
// UPDATE ... RETURNING. The consistency model is in d1.ts.
import type { Incident, Notification } from '../../core/findings.ts'
import type { DeliveryResult, OutboxItem } from '../../ports/store.ts'
import { POLICY_VERSION_IS, chunkedInserts, type InsertGuard, type SqlStatement } from './d1-sql.ts'
import { prepared, preparedAll } from './d1-statements.ts'
import * as sql from './sqlite-sql.ts'
import { incidentParams, outboxItemFromRow, outboxItemParams, type OutboxRow } from './sqlite-rows.ts'

export interface PolicySave {
  target: string
  expectedVersion: number
  state: unknown
  incidents: readonly Incident[]
  outbox: readonly { route: string; notification: Notification }[]
}

/**
 * One batch: the incidents and outbox items, each statement guarded by "the stored version is still the
 * expected one", then the compare-and-set, whose change count says whether the save won.
 */
export async function savePolicyStateToD1(db: D1Database, nowMs: number, save: PolicySave): Promise<boolean> {
  const guard: InsertGuard = { sql: POLICY_VERSION_IS, params: [save.target, save.expectedVersion] }
  const results = await db.batch(preparedAll(db, [
    ...chunkedInserts(sql.INCIDENT_UPSERT, save.incidents.map(incidentParams), guard),
    ...chunkedInserts(sql.OUTBOX_ITEM_INSERT, save.outbox.map(({ route, notification }) => outboxItemParams(route, notification, nowMs)), guard),
    compareAndSet(save, nowMs),
  ]))
  return results.at(-1)?.meta.changes === 1
}

function compareAndSet(save: PolicySave, nowMs: number): SqlStatement {
  const stateJson = JSON.stringify(save.state ?? null)
  return save.expectedVersion === 0
    ? { sql: sql.INSERT_FIRST_POLICY_STATE, params: [save.target, stateJson, nowMs] }
    : { sql: sql.UPDATE_POLICY_STATE, params: [stateJson, nowMs, save.target, save.expectedVersion] }
}

/** One statement picks the due items and leases them, so no other claim can see them as due. */
export async function claimFromD1(db: D1Database, now: number, limit: number, leaseMs: number): Promise<OutboxItem[]> {
  if (limit <= 0) return []
  const { results } = await prepared(db, { sql: sql.CLAIM_DUE_OUTBOX_ITEMS, params: [now + leaseMs, now, now, limit] }).all<OutboxRow>()
  return results.sort((a, b) => a.seq - b.seq).map(outboxItemFromRow)
}

export async function recordDeliveryInD1(db: D1Database, id: string, result: DeliveryResult): Promise<void> {
  await prepared(db, deliveryUpdate(id, result)).run()
}

function deliveryUpdate(id: string, result: DeliveryResult): SqlStatement {
  switch (result.kind) {
    case 'delivered':
      return { sql: sql.RECORD_DELIVERED, params: [result.detail, result.at, result.at, id] }
    case 'retry':
      return { sql: sql.RECORD_RETRY, params: [result.nextAttemptAt, result.error, result.at, id] }
    case 'failed':
      return { sql: sql.RECORD_FAILED, params: [result.error, result.at, id] }
  }
}
