// The reference store: plain Maps, exact percentiles, the same semantics as the SQLite store (documents
// go through a JSON round trip as they would through a database). Backs the core and app tests.
import type { StoredBgpView } from '../../core/bgp/source-view.ts'
import type { CycleRecord, Incident, Notification } from '../../core/findings.ts'
import type { Observation } from '../../core/model.ts'
import type {
  CatchmentChange, CatchmentChangesQuery, CatchmentEntry, DeliveryResult, MonitorStore, OutboxItem, RetentionSettings, Rollup, RollupGranularity,
} from '../../ports/store.ts'
import {
  DAY_MS, GRANULARITIES, PERCENTILES, advanceCatchment, bucketStartMs, catchmentKey, compareCatchmentEntries, compareRollupKeys,
  compareText, percentileOfSorted, rollupFamilyOf, rollupRttOf, rollupSiteOf,
} from './derive.ts'
import { createMemoryInbox } from './memory-ingest.ts'
import { StoreError } from './store-error.ts'

const ORIGIN = 'store:memory'

interface Bucket {
  key: Omit<Rollup, 'count' | 'successes' | 'rttMinMs' | 'rttP50Ms' | 'rttP95Ms' | 'rttMaxMs'>
  count: number
  successes: number
  rttsMs: number[]
}

interface TargetCatchment {
  latestStartedAt: number
  entries: Map<string, CatchmentEntry>
}

interface MemoryState {
  cycles: Map<string, CycleRecord[]>
  cycleIds: Set<string>
  buckets: Map<string, Bucket>
  catchment: Map<string, TargetCatchment>
  changes: CatchmentChange[]
  policy: Map<string, { version: number; stateJson: string }>
  incidents: Map<string, string>
  outbox: Map<string, OutboxItem>
  bgpViews: Map<string, { checkedAt: number; json: string }>
  closed: boolean
}

export function createMemoryStore(): MonitorStore {
  const state: MemoryState = {
    cycles: new Map(), cycleIds: new Set(), buckets: new Map(), catchment: new Map(), changes: [],
    policy: new Map(), incidents: new Map(), outbox: new Map(), bgpViews: new Map(), closed: false,
  }
  const inbox = createMemoryInbox()
  const run = <T>(operation: () => T): Promise<T> =>
    Promise.resolve().then(() => {
      if (state.closed) throw new StoreError(ORIGIN, 'the store is closed')
      return operation()
    })
  return {
    name: 'memory',
    writeCycle: (cycle) => run(() => writeCycle(state, cycle)),
    recentCycles: (target, limit) => run(() => (limit <= 0 ? [] : cyclesOf(state, target).slice(-limit).map(copy))),
    observations: (q) => run(() => observationsOf(state, q)),
    rollups: (q) => run(() => rollupsOf(state, q)),
    catchment: (q) => run(() => catchmentOf(state, q.target)),
    catchmentChanges: (q) => run(() => catchmentChangesOf(state, q)),
    loadPolicyState: (target) => run(() => {
      const stored = state.policy.get(target)
      return stored ? { version: stored.version, state: JSON.parse(stored.stateJson) as unknown } : { version: 0, state: null }
    }),
    savePolicyState: (target, expectedVersion, policyState, incidents, outbox) =>
      run(() => savePolicyState(state, { target, expectedVersion, policyState, incidents, outbox })),
    incidents: (q) => run(() => incidentsOf(state, q)),
    claimDueDeliveries: (now, limit, leaseMs) => run(() => claimDue(state, now, limit, leaseMs)),
    recordDelivery: (id, result) => run(() => recordDelivery(state, id, result)),
    outbox: (q) => run(() => limited([...state.outbox.values()].filter((item) => !q.status || item.status === q.status), q.limit).map(copy)),
    saveBgpView: (target, view) => run(() => saveBgpView(state, target, view)),
    bgpView: (target) => run(() => {
      const stored = state.bgpViews.get(target)
      return stored ? (JSON.parse(stored.json) as StoredBgpView) : null
    }),
    rememberNonce: (vantage, nonce, now, expiresAt) => run(() => inbox.rememberNonce(vantage, nonce, now, expiresAt)),
    ingestObservations: (observations, receivedAt) => run(() => inbox.ingestObservations(observations, receivedAt)),
    takeIngested: (vantage, cycleStartedAt) => run(() => inbox.takeIngested(vantage, cycleStartedAt)),
    ingestedObservations: (q) => run(() => inbox.ingestedObservations(q)),
    prune: (now, retention) => run(() => {
      prune(state, now, retention)
      inbox.prune(now, retention)
    }),
    close: () => run(() => void (state.closed = true)),
  }
}

