import { describe, expect, it } from 'vitest'
import { createRetentionSchedule, PRUNE_INTERVAL_MS } from '../../src/app/retention.ts'
import type { RetentionSettings } from '../../src/ports/store.ts'

const RETENTION: RetentionSettings = { observationsDays: 30, hourlyRollupsDays: 90, dailyRollupsDays: 400 }

function fakeStore(failing = false) {
  const calls: { now: number; retention: RetentionSettings }[] = []
  return {
    calls,
    async prune(now: number, retention: RetentionSettings) {
      calls.push({ now, retention })
      if (failing) throw new Error('disk I/O error')
    },
  }
}

describe('the retention schedule', () => {
  it('prunes on the first call, then at most once per interval, with the configured retention', async () => {
    const store = fakeStore()
    let now = 1_000_000
    const schedule = createRetentionSchedule(store, RETENTION, { nowMs: () => now })
    expect(await schedule.pruneIfDue()).toEqual({ kind: 'pruned', at: 1_000_000 })
    now += PRUNE_INTERVAL_MS - 1
    expect(await schedule.pruneIfDue()).toEqual({ kind: 'not-due' })
    now += 1
    expect(await schedule.pruneIfDue()).toEqual({ kind: 'pruned', at: 1_000_000 + PRUNE_INTERVAL_MS })
    expect(store.calls).toEqual([
      { now: 1_000_000, retention: RETENTION },
      { now: 1_000_000 + PRUNE_INTERVAL_MS, retention: RETENTION },
    ])
  })

  it('reports a failed prune instead of throwing, and tries again only at the next interval', async () => {
    const store = fakeStore(true)
    let now = 0
    const schedule = createRetentionSchedule(store, RETENTION, { nowMs: () => now })
    expect(await schedule.pruneIfDue()).toEqual({ kind: 'failed', at: 0, error: 'disk I/O error' })
    now = 60_000
    expect(await schedule.pruneIfDue()).toEqual({ kind: 'not-due' })
    expect(store.calls.length).toBe(1)
  })
})
