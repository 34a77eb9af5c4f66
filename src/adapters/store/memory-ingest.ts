// The memory store's ingest inbox and nonces: the reference semantics of ingest-sql.ts in Maps.
import { naturalKeyOf } from '../../core/ingest/batch.ts'
import type { IngestedObservation, RetentionSettings } from '../../ports/store.ts'
import { DAY_MS } from './derive.ts'
import { compareIngested } from './ingest-sql.ts'
import type { SqliteIngest } from './sqlite-ingest.ts'

/** The same operations as the SQLite store's, synchronous. */
export type MemoryInbox = SqliteIngest

export function createMemoryInbox(): MemoryInbox {
  const rows = new Map<string, IngestedObservation>()
  const nonces = new Map<string, number>()
  const ofVantage = (vantage: string): IngestedObservation[] =>
    [...rows.values()].filter((row) => row.observation.vantage === vantage).sort((a, b) => compareIngested(a.observation, b.observation))
  return {
    rememberNonce: (vantage, nonce, now, expiresAt) => {
      const key = `${vantage}\u0000${nonce}`
      const remembered = nonces.get(key)
      if (remembered !== undefined && remembered > now) return false
      nonces.set(key, expiresAt)
      return true
    },
    ingestObservations: (observations, receivedAt) => {
      let stored = 0
      for (const observation of observations) {
        const key = naturalKeyOf(observation)
        if (rows.has(key)) continue
        rows.set(key, { observation: copy(observation), receivedAt, cycleStartedAt: null })
        stored += 1
      }
      return { stored }
    },
    takeIngested: (vantage, cycleStartedAt) => ofVantage(vantage)
      .filter((row) => row.observation.observedAt < cycleStartedAt && (row.cycleStartedAt === null || row.cycleStartedAt === cycleStartedAt))
      .map((row) => {
        row.cycleStartedAt = cycleStartedAt
        return copy(row.observation)
      }),
    ingestedObservations: (q) => {
      const matching = ofVantage(q.vantage).filter((row) => row.observation.observedAt >= q.since && row.observation.observedAt < q.until)
      return (q.limit === undefined || q.limit < 0 ? matching : matching.slice(0, q.limit)).map(copy)
    },
    prune: (now, retention) => {
      const cutoff = now - retention.observationsDays * DAY_MS
      for (const [key, row] of rows) if (row.observation.observedAt < cutoff) rows.delete(key)
      for (const [key, expiresAt] of nonces) if (expiresAt <= now) nonces.delete(key)
    },
  }
}

/** A JSON round trip, as a database would give it back. */
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}
