// One probe round pushed straight to the monitor, without a spool: what a short-lived remote vantage (the
// AWS Lambda probe) does on each scheduled invocation. Any batch the monitor did not take fails the round,
// so the platform's retry policy runs it again; what an earlier attempt did push stays stored once (the
// monitor keeps each observation once per natural key), and the retry's new probes are new observations.
import type { Config } from '../core/config.ts'
import { ingestBatchBodies } from '../core/ingest/batch.ts'
import type { IngestPusher } from '../ports/ingest.ts'
import type { ProbeDeps } from './probe.ts'
import { planFor, probeTasks } from './run-cycle.ts'
import { runPlan } from './run-plan.ts'

export interface ProbeAndPushDeps {
  config: Config
  vantage: string
  probe: ProbeDeps
  pusher: IngestPusher
}

export interface PushSummary {
  vantage: string
  startedAt: number
  observations: number
  batches: number
  /** Batches the monitor took, in order, before any failure. */
  pushed: number
  stored: number
  duplicates: number
}

export type ProbeAndPushResult = { ok: true; summary: PushSummary } | { ok: false; summary: PushSummary; error: string }

export async function probeAndPush(deps: ProbeAndPushDeps, signal?: AbortSignal): Promise<ProbeAndPushResult> {
  const startedAt = deps.probe.clock.nowMs()
  const observations = await runPlan(deps.probe, planFor(deps.vantage, startedAt, probeTasks(deps.config)), signal)
  const bodies = ingestBatchBodies(deps.vantage, startedAt, observations)
  const summary: PushSummary = { vantage: deps.vantage, startedAt, observations: observations.length, batches: bodies.length, pushed: 0, stored: 0, duplicates: 0 }
  for (const [index, { batchId, body }] of bodies.entries()) {
    const result = await deps.pusher.push(body, signal)
    if (result.kind !== 'accepted') {
      const what = result.kind === 'retry' ? 'could not be delivered' : 'was refused'
      return { ok: false, summary, error: `batch ${index + 1} of ${bodies.length} (${batchId}) ${what}: ${result.error}` }
    }
    summary.pushed += 1
    summary.stored += result.stored
    summary.duplicates += result.duplicates
  }
  return { ok: true, summary }
}
