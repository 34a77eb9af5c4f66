// How a probe plan fits the limits of one Workers invocation (a Durable Object call): at most
// `maxConnections` sockets open at once, and at most `subrequestBudget` connect() calls in all, each
// connect() being a subrequest. A plan that cannot fit one invocation is cut into contiguous chunks
// that each fit, so the caller runs them one invocation after another and concatenates the answers.
// regionWorstCase says how long that sequence can take at worst, which the cycle's deadline and the
// Worker's config check (worker-config.ts) both read.
import { CHAOS_IDENTITY_NAMES } from './dns/query.ts'
import type { TransportName } from './model.ts'

/** Simultaneous open connections per Workers invocation; further connect() calls queue. */
export const WORKERS_MAX_CONNECTIONS = 6
/** Subrequests per invocation on the Workers Free plan (Paid allows more: see workers/README.md). */
export const WORKERS_FREE_SUBREQUESTS = 50
/**
 * Time one invocation may take besides its probes, at worst: the call to the region's Durable Object and
 * back (across a continent), the object starting, the sockets closing after their deadline.
 */
export const WORKERS_INVOCATION_MARGIN_MS = 1_000

export interface ProbeLimits {
  /** Sockets open at once; each probe holds one at a time, so this caps the probes in flight. */
  maxConnections: number
  /** connect() calls one invocation may make, after whatever else the invocation reserves. */
  subrequestBudget: number
  /** Time one invocation takes besides its probes, at worst; WORKERS_INVOCATION_MARGIN_MS when absent. */
  invocationMarginMs?: number
}

/** The Free plan's limits, with the colo lookup off (workers/src/probe-region.ts reads the real ones from the env). */
export const WORKERS_FREE_LIMITS: ProbeLimits = { maxConnections: WORKERS_MAX_CONNECTIONS, subrequestBudget: WORKERS_FREE_SUBREQUESTS }

/** The fields of a probe task that decide its cost. */
export interface BudgetedTask {
  transport: TransportName
  identityFallback: boolean
}

/** The fields of a probe task that decide how long it can take. */
export interface TimedTask extends BudgetedTask {
  timeoutMs: number
}

export type ProbeBudget<T> =
  | {
      ok: true
      /** Contiguous slices of the tasks, in order, each within the budget; none for an empty plan. */
      chunks: T[][]
      /** Probes in flight per invocation: the plan's concurrency, capped by maxConnections. */
      concurrency: number
      /** connect() calls the whole plan can make at worst. */
      worstCaseConnects: number
      /**
       * Indices of UDP tasks: a Worker cannot send them (connect() is TCP only). They cost nothing,
       * stay in their chunk, and come back as network-error observations ("no udp transport in this
       * runtime"), so every task is still reported. The Worker's config check (worker-config.ts)
       * keeps them out of its plans in the first place.
       */
      unsupported: number[]
    }
  | { ok: false; error: string }

/**
 * connect() calls one task can make at worst: over TCP, the IN query asking for NSID and, when
 * identityFallback is on and the answer names no node, one more per CHAOS name (hostname.bind, then
 * id.server). A TCP probe never retries (only a truncated UDP answer does), so that is all. A UDP
 * task makes none on Workers.
 */
export function worstCaseConnects(task: BudgetedTask): number {
  if (task.transport !== 'tcp') return 0
  return 1 + (task.identityFallback ? CHAOS_IDENTITY_NAMES.length : 0)
}