function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

function limited<T>(items: T[], limit: number | undefined): T[] {
  return limit === undefined || limit < 0 ? items : items.slice(0, limit)
}

function cyclesOf(state: MemoryState, target: string): CycleRecord[] {
  return state.cycles.get(target) ?? []
}

// ---- cycles, observations, rollups, catchment

function writeCycle(state: MemoryState, cycle: CycleRecord): void {
  if (state.cycleIds.has(cycle.cycleId)) return
  const stored = copy(cycle)
  state.cycleIds.add(cycle.cycleId)
  const cycles = cyclesOf(state, cycle.target)
  const at = cycles.findIndex((other) => other.startedAt > cycle.startedAt)
  cycles.splice(at === -1 ? cycles.length : at, 0, stored)
  state.cycles.set(cycle.target, cycles)
  for (const observation of stored.observations) addToBuckets(state, observation)
  advanceTargetCatchment(state, stored)
}

function addToBuckets(state: MemoryState, observation: Observation): void {
  for (const granularity of GRANULARITIES) {
    const key = {
      target: observation.target, vantage: observation.vantage, family: rollupFamilyOf(observation), site: rollupSiteOf(observation), granularity,
      bucketStart: bucketStartMs(granularity, observation.observedAt),
    }
    const id = JSON.stringify(key)
    const bucket = state.buckets.get(id) ?? { key, count: 0, successes: 0, rttsMs: [] }
    state.buckets.set(id, bucket)
    bucket.count += 1
    if (observation.outcome === 'ok') bucket.successes += 1
    const rttMs = rollupRttOf(observation)
    if (rttMs !== null) bucket.rttsMs.push(rttMs)
  }
}

function advanceTargetCatchment(state: MemoryState, cycle: CycleRecord): void {
  const current = state.catchment.get(cycle.target) ?? { latestStartedAt: Number.NEGATIVE_INFINITY, entries: new Map() }
  state.catchment.set(cycle.target, current)
  if (cycle.startedAt < current.latestStartedAt) return
  current.latestStartedAt = cycle.startedAt
  const next = advanceCatchment(current.entries, cycle)
  for (const entry of next.updated) current.entries.set(catchmentKey(entry), entry)
  state.changes.push(...next.changes)
}

function observationsOf(
  state: MemoryState,
  q: { target: string; since: number; until: number; vantage?: string; limit?: number },
): Observation[] {
  const matching = cyclesOf(state, q.target)
    .flatMap((cycle) => cycle.observations)
    .filter((o) => o.observedAt >= q.since && o.observedAt < q.until && (q.vantage === undefined || o.vantage === q.vantage))
  return limited(matching.sort((a, b) => a.observedAt - b.observedAt), q.limit).map(copy)
}

function rollupsOf(state: MemoryState, q: { target: string; granularity: RollupGranularity; since: number; until: number }): Rollup[] {
  return [...state.buckets.values()]
    .filter(({ key }) => key.target === q.target && key.granularity === q.granularity && key.bucketStart >= q.since && key.bucketStart < q.until)
    .map(rollupOf)
    .sort(compareRollupKeys)
}

function rollupOf(bucket: Bucket): Rollup {
  const sorted = [...bucket.rttsMs].sort((a, b) => a - b)
  return {
    ...bucket.key,
    count: bucket.count,
    successes: bucket.successes,
    rttMinMs: sorted[0] ?? null,
    rttP50Ms: percentileOfSorted(sorted, PERCENTILES.p50),
    rttP95Ms: percentileOfSorted(sorted, PERCENTILES.p95),
    rttMaxMs: sorted.at(-1) ?? null,
  }
}

function catchmentOf(state: MemoryState, target: string | undefined): CatchmentEntry[] {
  return [...state.catchment.values()]
    .flatMap((current) => [...current.entries.values()])
    .filter((entry) => target === undefined || entry.target === target)
    .sort(compareCatchmentEntries)
    .map(copy)
}

