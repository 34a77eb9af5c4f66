// A Cloudflare region that reports in part: its plan spans several invocations, a later one fails or the
// cycle's deadline comes, and the cycle keeps what the earlier invocations measured, recording the region
// as missing only for the probes it could not report, with the reason.
import { describe, expect, it } from 'vitest'
import { createDurableObjectRunner, type RegionNamespace } from '../../src/adapters/runner/durable-object.ts'
import { createMemoryStore } from '../../src/adapters/store/memory.ts'
import { cycleDeadlineMs, runCycle, type CycleDeps } from '../../src/app/run-cycle.ts'
import { parseConfig, type Config } from '../../src/core/config.ts'
import { evaluateCycle, requiredHistoryCycles } from '../../src/core/evaluate.ts'
import type { Observation } from '../../src/core/model.ts'
import type { RegionResult } from '../../src/ports/region-probe.ts'
import type { ProbePlan, ProbeTask } from '../../src/ports/vantage-runner.ts'

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0)
const VANTAGE = 'cf-weur'
/** One worst-case TCP probe (3 connect() calls) per invocation: each task is an invocation of its own. */
const ONE_PROBE_PER_INVOCATION = { maxConnections: 6, subrequestBudget: 3 }

function config(): Config {
  const site = { id: 'fra', label: 'FRA', latitude: 50.1, longitude: 8.7, match: { exact: ['fra-1'] } }
  const parsed = parseConfig({
    targets: [
      { id: 'alpha', label: 'Alpha', addresses: ['198.51.100.1'], qname: 'example', transports: ['tcp'], sites: [site] },
      { id: 'beta', label: 'Beta', addresses: ['198.51.100.2', '2001:db8::2'], qname: 'example', transports: ['tcp'], sites: [site] },
    ],
    vantages: [{ id: VANTAGE, label: 'Western Europe', region: 'weur', runner: { kind: 'cloudflare-region', locationHint: 'weur' } }],
    probe: { timeoutMs: 500 },
  })
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors))
  return parsed.config
}

const timeout = (vantage: string, task: ProbeTask): Observation => ({
  observedAt: T0, vantage, target: task.target, address: task.address, port: task.port, qname: task.qname, transport: task.transport,
  outcome: 'timeout', rcode: null, rttMs: null, connectMs: 1, identity: null, retriedOverTcp: false, ignoredReplies: 0, error: 'no answer before the deadline',
})

/** A region whose invocations time out on every probe, except the one `broken` says fails or hangs. */
function region(broken: (call: number) => 'fail' | 'hang' | null, onCall: (call: number) => void = () => {}): RegionNamespace<string> {
  let calls = 0
  return {
    idFromName: (name) => name,
    get: () => ({
      runPlan: async (plan: ProbePlan): Promise<RegionResult> => {
        calls += 1
        onCall(calls)
        const what = broken(calls)
        if (what === 'fail') throw new Error('Durable Object reset because its code was updated.')
        if (what === 'hang') return new Promise(() => {})
        return { ok: true, observations: plan.tasks.map((task) => timeout(plan.vantage, task)), colo: 'FRA', ranAt: T0 }
      },
    }),
  }
}

function deps(namespace: RegionNamespace<string>): CycleDeps {
  const cfg = config()
  return {
    config: cfg,
    store: createMemoryStore(),
    runners: [createDurableObjectRunner({ vantage: VANTAGE, locationHint: 'weur', namespace, limits: ONE_PROBE_PER_INVOCATION })],
    clock: { nowMs: () => T0, monotonicMs: () => 0 },
    evaluate: (input) => evaluateCycle({ ...input, params: { detection: cfg.detection, incidents: cfg.incidents } }),
    routesFor: () => [],
    historyCycles: requiredHistoryCycles(cfg.detection),
  }
}

const RUNNER = `runner:durable-object:${VANTAGE} (weur)`

describe('a cycle with a region that reports in part', () => {
  it('keeps invocation 1 of 3 when invocation 2 fails, and records the region missing, with why, for the target it reported nothing of', async () => {
    const cycleDeps = deps(region((call) => (call === 2 ? 'fail' : null)))
    const report = await runCycle(cycleDeps)
    const [alpha, beta] = report.cycles
    expect(alpha?.observations.map((o) => [o.vantage, o.address, o.outcome])).toEqual([[VANTAGE, '198.51.100.1', 'timeout']])
    expect(alpha?.missingVantages).toEqual([])
    expect(beta?.observations).toEqual([])
    expect(beta?.missingVantages).toEqual([{ vantage: VANTAGE, reason: `${RUNNER}: invocation 2 of 3 failed: Durable Object reset because its code was updated.` }])
    const [stored] = await cycleDeps.store.recentCycles('alpha', 1)
    expect(stored?.observations.map((o) => o.outcome)).toEqual(['timeout'])
  })

  it('keeps the probes of a target that finished, and names how many of its probes are missing', async () => {
    const report = await runCycle(deps(region((call) => (call === 3 ? 'fail' : null))))
    const beta = report.cycles.find((cycle) => cycle.target === 'beta')
    expect(beta?.observations.map((o) => [o.address, o.outcome])).toEqual([['198.51.100.2', 'timeout']])
    expect(beta?.missingVantages).toEqual([
      { vantage: VANTAGE, reason: `reported 1 of 2 probes of this target, then ${RUNNER}: invocation 3 of 3 failed: Durable Object reset because its code was updated.` },
    ])
  })

  it('keeps what finished when the cycle is cut during a later invocation', async () => {
    const stop = new AbortController()
    const namespace = region(
      (call) => (call === 3 ? 'hang' : null),
      (call) => call === 3 && queueMicrotask(() => stop.abort(new Error('shutting down'))),
    )
    const report = await runCycle(deps(namespace), stop.signal)
    expect(report.cycles.map((cycle) => [cycle.target, cycle.observations.length])).toEqual([['alpha', 1], ['beta', 1]])
    expect(report.cycles[1]?.missingVantages).toEqual([
      { vantage: VANTAGE, reason: `reported 1 of 2 probes of this target, then ${RUNNER}: invocation 3 of 3 failed: did not report before the cycle deadline` },
    ])
  })

  it('finds the outage in what the region measured, rather than calling the region missing', async () => {
    const report = await runCycle(deps(region((call) => (call === 3 ? 'fail' : null))))
    expect(report.findings.map((finding) => [finding.target, finding.kind])).toEqual([['alpha', 'outage'], ['beta', 'outage']])
  })
})

describe('the cycle deadline', () => {
  const cfg = config()

  it('gives runners that cannot say their worst case 16 probes in flight plus a margin', () => {
    expect(cycleDeadlineMs(cfg, 40)).toBe(3 * 500 + 5_000)
    expect(cycleDeadlineMs(cfg, 40, [undefined])).toBe(3 * 500 + 5_000)
  })

  it('gives a runner that knows its worst case that long, and waits for the slowest runner', () => {
    expect(cycleDeadlineMs(cfg, 40, [19_000])).toBe(19_000)
    expect(cycleDeadlineMs(cfg, 40, [19_000, undefined, 2_000])).toBe(19_000)
    expect(cycleDeadlineMs(cfg, 1, [1_500])).toBe(1_500)
  })
})
