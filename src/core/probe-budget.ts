// How a probe plan fits the limits of one Workers invocation (a Durable Object call): at most
// `maxConnections` sockets open at once, and at most `subrequestBudget` connect() calls in all, each
// connect() being a subrequest. A plan that cannot fit one invocation is cut into contiguous chunks
// that each fit, so the caller runs them one invocation after another and concatenates the answers.
import { CHAOS_IDENTITY_NAMES } from './dns/query.ts'
import type { TransportName } from './model.ts'

/** Simultaneous open connections per Workers invocation; further connect() calls queue. */
export const WORKERS_MAX_CONNECTIONS = 6
/** Subrequests per invocation on the Workers Free plan (Paid allows more: see workers/README.md). */
export const WORKERS_FREE_SUBREQUESTS = 50

export interface ProbeLimits {
  /** Sockets open at once; each probe holds one at a time, so this caps the probes in flight. */
  maxConnections: number
  /** connect() calls one invocation may make, after whatever else the invocation reserves. */
  subrequestBudget: number
}

/** The fields of a probe task that decide its cost. */
export interface BudgetedTask {
  transport: TransportName
  identityFallback: boolean
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

function problemWithLimits(limits: ProbeLimits): string | null {
  if (!Number.isInteger(limits.maxConnections) || limits.maxConnections < 1) {
    return `a limit of ${limits.maxConnections} simultaneous connections per invocation leaves room for no probe`
  }
  if (!Number.isInteger(limits.subrequestBudget) || limits.subrequestBudget < 1) {
    return `a budget of ${limits.subrequestBudget} connect() calls per invocation leaves room for no probe`
  }
  return null
}
