import type { Observation, TransportName } from '../core/model.ts'

/** One query a vantage must make in a cycle. */
export interface ProbeTask {
  target: string
  address: string
  port: number
  transport: TransportName
  qname: string
  qtype: string
  timeoutMs: number
  udpPayloadBytes: number
  identityFallback: boolean
}

/** What a vantage is asked to do in one cycle; the same JSON a remote function receives. */
export interface ProbePlan {
  vantage: string
  /** The cycle's tick, epoch ms: observations are stamped with their own start time. */
  cycleStartedAt: number
  tasks: ProbeTask[]
  /** Probes in flight at once within the vantage. */
  concurrency: number
}

/**
 * Runs a plan where the vantage is (this process, a network namespace, a cloud region) and returns one
 * observation per task. A runner that cannot run at all rejects with an error naming its vantage; the
 * cycle records the vantage as missing and goes on with the others. A runner that ran part of the plan
 * before failing (or before the cycle's deadline) rejects with an error that also carries what it
 * measured (PartialReport): the cycle keeps it, and records the vantage as missing for the rest.
 */
export interface VantageRunner {
  readonly vantage: string
  run(plan: ProbePlan, signal: AbortSignal): Promise<Observation[]>
  /**
   * The longest run(plan) can take, in ms, when the runner knows its platform's limits (a Cloudflare
   * region runs its plan in invocations one after another). The cycle's deadline gives it that long;
   * a runner without it gets the cycle's estimate (run-cycle.ts cycleDeadlineMs).
   */
  worstCaseMs?(plan: ProbePlan): number
}

/** What a runner's rejection carries when it measured part of its plan before failing. */
export interface PartialReport {
  /** The observations of the tasks that finished, as run() would have returned them. */
  readonly partial: readonly Observation[]
}
