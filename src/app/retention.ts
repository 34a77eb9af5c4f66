// Applies the store's retention (config.store: days of observations, hourly and daily rollups; the
// ingest inbox and expired nonces go with them) at most once per interval, from the loop that runs the
// cycles: the Node `serve` loop and the Worker's coordinator. Pruning is housekeeping: a failure is
// reported to the caller's log and retried at the next interval, never a failed cycle.
import type { Clock } from '../ports/clock.ts'
import type { MonitorStore, RetentionSettings } from '../ports/store.ts'

export const PRUNE_INTERVAL_MS = 60 * 60 * 1000

export type PruneOutcome = { kind: 'pruned'; at: number } | { kind: 'not-due' } | { kind: 'failed'; at: number; error: string }

export interface RetentionSchedule {
  pruneIfDue(): Promise<PruneOutcome>
}

export function createRetentionSchedule(
  store: Pick<MonitorStore, 'prune'>,
  retention: RetentionSettings,
  clock: Pick<Clock, 'nowMs'>,
  intervalMs: number = PRUNE_INTERVAL_MS,
): RetentionSchedule {
  let lastAttemptAt: number | null = null
  return {
    async pruneIfDue() {
      const now = clock.nowMs()
      if (lastAttemptAt !== null && now - lastAttemptAt < intervalMs) return { kind: 'not-due' }
      lastAttemptAt = now
      try {
        await store.prune(now, retention)
        return { kind: 'pruned', at: now }
      } catch (error) {
        return { kind: 'failed', at: now, error: error instanceof Error ? error.message : String(error) }
      }
    },
  }
}
