import { describe, expect, it } from 'vitest'
import { budgetProbeTasks, invocationWorstCaseMs, regionWorstCase, worstCaseConnects, type BudgetedTask, type TimedTask } from '../../src/core/probe-budget.ts'

const FREE = { maxConnections: 6, subrequestBudget: 50 }

/** A task labelled by its position, so chunks can be read back as lists of ids. */
const task = (id: number, fields: Partial<BudgetedTask> = {}) => ({ id, transport: 'tcp' as const, identityFallback: true, ...fields })
const tasks = (count: number, fields: Partial<BudgetedTask> = {}) => Array.from({ length: count }, (_, id) => task(id, fields))
const ids = (chunks: { id: number }[][]) => chunks.map((chunk) => chunk.map((t) => t.id))

describe('the worst case of one task', () => {
  it('is the query plus hostname.bind and id.server over TCP with the identity fallback', () => {
    expect(worstCaseConnects({ transport: 'tcp', identityFallback: true })).toBe(3)
  })

  it('is the query alone without the fallback', () => {
    expect(worstCaseConnects({ transport: 'tcp', identityFallback: false })).toBe(1)
  })

  it('is nothing for UDP, which a Worker cannot send', () => {
    expect(worstCaseConnects({ transport: 'udp', identityFallback: true })).toBe(0)
  })
})

describe('budgeting a plan for Workers invocations', () => {
  it('runs a plan whose worst case fits in one invocation, with at most 6 probes in flight', () => {
    const budget = budgetProbeTasks(tasks(16), 16, FREE)
    expect(budget).toMatchObject({ ok: true, concurrency: 6, worstCaseConnects: 48, unsupported: [] })
    expect(budget.ok && ids(budget.chunks)).toEqual([tasks(16).map((t) => t.id)])
  })

  it('keeps a concurrency below the connection limit as it is', () => {
    expect(budgetProbeTasks(tasks(4), 2, FREE)).toMatchObject({ ok: true, concurrency: 2 })
  })

  it('fills a budget exactly before it starts a second invocation', () => {
    const budget = budgetProbeTasks(tasks(10, { identityFallback: false }), 6, { maxConnections: 6, subrequestBudget: 10 })
    expect(budget.ok && budget.chunks).toHaveLength(1)
  })

  it('splits a plan over budget into contiguous chunks that each fit, in task order', () => {
    const budget = budgetProbeTasks(tasks(40), 16, { maxConnections: 6, subrequestBudget: 49 })
    expect(budget).toMatchObject({ ok: true, worstCaseConnects: 120 })
    if (!budget.ok) return
    expect(budget.chunks.map((chunk) => chunk.length)).toEqual([16, 16, 8])
    expect(budget.chunks.flat().map((t) => t.id)).toEqual(tasks(40).map((t) => t.id))
  })

  it('packs tasks of different costs by their own worst case', () => {
    const mixed = [task(0), task(1, { identityFallback: false }), task(2), task(3, { identityFallback: false }), task(4)]
    const budget = budgetProbeTasks(mixed, 6, { maxConnections: 6, subrequestBudget: 4 })
    expect(budget.ok && ids(budget.chunks)).toEqual([[0, 1], [2, 3], [4]])
  })

  it('keeps UDP tasks in place at no cost and lists them, so they are reported rather than dropped', () => {
    const plan = [task(0), task(1, { transport: 'udp' }), task(2)]
    const budget = budgetProbeTasks(plan, 6, { maxConnections: 6, subrequestBudget: 3 })
    expect(budget).toMatchObject({ ok: true, unsupported: [1], worstCaseConnects: 6 })
    expect(budget.ok && ids(budget.chunks)).toEqual([[0, 1], [2]])
  })

  it('needs no invocation for an empty plan', () => {
    expect(budgetProbeTasks([], 16, FREE)).toMatchObject({ ok: true, chunks: [], worstCaseConnects: 0 })
  })

  it('refuses a task whose worst case exceeds the budget, naming both numbers', () => {
    const budget = budgetProbeTasks([task(0, { identityFallback: false }), task(1), task(2)], 6, { maxConnections: 6, subrequestBudget: 2 })
    expect(budget).toEqual({
      ok: false,
      error:
        'task 1 can make up to 3 connect() calls (the query plus hostname.bind and id.server when the answer carries no NSID), ' +
        'more than the budget of 2 per invocation (2 tasks like it)',
    })
  })

  it('refuses a subrequest budget too small for any probe', () => {
    expect(budgetProbeTasks(tasks(1), 6, { maxConnections: 6, subrequestBudget: 0 })).toEqual({
      ok: false,
      error: 'a budget of 0 connect() calls per invocation leaves room for no probe',
    })
  })

  it('refuses a connection limit too small for any probe', () => {
    expect(budgetProbeTasks(tasks(1), 6, { maxConnections: 0, subrequestBudget: 50 })).toEqual({
      ok: false,
      error: 'a limit of 0 simultaneous connections per invocation leaves room for no probe',
    })
  })
})

