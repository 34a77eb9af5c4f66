import type { Observation } from '../core/model.ts'
import type { ProbePlan, ProbeTask } from '../ports/vantage-runner.ts'
import { runProbe, type ProbeDeps } from './probe.ts'

/** Runs every task of a plan with at most plan.concurrency probes in flight; one observation per task, in task order. */
export async function runPlan(deps: ProbeDeps, plan: ProbePlan, signal?: AbortSignal): Promise<Observation[]> {
  const observations: Observation[] = new Array(plan.tasks.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < plan.tasks.length) {
      const index = next++
      observations[index] = await runProbe(deps, probeRequest(plan.vantage, plan.tasks[index] as ProbeTask, signal))
    }
  }
  const workers = Math.max(1, Math.min(plan.concurrency, plan.tasks.length))
  await Promise.all(Array.from({ length: workers }, worker))
  return observations
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
