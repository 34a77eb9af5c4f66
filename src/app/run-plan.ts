import type { Observation } from '../core/model.ts'
import { observationFrom } from '../core/observation.ts'
import type { ProbePlan, ProbeTask } from '../ports/vantage-runner.ts'
import { runProbe, type ProbeDeps, type ProbeRequest } from './probe.ts'

/**
 * Runs every task of a plan with at most plan.concurrency probes in flight; one observation per task, in
 * task order. A probe that throws (a bug: probes return failures as observations) becomes a
 * network-error observation naming the error, and the other probes go on.
 */
export async function runPlan(deps: ProbeDeps, plan: ProbePlan, signal?: AbortSignal): Promise<Observation[]> {
  const observations: Observation[] = new Array(plan.tasks.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < plan.tasks.length) {
      const index = next++
      observations[index] = await guardedProbe(deps, probeRequest(plan.vantage, plan.tasks[index] as ProbeTask, signal))
    }
  }
  const workers = Math.max(1, Math.min(plan.concurrency, plan.tasks.length))
  await Promise.all(Array.from({ length: workers }, worker))
  return observations
}

async function guardedProbe(deps: ProbeDeps, request: ProbeRequest & { target: string }): Promise<Observation> {
  const startedAt = deps.clock.nowMs()
  try {
    return await runProbe(deps, request)
  } catch (error) {
    const detail = `probe failed inside the vantage: ${error instanceof Error ? error.message : String(error)}`
    const result = { kind: 'no-answer' as const, outcome: 'network-error' as const, error: detail, connectMs: null, ignoredReplies: 0 }
    return observationFrom(request, startedAt, { query: null, result }, null, false)
  }
}

function probeRequest(vantage: string, task: ProbeTask, signal: AbortSignal | undefined) {
  return {
    vantage,
    target: task.target,
    address: task.address,
    port: task.port,
    transport: task.transport,
    qname: task.qname,
    qtype: task.qtype,
    timeoutMs: task.timeoutMs,
    udpPayloadBytes: task.udpPayloadBytes,
    identityFallback: task.identityFallback,
    ...(signal ? { signal } : {}),
  }
}
