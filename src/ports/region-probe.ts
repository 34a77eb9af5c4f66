import type { Observation } from '../core/model.ts'
import type { ProbePlan } from './vantage-runner.ts'

/** What one invocation of a regional probe (the ProbeRegion Durable Object) returns. */
export interface RegionReport {
  /** One per task of the plan, in task order. */
  observations: Observation[]
  /**
   * The Cloudflare colo the invocation ran in ('FRA'), or null when it is not known: local workerd has
   * none, the lookup is off (its default), or it failed. Never a guess.
   */
  colo: string | null
  /** Epoch ms at which the invocation started (in production, the time of its last I/O, in whole ms). */
  ranAt: number
}

/**
 * What an invocation answers: its report, or why it ran nothing (a plan over its budget, an invalid plan
 * or env). A refusal is data rather than an exception, so that it crosses RPC as it is and is not logged
 * as the Durable Object's uncaught error.
 */
export type RegionResult = ({ ok: true } & RegionReport) | { ok: false; error: string }

/** A regional probe as its caller sees it: a Durable Object stub, or a fake in tests. */
export interface RegionProbe {
  runPlan(plan: ProbePlan): Promise<RegionResult>
}
