// A small in-memory cache with a freshness time per entry, that also keeps expired entries for a while
// so that a source can show its last good data (marked stale) when a refresh fails. Bounded: the
// oldest entries go first.

export interface CacheEntry<T> {
  value: T
  storedAt: number
  /** Fresh until this epoch ms. */
  freshUntil: number
}

export interface TtlCache<T> {
  /** The entry while it is fresh, else undefined. */
  fresh(key: string, nowMs: number): T | undefined
  /** The entry, fresh or not, while it is younger than the cache's keep time. */
  lastGood(key: string, nowMs: number): CacheEntry<T> | undefined
  put(key: string, value: T, ttlMs: number, nowMs: number): void
}

export function createTtlCache<T>(options: { keepMs: number; maxEntries: number }): TtlCache<T> {
  const entries = new Map<string, CacheEntry<T>>()
  const lastGood = (key: string, nowMs: number): CacheEntry<T> | undefined => {
    const entry = entries.get(key)
    if (entry === undefined || nowMs - entry.storedAt > options.keepMs) return undefined
    return entry
  }
  return {
    fresh: (key, nowMs) => {
      const entry = lastGood(key, nowMs)
      return entry !== undefined && nowMs < entry.freshUntil ? entry.value : undefined
    },
    lastGood,
    put: (key, value, ttlMs, nowMs) => {
      entries.delete(key)
      entries.set(key, { value, storedAt: nowMs, freshUntil: nowMs + ttlMs })
      // Map keeps insertion order, and a put re-inserts: the first key is the least recently stored.
      while (entries.size > options.maxEntries) entries.delete(entries.keys().next().value as string)
    },
  }
}
