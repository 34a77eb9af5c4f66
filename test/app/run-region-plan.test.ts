import { describe, expect, it } from 'vitest'
import { createMemoryTransport } from '../../src/adapters/transport/memory.ts'
import { runRegionPlan, type RegionPlanDeps } from '../../src/app/run-region-plan.ts'
import { decodeMessage } from '../../src/core/dns/wire.ts'
import type { ProbePlan, ProbeTask } from '../../src/ports/vantage-runner.ts'
import { soaReply } from '../support/dns-replies.ts'

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0)
const FREE = { maxConnections: 6, subrequestBudget: 50 }

const task = (index: number, fields: Partial<ProbeTask> = {}): ProbeTask => ({
  target: 'dns', address: `192.0.2.${index + 1}`, port: 53, transport: 'tcp', qname: 'example', qtype: 'SOA',
  timeoutMs: 500, udpPayloadBytes: 1232, identityFallback: true, ...fields,
})
const plan = (tasks: ProbeTask[], concurrency = 16): ProbePlan => ({ vantage: 'cf-weur', cycleStartedAt: NOW, tasks, concurrency })

/** A TCP-only region whose nodes answer with an NSID naming their address; counts exchanges in flight. */
function region(fields: Partial<RegionPlanDeps> = {}) {
  let inFlight = 0
  let maxInFlight = 0
  const memory = createMemoryTransport('tcp', (bytes, to) => {
    const decoded = decodeMessage(bytes)
    if (!decoded.ok) throw new Error(decoded.error)
    return { kind: 'replies', replies: [soaReply({ id: decoded.message.id, question: decoded.message.questions[0]! }, { nsid: to.address })], rttMs: 3 }
  })
  const tcp = {
    name: 'tcp' as const,
    exchange: async (exchange: Parameters<typeof memory.exchange>[0]) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight)
      await new Promise((resolve) => setTimeout(resolve, 2))
      inFlight -= 1
      return memory.exchange(exchange)
    },
  }
  const deps: RegionPlanDeps = {
    transports: { tcp },
    clock: { nowMs: () => NOW, monotonicMs: () => 0 },
    random: () => 0.5,
    limits: FREE,
    locateColo: async () => 'FRA',
    ...fields,
  }
  return { deps, maxInFlight: () => maxInFlight }
}

describe('one invocation of a regional probe', () => {
  it('returns one observation per task in task order, the colo it ran in and when', async () => {
    const { deps } = region()
    const report = await runRegionPlan(deps, plan([task(0), task(1)]))
    expect(report).toMatchObject({ ok: true, colo: 'FRA', ranAt: NOW })
    if (!report.ok) return
    expect(report.observations.map((o) => [o.vantage, o.address, o.outcome, o.identity?.text])).toEqual([
      ['cf-weur', '192.0.2.1', 'ok', '192.0.2.1'],
      ['cf-weur', '192.0.2.2', 'ok', '192.0.2.2'],
    ])
  })

  it('keeps at most 6 probes in flight whatever concurrency the plan asks for', async () => {
    const { deps, maxInFlight } = region()
    const report = await runRegionPlan(deps, plan(Array.from({ length: 16 }, (_, index) => task(index)), 16))
    expect(report.ok && report.observations).toHaveLength(16)
    expect(maxInFlight()).toBe(6)
  })

  it('reports a UDP task as a network error, since a Worker cannot send it', async () => {
    const { deps } = region()
    const report = await runRegionPlan(deps, plan([task(0, { transport: 'udp' }), task(1)]))
    if (!report.ok) throw new Error(report.error)
    expect(report.observations.map((o) => [o.transport, o.outcome, o.error])).toEqual([
      ['udp', 'network-error', 'no udp transport in this runtime'],
      ['tcp', 'ok', null],
    ])
  })

  it('reports the colo as null when the lookup fails, and still probes', async () => {
    const { deps } = region({ locateColo: () => Promise.reject(new Error('lookup broke')) })
    expect(await runRegionPlan(deps, plan([task(0)]))).toMatchObject({ ok: true, colo: null, observations: [{ outcome: 'ok' }] })
  })

  it('refuses a plan over its subrequest budget instead of running part of it', async () => {
    const { deps } = region({ limits: { maxConnections: 6, subrequestBudget: 10 } })
    expect(await runRegionPlan(deps, plan(Array.from({ length: 4 }, (_, index) => task(index))))).toEqual({
      ok: false,
      error: 'plan for cf-weur refused: its 4 tasks can make up to 12 connect() calls, over the budget of 10 per invocation; split it into 2 invocations first',
    })
  })

  it('refuses a task that no invocation can fit', async () => {
    const { deps } = region({ limits: { maxConnections: 6, subrequestBudget: 2 } })
    expect(await runRegionPlan(deps, plan([task(0)]))).toEqual({
      ok: false,
      error: expect.stringMatching(/^plan for cf-weur refused: task 0 can make up to 3 connect\(\) calls.*budget of 2 per invocation$/),
    })
  })
})