/** Cuts `tasks` into as few contiguous chunks as fit `limits`, or says why they cannot be run. */
export function budgetProbeTasks<T extends BudgetedTask>(tasks: readonly T[], concurrency: number, limits: ProbeLimits): ProbeBudget<T> {
  const limitsProblem = problemWithLimits(limits)
  if (limitsProblem) return { ok: false, error: limitsProblem }
  const costs = tasks.map(worstCaseConnects)
  const tooCostly = costs.findIndex((cost) => cost > limits.subrequestBudget)
  if (tooCostly >= 0) {
    const count = costs.filter((cost) => cost > limits.subrequestBudget).length
    return {
      ok: false,
      error:
        `task ${tooCostly} can make up to ${costs[tooCostly]} connect() calls (the query plus ${CHAOS_IDENTITY_NAMES.join(' and ')} ` +
        `when the answer carries no NSID), more than the budget of ${limits.subrequestBudget} per invocation` +
        (count > 1 ? ` (${count} tasks like it)` : ''),
    }
  }

  const chunks: T[][] = []
  let current: T[] = []
  let spent = 0
  tasks.forEach((task, index) => {
    const cost = costs[index] as number
    if (spent + cost > limits.subrequestBudget) {
      chunks.push(current)
      current = []
      spent = 0
    }
    current.push(task)
    spent += cost
  })
  if (current.length > 0) chunks.push(current)

  return {
    ok: true,
    chunks,
    concurrency: Math.max(1, Math.min(concurrency, limits.maxConnections)),
    worstCaseConnects: costs.reduce((sum, cost) => sum + cost, 0),
    unsupported: tasks.flatMap((task, index) => (task.transport === 'tcp' ? [] : [index])),
  }
}

export type RegionWorstCase =
  | {
      ok: true
      tasks: number
      /** Invocations run one after the other (budgetProbeTasks' chunks). */
      invocations: number
      /** Probes in flight per invocation. */
      concurrency: number
      /** The longest the whole plan can take: every invocation at its worst, one after the other. */
      worstCaseMs: number
    }
  | { ok: false; error: string }

/**
 * How long a region's plan can take at worst on Workers: its chunks run one invocation after another,
 * each at its worst (invocationWorstCaseMs) plus the invocation's margin.
 */
export function regionWorstCase(tasks: readonly TimedTask[], concurrency: number, limits: ProbeLimits): RegionWorstCase {
  const budget = budgetProbeTasks(tasks, concurrency, limits)
  if (!budget.ok) return budget
  const marginMs = limits.invocationMarginMs ?? WORKERS_INVOCATION_MARGIN_MS
  const worstCaseMs = budget.chunks.reduce((sum, chunk) => sum + invocationWorstCaseMs(chunk, budget.concurrency) + marginMs, 0)
  return { ok: true, tasks: tasks.length, invocations: budget.chunks.length, concurrency: budget.concurrency, worstCaseMs }
}

/**
 * The longest one invocation's probes can take. A TCP probe ends by its own timeoutMs whatever it meets:
 * the NSID query and the CHAOS fallbacks share that one deadline (app/probe.ts), so its 3 connect() calls
 * cost subrequests, not time. `concurrency` workers take the tasks in turn, so after k timeouts at least
 * (k + 1) x concurrency tasks have started: the last one ends within ceil(n / concurrency) timeouts. A UDP
 * task ends at once on Workers (no transport).
 */
export function invocationWorstCaseMs(tasks: readonly TimedTask[], concurrency: number): number {
  const timeouts = tasks.flatMap((task) => (task.transport === 'tcp' ? [task.timeoutMs] : []))
  if (timeouts.length === 0) return 0
  const longest = timeouts.reduce((max, timeoutMs) => Math.max(max, timeoutMs), 0)
  return Math.ceil(timeouts.length / Math.max(1, concurrency)) * longest
}

function problemWithLimits(limits: ProbeLimits): string | null {
  if (!Number.isInteger(limits.maxConnections) || limits.maxConnections < 1) {
    return `a limit of ${limits.maxConnections} simultaneous connections per invocation leaves room for no probe`
  }
  if (!Number.isInteger(limits.subrequestBudget) || limits.subrequestBudget < 1) {
    return `a budget of ${limits.subrequestBudget} connect() calls per invocation leaves room for no probe`
  }
  const margin = limits.invocationMarginMs
  if (margin !== undefined && !(Number.isFinite(margin) && margin >= 0)) return `an invocation margin of ${margin} ms is not a duration`
  return null
}
