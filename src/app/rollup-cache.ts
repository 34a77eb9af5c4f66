// Rollups of completed buckets hardly change (only a cycle that arrives after its bucket closed adds to
// one), so the status page keeps them between requests and asks the store only for the buckets from the
// current one on. Completed buckets are read again at most every `refreshMs`, so a late cycle shows up
// within that; a new completed bucket is fetched once, when the clock passes it.
import type { MonitorStore, Rollup, RollupGranularity } from '../ports/store.ts'

const BUCKET_MS: Record<RollupGranularity, number> = { hour: 3_600_000, day: 86_400_000 }

export type RollupQuery = Parameters<MonitorStore['rollups']>[0]

interface Entry {
  fetchedAt: number
  /** Start of the first bucket not held: rows are for buckets in [since, horizon). */
  horizon: number
  since: number
  rows: Rollup[]
}

export function createRollupCache(store: Pick<MonitorStore, 'rollups'>, options: { refreshMs: number; nowMs: () => number }) {
  // One entry per (target, granularity, window length): each page asks for a fixed window ending now.
  const entries = new Map<string, Entry>()
  return async function rollups(query: RollupQuery): Promise<Rollup[]> {
    const nowMs = options.nowMs()
    const bucketMs = BUCKET_MS[query.granularity]
    const horizon = Math.min(Math.floor(nowMs / bucketMs) * bucketMs, query.until)
    const key = `${query.target}|${query.granularity}|${query.until - query.since}`
    const entry = await completed(entries.get(key), query, horizon, nowMs)
    entries.set(key, entry)
    const current = horizon < query.until ? await store.rollups({ ...query, since: Math.max(horizon, query.since) }) : []
    return [...entry.rows.filter((row) => row.bucketStart >= query.since), ...current]
  }

  async function completed(entry: Entry | undefined, query: RollupQuery, horizon: number, nowMs: number): Promise<Entry> {
    const stale = !entry || nowMs - entry.fetchedAt >= options.refreshMs || query.since < entry.since || horizon < entry.horizon
    if (stale) {
      const rows = horizon > query.since ? await store.rollups({ ...query, until: horizon }) : []
      return { fetchedAt: nowMs, horizon, since: query.since, rows }
    }
    const kept = entry.rows.filter((row) => row.bucketStart >= query.since)
    if (horizon === entry.horizon) return { ...entry, since: query.since, rows: kept }
    const added = await store.rollups({ ...query, since: Math.max(entry.horizon, query.since), until: horizon })
    return { fetchedAt: entry.fetchedAt, horizon, since: query.since, rows: [...kept, ...added] }
  }
}
