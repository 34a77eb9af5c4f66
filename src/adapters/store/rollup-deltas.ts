// What a batch of observations adds to each rollup bucket, added up in memory so that the SQLite store
// runs one upsert per (granularity, target, bucket, vantage, family, site) and batch.
import type { Observation } from '../../core/model.ts'
import type { AddressFamily } from '../../core/paths.ts'
import type { RollupGranularity } from '../../ports/store.ts'
import { GRANULARITIES, bucketStartMs, rollupFamilyOf, rollupRttOf, rollupSiteOf } from './derive.ts'
import { addToHistogram, type RttHistogram } from './rtt-histogram.ts'

export interface RollupDelta {
  granularity: RollupGranularity
  target: string
  bucketStart: number
  vantage: string
  family: AddressFamily
  site: string | null
  count: number
  successes: number
  rttMinMs: number | null
  rttMaxMs: number | null
  rttHistogram: RttHistogram
  rttCount: number
}

export interface RollupAccumulator {
  add(observation: Observation): void
  deltas(): Iterable<RollupDelta>
}

export function createRollupAccumulator(): RollupAccumulator {
  const deltas = new Map<string, RollupDelta>()
  return {
    add(observation) {
      for (const granularity of GRANULARITIES) addToDelta(deltaFor(deltas, granularity, observation), observation)
    },
    deltas: () => deltas.values(),
  }
}

function deltaFor(deltas: Map<string, RollupDelta>, granularity: RollupGranularity, observation: Observation): RollupDelta {
  const bucketStart = bucketStartMs(granularity, observation.observedAt)
  const site = rollupSiteOf(observation)
  const family = rollupFamilyOf(observation)
  const key = `${granularity}\u0000${observation.target}\u0000${bucketStart}\u0000${observation.vantage}\u0000${family}\u0000${site ?? ''}`
  let delta = deltas.get(key)
  if (!delta) {
    delta = {
      granularity, target: observation.target, bucketStart, vantage: observation.vantage, family, site,
      count: 0, successes: 0, rttMinMs: null, rttMaxMs: null, rttHistogram: new Map(), rttCount: 0,
    }
    deltas.set(key, delta)
  }
  return delta
}

function addToDelta(delta: RollupDelta, observation: Observation): void {
  delta.count += 1
  if (observation.outcome === 'ok') delta.successes += 1
  const rttMs = rollupRttOf(observation)
  if (rttMs === null) return
  delta.rttCount += 1
  delta.rttMinMs = delta.rttMinMs === null ? rttMs : Math.min(delta.rttMinMs, rttMs)
  delta.rttMaxMs = delta.rttMaxMs === null ? rttMs : Math.max(delta.rttMaxMs, rttMs)
  addToHistogram(delta.rttHistogram, rttMs)
}
