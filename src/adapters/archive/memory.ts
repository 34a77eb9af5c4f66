// The reference archive: observations in an array, the queries computed directly (exact nearest-rank
// percentiles). It refuses what Timestream refuses between records: a second record of the same series
// and time with different values; an identical one is taken as already there.
import type { Observation } from '../../core/model.ts'
import type { ArchiveRejection, LatestObservation, ObservationArchive, RttBucket, UptimeDay } from '../../ports/observation-archive.ts'
import { percentileOfSorted } from '../store/derive.ts'

const DAY_MS = 86_400_000

export function createMemoryArchive(): ObservationArchive {
  const bySeriesAndTime = new Map<string, Observation>()

  const inRange = (target: string, from: number, until: number) => (o: Observation) => o.target === target && o.observedAt >= from && o.observedAt < until
  const all = (): Observation[] => [...bySeriesAndTime.values()]

  return {
    name: 'memory',
    async archive(observations) {
      let written = 0
      const rejected: ArchiveRejection[] = []
      observations.forEach((observation, index) => {
        const key = seriesKey(observation)
        const existing = bySeriesAndTime.get(key)
        if (existing !== undefined && valuesOf(existing) !== valuesOf(observation)) {
          rejected.push({ index, reason: 'a record with the same dimensions and time already holds different values' })
          return
        }
        bySeriesAndTime.set(key, existing ?? observation)
        written += 1
      })
      return { written, rejected }
    },
    async rttSeries({ target, from, until, bucketMs }) {
      if (!Number.isSafeInteger(bucketMs) || bucketMs < 1000 || bucketMs % 1000 !== 0) throw new RangeError(`a bucket is a whole number of seconds, not ${bucketMs} ms`)
      const groups = groupBy(
        all().filter(inRange(target, from, until)).filter((o) => o.outcome === 'ok' && o.rttMs !== null),
        (o) => ({ vantage: o.vantage, start: floorTo(o.observedAt, bucketMs) }),
      )
      return groups.map(({ vantage, start, members }): RttBucket => {
        const sorted = members.map((o) => o.rttMs as number).sort((a, b) => a - b)
        return { vantage, bucketStart: start, samples: sorted.length, p50Ms: percentileOfSorted(sorted, 0.5) as number, p95Ms: percentileOfSorted(sorted, 0.95) as number }
      })
    },
    async uptime({ target, from, until }) {
      const groups = groupBy(all().filter(inRange(target, from, until)), (o) => ({ vantage: o.vantage, start: floorTo(o.observedAt, DAY_MS) }))
      return groups.map(({ vantage, start, members }): UptimeDay => ({
        vantage,
        dayStart: start,
        probes: members.length,
        ok: members.filter((o) => o.outcome === 'ok').length,
      }))
    },
    async latest({ target, since }) {
      const newest = new Map<string, Observation>()
      for (const o of all().filter(inRange(target, since, Number.POSITIVE_INFINITY))) {
        const key = JSON.stringify([o.vantage, o.address, o.transport])
        const held = newest.get(key)
        if (held === undefined || o.observedAt > held.observedAt) newest.set(key, o)
      }
      return [...newest.values()]
        .sort((a, b) => compare(a.vantage, b.vantage) || compare(a.address, b.address) || compare(a.transport, b.transport))
        .map((o): LatestObservation => ({
          vantage: o.vantage,
          address: o.address,
          transport: o.transport,
          observedAt: Math.trunc(o.observedAt),
          outcome: o.outcome,
          rcode: o.rcode,
          rttMs: o.rttMs,
          site: o.site ?? null,
        }))
    },
    async close() {},
  }
}

/** What identifies a Timestream record: its dimensions and its time. */
function seriesKey(o: Observation): string {
  return JSON.stringify([o.target, o.vantage, o.transport, o.address, o.site ?? null, Math.trunc(o.observedAt)])
}

/** What a record holds beyond its key: its measures. */
function valuesOf(o: Observation): string {
  return JSON.stringify([o.outcome, o.rttMs, o.connectMs, o.rcode, o.identity?.text ?? null, o.identity?.hex ?? null])
}

function floorTo(ms: number, stepMs: number): number {
  return Math.floor(ms / stepMs) * stepMs
}

/** Groups by (vantage, start), ordered by start then vantage. */
function groupBy(observations: Observation[], keyOf: (o: Observation) => { vantage: string; start: number }) {
  const groups = new Map<string, { vantage: string; start: number; members: Observation[] }>()
  for (const o of observations) {
    const { vantage, start } = keyOf(o)
    const key = JSON.stringify([start, vantage])
    const group = groups.get(key) ?? { vantage, start, members: [] }
    group.members.push(o)
    groups.set(key, group)
  }
  return [...groups.values()].sort((a, b) => a.start - b.start || compare(a.vantage, b.vantage))
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
