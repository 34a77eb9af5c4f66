import { describe, expect, it } from 'vitest'
import { createDurableObjectRunner, type RegionNamespace } from '../../../src/adapters/runner/durable-object.ts'
import { VantageRunnerError } from '../../../src/adapters/runner/runner-error.ts'
import type { CloudflareLocationHint } from '../../../src/core/config.ts'
import type { Observation } from '../../../src/core/model.ts'
import type { ProbeLimits } from '../../../src/core/probe-budget.ts'
import type { RegionResult } from '../../../src/ports/region-probe.ts'
import type { ProbePlan, ProbeTask } from '../../../src/ports/vantage-runner.ts'

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0)
const FREE = { maxConnections: 6, subrequestBudget: 50 }

const task = (index: number, fields: Partial<ProbeTask> = {}): ProbeTask => ({
  target: 'dns', address: `192.0.2.${index + 1}`, port: 53, transport: 'tcp', qname: 'example', qtype: 'SOA',
  timeoutMs: 500, udpPayloadBytes: 1232, identityFallback: true, ...fields,
})
const tasks = (count: number) => Array.from({ length: count }, (_, index) => task(index))
const plan = (planned: ProbeTask[]): ProbePlan => ({ vantage: 'cf-weur', cycleStartedAt: NOW, tasks: planned, concurrency: 16 })

const observation = (vantage: string, t: ProbeTask): Observation => ({
  observedAt: NOW, vantage, target: t.target, address: t.address, port: t.port, qname: t.qname, transport: t.transport,
  outcome: 'ok', rcode: 0, rttMs: 4, connectMs: 1, identity: null, retriedOverTcp: false, ignoredReplies: 0, error: null,
})

/** A namespace of fake regions that answer each task with an ok observation; records every call. */
function namespace(behaviour: (plan: ProbePlan, call: number) => Promise<RegionResult> | 'answer' = () => 'answer') {
  const gets: { name: string; locationHint: CloudflareLocationHint }[] = []
  const calls: ProbePlan[] = []
  const fake: RegionNamespace<string> = {
    idFromName: (name) => `id:${name}`,
    get: (id, options) => {
      gets.push({ name: id, locationHint: options.locationHint })
      return {
        runPlan: async (sent) => {
          calls.push(sent)
          const outcome = behaviour(sent, calls.length)
          if (outcome !== 'answer') return outcome
          return { ok: true, observations: sent.tasks.map((t) => observation(sent.vantage, t)), colo: 'FRA', ranAt: NOW + calls.length }
        },
      }
    },
  }
  return { fake, gets, calls }
}

const runner = (fake: RegionNamespace<string>, limits: ProbeLimits = FREE) =>
  createDurableObjectRunner({ vantage: 'cf-weur', locationHint: 'weur', namespace: fake, limits })

