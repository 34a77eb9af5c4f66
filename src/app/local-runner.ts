import type { VantageRunner } from '../ports/vantage-runner.ts'
import type { ProbeDeps } from './probe.ts'
import { runPlan } from './run-plan.ts'

/** The machine the monitor runs on is the vantage: the plan runs in this process. */
export function createLocalRunner(vantage: string, deps: ProbeDeps): VantageRunner {
  return { vantage, run: (plan, signal) => runPlan(deps, plan, signal) }
}
