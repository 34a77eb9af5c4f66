import { budgetProbeTasks, type ProbeLimits } from '../core/probe-budget.ts'
import type { RegionResult } from '../ports/region-probe.ts'
import type { ProbePlan } from '../ports/vantage-runner.ts'
import type { ProbeDeps } from './probe.ts'
import { runPlan } from './run-plan.ts'

export interface RegionPlanDeps extends ProbeDeps {
  /** This invocation's limits; a plan over them is refused, never run in part. */
  limits: ProbeLimits
  /** The colo this invocation runs in, or null when it cannot be known. */
  locateColo: () => Promise<string | null>
}

/**
 * One invocation of a regional probe: the plan must fit the invocation's limits as it is (the caller
 * splits it beforehand, see budgetProbeTasks), or it is refused; it then runs with at most
 * maxConnections probes in flight, each holding one connection at a time. The colo is looked up before
 * the probes so that the lookup never takes a connection slot from them.
 */
export async function runRegionPlan(deps: RegionPlanDeps, plan: ProbePlan, signal?: AbortSignal): Promise<RegionResult> {
  const ranAt = deps.clock.nowMs()
  const budget = budgetProbeTasks(plan.tasks, plan.concurrency, deps.limits)
  if (!budget.ok) return { ok: false, error: `plan for ${plan.vantage} refused: ${budget.error}` }
  if (budget.chunks.length > 1) {
    return {
      ok: false,
      error:
        `plan for ${plan.vantage} refused: its ${plan.tasks.length} tasks can make up to ${budget.worstCaseConnects} connect() calls, ` +
        `over the budget of ${deps.limits.subrequestBudget} per invocation; split it into ${budget.chunks.length} invocations first`,
    }
  }
  const colo = await deps.locateColo().catch(() => null)
  const observations = await runPlan(deps, { ...plan, concurrency: budget.concurrency }, signal)
  return { ok: true, observations, colo, ranAt }
}