/** A TCP task with the CHAOS fallback and the given timeout: 3 connect() calls, bounded by timeoutMs in all. */
const timed = (count: number, fields: Partial<TimedTask> = {}): TimedTask[] =>
  Array.from({ length: count }, () => ({ transport: 'tcp' as const, identityFallback: true, timeoutMs: 2_000, ...fields }))

describe('how long an invocation can take', () => {
  it('is one probe timeout per round of concurrent probes, however many connect() calls each makes', () => {
    expect(invocationWorstCaseMs(timed(6), 6)).toBe(2_000)
    expect(invocationWorstCaseMs(timed(7), 6)).toBe(4_000)
    expect(invocationWorstCaseMs(timed(16), 6)).toBe(6_000)
  })

  it('takes the longest timeout of the invocation for every round', () => {
    expect(invocationWorstCaseMs([...timed(6, { timeoutMs: 500 }), ...timed(1, { timeoutMs: 3_000 })], 6)).toBe(6_000)
  })

  it('counts nothing for UDP tasks, which end at once on a Worker', () => {
    expect(invocationWorstCaseMs([...timed(6), ...timed(6, { transport: 'udp' })], 6)).toBe(2_000)
    expect(invocationWorstCaseMs(timed(3, { transport: 'udp' }), 6)).toBe(0)
  })
})

describe('how long a region\'s plan can take on Workers', () => {
  it('adds the invocations one after the other, each at its worst plus its margin', () => {
    // 40 tasks x 3 connect() calls on the Free plan: 16 + 16 + 8 tasks, 3 + 3 + 2 rounds of 6 sockets.
    expect(regionWorstCase(timed(40), 16, FREE)).toEqual({ ok: true, tasks: 40, invocations: 3, concurrency: 6, worstCaseMs: 8 * 2_000 + 3 * 1_000 })
  })

  it('needs more than the 16-in-flight estimate once a plan spans invocations: 32 tasks take 14 s, not 9 s', () => {
    expect(regionWorstCase(timed(32), 16, FREE)).toMatchObject({ ok: true, invocations: 2, worstCaseMs: 6 * 2_000 + 2 * 1_000 })
  })

  it('fits 50 probes without the fallback into one invocation, 6 at a time', () => {
    expect(regionWorstCase(timed(50, { identityFallback: false }), 16, FREE)).toMatchObject({ ok: true, invocations: 1, worstCaseMs: 9 * 2_000 + 1_000 })
  })

  it('uses the margin the limits give, such as a colo lookup before the probes', () => {
    expect(regionWorstCase(timed(16), 16, { ...FREE, subrequestBudget: 49, invocationMarginMs: 3_000 })).toMatchObject({ worstCaseMs: 3 * 2_000 + 3_000 })
  })

  it('keeps a plan\'s own lower concurrency', () => {
    expect(regionWorstCase(timed(4), 2, FREE)).toMatchObject({ ok: true, concurrency: 2, worstCaseMs: 2 * 2_000 + 1_000 })
  })

  it('takes nothing for an empty plan', () => {
    expect(regionWorstCase([], 16, FREE)).toEqual({ ok: true, tasks: 0, invocations: 0, concurrency: 6, worstCaseMs: 0 })
  })

  it('says why a plan cannot run at all', () => {
    expect(regionWorstCase(timed(1), 16, { ...FREE, subrequestBudget: 2 })).toMatchObject({ ok: false, error: expect.stringMatching(/^task 0 can make up to 3 connect\(\) calls/) })
    expect(regionWorstCase(timed(1), 16, { ...FREE, invocationMarginMs: -1 })).toEqual({ ok: false, error: 'an invocation margin of -1 ms is not a duration' })
  })
})
