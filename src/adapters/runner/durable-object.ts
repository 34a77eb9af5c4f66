import type { CloudflareLocationHint } from '../../core/config.ts'
import type { Observation } from '../../core/model.ts'
import { budgetProbeTasks, regionWorstCase, type ProbeLimits } from '../../core/probe-budget.ts'
import { ObservationListSchema } from '../../core/wire-schemas.ts'
import type { RegionProbe, RegionReport, RegionResult } from '../../ports/region-probe.ts'
import type { ProbePlan, VantageRunner } from '../../ports/vantage-runner.ts'
import { VantageRunnerError } from './runner-error.ts'

/** The slice of a Durable Object namespace binding the runner uses: the ProbeRegion binding, or a fake. */
export interface RegionNamespace<Id = unknown> {
  idFromName(name: string): Id
  get(id: Id, options: { locationHint: CloudflareLocationHint }): RegionProbe
}

export interface DurableObjectRunnerOptions<Id> {
  vantage: string
  /** The region: the Durable Object is named after it and created near it on its first get(). */
  locationHint: CloudflareLocationHint
  namespace: RegionNamespace<Id>
  /**
   * The limits of one invocation, the same ones the Durable Object enforces (see workers/src/probe-region.ts),
   * and the margin an invocation takes besides its probes.
   */
  limits: ProbeLimits
}

/** A region's observations, with where and when each Durable Object invocation ran. */
export interface RegionRun {
  observations: Observation[]
  invocations: { colo: string | null; ranAt: number; tasks: number }[]
}

export interface DurableObjectRunner extends VantageRunner {
  readonly locationHint: CloudflareLocationHint
  /** What run() does, keeping each invocation's colo and start time. */
  runWithReport(plan: ProbePlan, signal: AbortSignal): Promise<RegionRun>
}

/**
 * A vantage that is a ProbeRegion Durable Object near a Cloudflare region. A plan over one invocation's
 * subrequest budget is cut into chunks (budgetProbeTasks), sent one after the other to the same object:
 * concurrent calls to one Durable Object share its I/O context, so they would share its 6 connections
 * too. The observations come back in task order. worstCaseMs(plan) is how long that can take
 * (regionWorstCase), which the cycle's deadline gives it. When an invocation fails or refuses its chunk,
 * or the cycle's deadline comes first, the run rejects naming the vantage and region, carrying the
 * observations of the invocations that finished (`partial`): the cycle keeps them, and records the vantage
 * as missing for the tasks it could not report.
 */
export function createDurableObjectRunner<Id>(options: DurableObjectRunnerOptions<Id>): DurableObjectRunner {
  const origin = `runner:durable-object:${options.vantage} (${options.locationHint})`
  const runWithReport = (plan: ProbePlan, signal: AbortSignal) => runInRegion(options, origin, plan, signal)
  return {
    vantage: options.vantage,
    locationHint: options.locationHint,
    runWithReport,
    run: async (plan, signal) => (await runWithReport(plan, signal)).observations,
    // A plan that cannot run at all is refused at once: it needs no time.
    worstCaseMs: (plan) => {
      const worst = regionWorstCase(plan.tasks, plan.concurrency, options.limits)
      return worst.ok ? worst.worstCaseMs : 0
    },
  }
}

async function runInRegion<Id>(options: DurableObjectRunnerOptions<Id>, origin: string, plan: ProbePlan, signal: AbortSignal): Promise<RegionRun> {
  const budget = budgetProbeTasks(plan.tasks, plan.concurrency, options.limits)
  if (!budget.ok) throw new VantageRunnerError(origin, `plan refused: ${budget.error}`)
  const { namespace, locationHint } = options
  const region = namespace.get(namespace.idFromName(locationHint), { locationHint })
  const run: RegionRun = { observations: [], invocations: [] }
  // Every failure from here on keeps what the earlier invocations reported.
  const failure = (message: string, cause?: unknown) =>
    new VantageRunnerError(origin, message, { partial: [...run.observations], ...(cause === undefined ? {} : { cause }) })
  for (const [index, tasks] of budget.chunks.entries()) {
    const step = `invocation ${index + 1} of ${budget.chunks.length}`
    if (signal.aborted) throw failure(`did not report before the cycle deadline (${step} not started)`)
    let result: RegionResult
    try {
      result = await untilAborted(region.runPlan({ ...plan, tasks, concurrency: budget.concurrency }), signal)
    } catch (cause) {
      const reason = signal.aborted ? 'did not report before the cycle deadline' : errorText(cause)
      throw failure(`${step} failed: ${reason}`, cause)
    }
    if (!result.ok) throw failure(`${step} ran nothing: ${result.error}`)
    const report: RegionReport = result
    const checked = checkedObservations(report, tasks.length)
    if (!checked.ok) throw failure(`${step} ${checked.error}`)
    run.observations.push(...checked.observations)
    run.invocations.push({ colo: report.colo, ranAt: report.ranAt, tasks: tasks.length })
  }
  return run
}

/** The Durable Object is our own code, but what a vantage returns is still checked before the monitor uses it. */
function checkedObservations(report: RegionReport, expected: number): { ok: true; observations: Observation[] } | { ok: false; error: string } {
  const parsed = ObservationListSchema.safeParse(report?.observations)
  if (!parsed.success) return { ok: false, error: `returned no list of observations: ${parsed.error.issues[0]?.message ?? ''}` }
  if (parsed.data.length !== expected) return { ok: false, error: `returned ${parsed.data.length} observations for ${expected} tasks` }
  return { ok: true, observations: parsed.data }
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