function catchmentChangesOf(state: MemoryState, q: CatchmentChangesQuery): CatchmentChange[] {
  const matching = state.changes.filter(
    (c) => c.target === q.target && c.at >= q.since && c.at < q.until && (q.vantage === undefined || c.vantage === q.vantage)
      && (q.family === undefined || c.family === q.family),
  )
  return limited(matching.sort((a, b) => a.at - b.at || compareText(a.vantage, b.vantage) || compareText(a.family, b.family)), q.limit).map(copy)
}

// ---- policy state, incidents, outbox

interface PolicySave {
  target: string
  expectedVersion: number
  policyState: unknown
  incidents: readonly Incident[]
  outbox: readonly { route: string; notification: Notification }[]
}

function savePolicyState(state: MemoryState, save: PolicySave): boolean {
  const version = state.policy.get(save.target)?.version ?? 0
  if (version !== save.expectedVersion) return false
  state.policy.set(save.target, { version: version + 1, stateJson: JSON.stringify(save.policyState ?? null) })
  for (const incident of save.incidents) state.incidents.set(`${incident.key}|${incident.openedAt}`, JSON.stringify(incident))
  for (const { route, notification } of save.outbox) {
    const id = `${notification.id}|${route}`
    if (state.outbox.has(id)) continue
    state.outbox.set(id, {
      id, route, notification: copy(notification), status: 'pending', attempts: 0, nextAttemptAt: notification.at, lastError: null,
    })
  }
  return true
}

function incidentsOf(state: MemoryState, q: { target?: string; status?: Incident['status']; limit?: number }): Incident[] {
  const matching = [...state.incidents.values()]
    .map((json) => JSON.parse(json) as Incident)
    .filter((incident) => (!q.target || incident.target === q.target) && (!q.status || incident.status === q.status))
  return limited(matching.sort((a, b) => b.openedAt - a.openedAt || compareText(a.key, b.key)), q.limit)
}

function claimDue(state: MemoryState, now: number, limit: number, leaseMs: number): OutboxItem[] {
  if (limit <= 0) return []
  const order = new Map([...state.outbox.keys()].map((id, index) => [id, index]))
  const due = [...state.outbox.values()]
    .filter((item) => item.status === 'pending' && item.nextAttemptAt <= now)
    .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0))
    .slice(0, limit)
  for (const item of due) {
    item.nextAttemptAt = now + leaseMs
    item.attempts += 1
  }
  return due.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0)).map(copy)
}

function recordDelivery(state: MemoryState, id: string, result: DeliveryResult): void {
  const item = state.outbox.get(id)
  if (!item || item.status !== 'pending') return
  if (result.kind === 'delivered') item.status = 'delivered'
  if (result.kind === 'failed') {
    item.status = 'failed'
    item.lastError = result.error
  }
  if (result.kind === 'retry') {
    item.nextAttemptAt = result.nextAttemptAt
    item.lastError = result.error
  }
}

// ---- BGP views

function saveBgpView(state: MemoryState, target: string, view: StoredBgpView): void {
  const stored = state.bgpViews.get(target)
  if (stored && stored.checkedAt > view.checkedAt) return
  state.bgpViews.set(target, { checkedAt: view.checkedAt, json: JSON.stringify(view) })
}

// ---- retention

function prune(state: MemoryState, now: number, retention: RetentionSettings): void {
  const cutoff = (days: number): number => now - days * DAY_MS
  const observationsCutoff = cutoff(retention.observationsDays)
  for (const [target, cycles] of state.cycles) {
    const kept = cycles.filter((cycle) => cycle.startedAt >= observationsCutoff)
    for (const cycle of cycles) if (cycle.startedAt < observationsCutoff) state.cycleIds.delete(cycle.cycleId)
    state.cycles.set(target, kept)
  }
  const bucketCutoffs: Record<RollupGranularity, number> = { hour: cutoff(retention.hourlyRollupsDays), day: cutoff(retention.dailyRollupsDays) }
  for (const [id, bucket] of state.buckets) if (bucket.key.bucketStart < bucketCutoffs[bucket.key.granularity]) state.buckets.delete(id)
  const dailyCutoff = bucketCutoffs.day
  state.changes = state.changes.filter((change) => change.at >= dailyCutoff)
  for (const [id, item] of state.outbox) if (item.status !== 'pending' && item.notification.at < dailyCutoff) state.outbox.delete(id)
  for (const [id, json] of state.incidents) {
    const incident = JSON.parse(json) as Incident
    if (incident.status === 'resolved' && incident.resolvedAt !== null && incident.resolvedAt < dailyCutoff) state.incidents.delete(id)
  }
}
