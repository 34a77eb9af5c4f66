// Cycles with a remote vantage: what it pushed through the ingest API lands in exactly one cycle, with its
// site resolved there; a cycle it pushed nothing for records it as missing, with the reason.
import { describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../src/adapters/store/memory.ts'
import { createRemoteRunner } from '../../src/app/remote-runner.ts'
import { runCycle } from '../../src/app/run-cycle.ts'
import { naturalKeyOf } from '../../src/core/ingest/batch.ts'
import { INGEST_PATH } from '../../src/core/ingest/signature.ts'
import type { Observation } from '../../src/core/model.ts'
import { cycleDepsOf } from '../../src/wiring/monitor.ts'
import { TARGET, VANTAGE, batchBody, ingestConfig, monitorApp, pushed, signedHeaders } from '../support/ingest.ts'

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0)
const CYCLE_MS = 60_000
const SECOND_MS = 1000

function monitor() {
  const config = ingestConfig({}, {
    targets: [
      { id: TARGET, label: 'Lab', addresses: ['198.51.100.53'], qname: 'example', sites: [{ id: 'fra', label: 'FRA', latitude: 50.1, longitude: 8.7, match: { exact: ['fra-1'] } }] },
      { id: 'other', label: 'Other', addresses: ['203.0.113.53'], qname: 'example', sites: [{ id: 'ams', label: 'AMS', latitude: 52.4, longitude: 4.9, match: { exact: ['ams-1'] } }] },
    ],
  })
  const store = createMemoryStore()
  const clock = { now: T0 }
  const app = monitorApp(store, config, () => clock.now)
  const deps = cycleDepsOf({ config, routes: [], store, runners: [createRemoteRunner({ vantage: VANTAGE, store })], clock: { nowMs: () => clock.now, monotonicMs: () => 0 } })
  const push = async (observations: Observation[]) => {
    const body = batchBody(observations)
    const response = await app.request(INGEST_PATH, { method: 'POST', body, headers: await signedHeaders(body, { nowMs: clock.now }) })
    expect(response.status).toBe(200)
  }
  const cycleAt = async (at: number) => {
    clock.now = at
    return runCycle(deps)
  }
  return { store, push, cycleAt, clock }
}

const round = (at: number) => [pushed(at), pushed(at, { transport: 'tcp', connectMs: 0.4 })]

describe('a cycle with a remote vantage', () => {
  it('includes what the vantage pushed before it started, once, with sites resolved; a cycle without pushes records it missing', async () => {
    const { store, push, cycleAt, clock } = monitor()
    clock.now = T0 - 30 * SECOND_MS
    await push(round(T0 - 40 * SECOND_MS))

    const first = await cycleAt(T0)
    const lab = first.cycles.find((cycle) => cycle.target === TARGET)
    expect(lab?.observations.map((o) => [o.vantage, o.transport, o.outcome, o.site, o.observedAt])).toEqual([
      [VANTAGE, 'tcp', 'ok', 'fra', T0 - 40 * SECOND_MS],
      [VANTAGE, 'udp', 'ok', 'fra', T0 - 40 * SECOND_MS],
    ])
    expect(lab?.missingVantages).toEqual([])
    expect(first.cycles.find((cycle) => cycle.target === 'other')?.missingVantages).toEqual([{ vantage: VANTAGE, reason: 'reported no observation of this target' }])

    const second = await cycleAt(T0 + CYCLE_MS)
    expect(second.cycles[0]?.observations).toEqual([])
    expect(second.cycles[0]?.missingVantages).toEqual([{
      vantage: VANTAGE,
      reason: `runner:remote:${VANTAGE}: pushed nothing since the previous cycle (no observation made before ${new Date(T0 + CYCLE_MS).toISOString()} left to take)`,
    }])

    // The first batch again (a retry whose answer was lost), a new round, and one observed after the next cycle starts.
    clock.now = T0 + CYCLE_MS + 30 * SECOND_MS
    await push(round(T0 - 40 * SECOND_MS))
    await push([...round(T0 + CYCLE_MS + 20 * SECOND_MS), pushed(T0 + 2 * CYCLE_MS + 2 * SECOND_MS)])
    const third = await cycleAt(T0 + 2 * CYCLE_MS)
    expect(third.cycles[0]?.observations.map((o) => o.observedAt)).toEqual([T0 + CYCLE_MS + 20 * SECOND_MS, T0 + CYCLE_MS + 20 * SECOND_MS])
    const fourth = await cycleAt(T0 + 3 * CYCLE_MS)
    expect(fourth.cycles[0]?.observations.map((o) => o.observedAt)).toEqual([T0 + 2 * CYCLE_MS + 2 * SECOND_MS])

    const everyStored = (await store.observations({ target: TARGET, since: 0, until: T0 + 4 * CYCLE_MS })).map(naturalKeyOf)
    expect(everyStored).toHaveLength(5)
    expect(new Set(everyStored).size).toBe(5)
    expect((await store.recentCycles(TARGET, 10)).map((cycle) => cycle.observations.length)).toEqual([2, 0, 2, 1])
  })
})