describe('the Durable Object runner', () => {
  it('asks the object named after its region, created with that location hint, in one call when the plan fits', async () => {
    const { fake, gets, calls } = namespace()
    const run = await runner(fake).runWithReport(plan(tasks(3)), new AbortController().signal)
    expect(gets).toEqual([{ name: 'id:weur', locationHint: 'weur' }])
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({ vantage: 'cf-weur', cycleStartedAt: NOW, concurrency: 6 })
    expect(run.invocations).toEqual([{ colo: 'FRA', ranAt: NOW + 1, tasks: 3 }])
    expect(run.observations.map((o) => o.address)).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3'])
  })

  it('splits a plan over the subrequest budget into invocations that each fit and merges them in task order', async () => {
    const { fake, calls } = namespace()
    const observations = await runner(fake, { maxConnections: 6, subrequestBudget: 49 }).run(plan(tasks(40)), new AbortController().signal)
    expect(calls.map((sent) => sent.tasks.length)).toEqual([16, 16, 8])
    expect(observations.map((o) => o.address)).toEqual(tasks(40).map((t) => t.address))
  })

  it('sends the invocations one after the other, never two at once to the same object', async () => {
    let inFlight = 0
    let maxInFlight = 0
    const { fake } = namespace(async (sent) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight)
      await new Promise((resolve) => setTimeout(resolve, 2))
      inFlight -= 1
      return { ok: true, observations: sent.tasks.map((t) => observation(sent.vantage, t)), colo: null, ranAt: NOW }
    })
    await runner(fake, { maxConnections: 6, subrequestBudget: 3 }).run(plan(tasks(4)), new AbortController().signal)
    expect(maxInFlight).toBe(1)
  })

  it('makes no call for an empty plan', async () => {
    const { fake, calls } = namespace()
    expect(await runner(fake).run(plan([]), new AbortController().signal)).toEqual([])
    expect(calls).toHaveLength(0)
  })

  it('refuses a plan with a task no invocation can fit before calling, naming the vantage, region and numbers', async () => {
    const { fake, calls } = namespace()
    await expect(runner(fake, { maxConnections: 6, subrequestBudget: 2 }).run(plan(tasks(1)), new AbortController().signal)).rejects.toThrow(
      /^runner:durable-object:cf-weur \(weur\): plan refused: task 0 can make up to 3 connect\(\) calls.*budget of 2 per invocation$/,
    )
    expect(calls).toHaveLength(0)
  })

  it('rejects naming the vantage and region when the object fails', async () => {
    const { fake } = namespace((_plan, call) => (call === 2 ? Promise.reject(new Error('Durable Object reset because its code was updated.')) : 'answer'))
    const run = runner(fake, { maxConnections: 6, subrequestBudget: 3 }).run(plan(tasks(3)), new AbortController().signal)
    await expect(run).rejects.toThrow('runner:durable-object:cf-weur (weur): invocation 2 of 3 failed: Durable Object reset because its code was updated.')
  })

  it('rejects naming the vantage and region when the object refuses its chunk', async () => {
    const { fake } = namespace(async () => ({ ok: false, error: 'plan for cf-weur refused: over the budget of 10 per invocation' }))
    await expect(runner(fake).run(plan(tasks(1)), new AbortController().signal)).rejects.toThrow(
      'runner:durable-object:cf-weur (weur): invocation 1 of 1 ran nothing: plan for cf-weur refused: over the budget of 10 per invocation',
    )
  })

  it('rejects when an invocation returns the wrong number of observations', async () => {
    const { fake } = namespace(async (sent) => ({ ok: true, observations: sent.tasks.slice(1).map((t) => observation(sent.vantage, t)), colo: null, ranAt: NOW }))
    await expect(runner(fake).run(plan(tasks(2)), new AbortController().signal)).rejects.toThrow('invocation 1 of 1 returned 1 observations for 2 tasks')
  })

  it('rejects when an invocation returns something that is not a list of observations', async () => {
    const { fake } = namespace(async () => ({ ok: true, observations: [{ outcome: 'fine' }], colo: null, ranAt: NOW }) as unknown as RegionResult)
    await expect(runner(fake).run(plan(tasks(1)), new AbortController().signal)).rejects.toThrow(/invocation 1 of 1 returned no list of observations/)
  })

  it('keeps the observations of the invocations that finished when a later one fails', async () => {
    const { fake, calls } = namespace((_plan, call) => (call === 2 ? Promise.reject(new Error('Durable Object reset because its code was updated.')) : 'answer'))
    const error = await rejectionOf(runner(fake, { maxConnections: 6, subrequestBudget: 6 }).run(plan(tasks(6)), new AbortController().signal))
    expect(error.message).toBe('runner:durable-object:cf-weur (weur): invocation 2 of 3 failed: Durable Object reset because its code was updated.')
    expect(error.partial.map((o) => o.address)).toEqual(['192.0.2.1', '192.0.2.2'])
    expect(calls).toHaveLength(2)
  })

  it('keeps what finished before the cycle deadline, and starts no invocation after it', async () => {
    const deadline = new AbortController()
    const { fake, calls } = namespace((_plan, call) => {
      if (call === 1) return 'answer'
      queueMicrotask(() => deadline.abort(new Error('cycle deadline')))
      return new Promise(() => {})
    })
    const error = await rejectionOf(runner(fake, { maxConnections: 6, subrequestBudget: 3 }).run(plan(tasks(3)), deadline.signal))
    expect(error.message).toBe('runner:durable-object:cf-weur (weur): invocation 2 of 3 failed: did not report before the cycle deadline')
    expect(error.partial.map((o) => o.address)).toEqual(['192.0.2.1'])
    expect(calls).toHaveLength(2)
  })

  it('keeps the earlier invocations when a later one refuses its chunk or returns too few observations', async () => {
    const refusing = namespace(async (sent, call) =>
      call === 2 ? { ok: false, error: 'ProbeRegion: invalid env' } : { ok: true, observations: sent.tasks.map((t) => observation(sent.vantage, t)), colo: null, ranAt: NOW },
    )
    const refused = await rejectionOf(runner(refusing.fake, { maxConnections: 6, subrequestBudget: 3 }).run(plan(tasks(2)), new AbortController().signal))
    expect(refused.message).toMatch(/invocation 2 of 2 ran nothing: ProbeRegion: invalid env$/)
    expect(refused.partial).toHaveLength(1)
    const short = namespace(async (sent, call) => ({ ok: true, observations: sent.tasks.slice(call - 1).map((t) => observation(sent.vantage, t)), colo: null, ranAt: NOW }))
    const shortened = await rejectionOf(runner(short.fake, { maxConnections: 6, subrequestBudget: 3 }).run(plan(tasks(2)), new AbortController().signal))
    expect(shortened.message).toMatch(/invocation 2 of 2 returned 0 observations for 1 tasks$/)
    expect(shortened.partial.map((o) => o.address)).toEqual(['192.0.2.1'])
  })

  it('carries nothing measured when the first invocation fails', async () => {
    const { fake } = namespace(() => Promise.reject(new Error('no such region')))
    expect((await rejectionOf(runner(fake).run(plan(tasks(2)), new AbortController().signal))).partial).toEqual([])
  })

  it('says how long its plan can take: its invocations one after another, each at its worst plus a margin', () => {
    const { fake } = namespace()
    // 40 TCP tasks with the CHAOS fallback: 16 + 16 + 8 tasks, 3 + 3 + 2 rounds of 6 sockets, 500 ms each.
    expect(runner(fake).worstCaseMs?.(plan(tasks(40)))).toBe(8 * 500 + 3 * 1_000)
    expect(runner(fake, { ...FREE, invocationMarginMs: 2_500 }).worstCaseMs?.(plan(tasks(40)))).toBe(8 * 500 + 3 * 2_500)
    expect(runner(fake).worstCaseMs?.(plan([]))).toBe(0)
  })

  it('needs no time for a plan it refuses at once', () => {
    const { fake } = namespace()
    expect(runner(fake, { maxConnections: 6, subrequestBudget: 2 }).worstCaseMs?.(plan(tasks(1)))).toBe(0)
  })

  it('gives up at the cycle deadline without waiting for the object', async () => {
    const { fake } = namespace(() => new Promise(() => {}))
    const deadline = new AbortController()
    const run = runner(fake).run(plan(tasks(1)), deadline.signal)
    deadline.abort(new Error('cycle deadline'))
    await expect(run).rejects.toThrow('runner:durable-object:cf-weur (weur): invocation 1 of 1 failed: did not report before the cycle deadline')
  })
})

async function rejectionOf(run: Promise<unknown>): Promise<VantageRunnerError> {
  const error = await run.then(
    () => null,
    (reason: unknown) => reason,
  )
  if (!(error instanceof VantageRunnerError)) throw new Error(`expected a VantageRunnerError, got ${String(error)}`)
  return error
}
