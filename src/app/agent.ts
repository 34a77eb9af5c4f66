// The agent: a remote vantage on any machine (a VPS, a Kubernetes CronJob). Every interval it runs its
// vantage's plan, keeps the observations as batches in its spool (on disk), and sends the spool to the
// monitor's ingest API oldest first.
// - A batch leaves the spool only after the monitor answered 2xx: then it is stored there, once.
// - Unreachable, 408, 429 or 5xx: the batch and every later one stay, and are sent again (backoff from
//   retry.minMs, doubling up to retry.maxMs, and at every round) in the same order.
// - Any other 4xx: sending it again would be refused again; it is set aside (logged, kept for a person)
//   and the batches behind it go on.
// Sending a batch twice (an answer lost on the way) is harmless: the monitor keeps each observation once.
import type { Config } from '../core/config.ts'
import { ingestBatchBodies } from '../core/ingest/batch.ts'
import type { BatchSpool, IngestPusher } from '../ports/ingest.ts'
import type { ProbeDeps } from './probe.ts'
import { planFor, probeTasks } from './run-cycle.ts'
import { runPlan } from './run-plan.ts'

export interface AgentDeps {
  config: Config
  /** The remote vantage this agent is. */
  vantage: string
  probe: ProbeDeps
  spool: BatchSpool
  pusher: IngestPusher
  log: (event: string, fields: Record<string, unknown>) => void
  /** Waits ms, or less when the signal aborts; never rejects. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>
  /** Time between the starts of two probe rounds (the config's probe.intervalSeconds). */
  intervalMs: number
  /** The first wait before the spool is sent again after a failure, and the longest one. */
  retry: { minMs: number; maxMs: number }
}

export interface DrainReport {
  delivered: number
  setAside: number
  /** Batches still in the spool: nonzero when the monitor could not take one. */
  pending: number
  /** Why the last send failed, when pending is nonzero. */
  error: string | null
  retryAfterMs: number | null
}

/** One round: the vantage's plan, run to its end (a shutdown waits for it), its observations kept as batches. */
export async function probeIntoSpool(deps: AgentDeps): Promise<{ startedAt: number; observations: number; batches: number }> {
  const startedAt = deps.probe.clock.nowMs()
  const observations = await runPlan(deps.probe, planFor(deps.vantage, startedAt, probeTasks(deps.config)))
  const bodies = ingestBatchBodies(deps.vantage, startedAt, observations)
  for (const { body } of bodies) await deps.spool.add(body)
  return { startedAt, observations: observations.length, batches: bodies.length }
}

/** Sends the spool oldest first; stops at the first batch to send again, so no later batch overtakes it. */
export async function drainSpool(deps: AgentDeps, signal?: AbortSignal): Promise<DrainReport> {
  const ids = await deps.spool.ids()
  const report: DrainReport = { delivered: 0, setAside: 0, pending: 0, error: null, retryAfterMs: null }
  for (const [index, id] of ids.entries()) {
    const result = signal?.aborted ? null : await deps.pusher.push(await deps.spool.read(id), signal)
    if (result === null || result.kind === 'retry') {
      return { ...report, pending: ids.length - index, error: result?.error ?? 'stopping', retryAfterMs: result?.retryAfterMs ?? null }
    }
    if (result.kind === 'accepted') {
      await deps.spool.remove(id)
      report.delivered += 1
    } else {
      await deps.spool.setAside(id, result.error)
      deps.log('batch-set-aside', { batch: id, status: result.status, error: result.error })
      report.setAside += 1
    }
  }
  return report
}

/** Rounds on the interval until `signal` aborts (or one round with `once`); returns the last delivery's report. */
export async function runAgent(deps: AgentDeps, signal: AbortSignal, options: { once?: boolean } = {}): Promise<DrainReport> {
  const now = (): number => deps.probe.clock.nowMs()
  let nextRoundAt = now()
  for (;;) {
    deps.log('round', await probeIntoSpool(deps))
    let drain = logged(deps, await drainSpool(deps, signal))
    if (options.once || signal.aborted) return drain
    nextRoundAt = Math.max(nextRoundAt + deps.intervalMs, now())
    drain = await retryUntil(deps, drain, nextRoundAt, signal)
    if (signal.aborted) return drain
  }
}

/** Until the next round: sleeps, and while batches wait, sends them again with a doubling backoff. */
async function retryUntil(deps: AgentDeps, first: DrainReport, until: number, signal: AbortSignal): Promise<DrainReport> {
  const now = (): number => deps.probe.clock.nowMs()
  let drain = first
  let delayMs = deps.retry.minMs
  while (!signal.aborted && now() < until) {
    if (drain.pending === 0) {
      await deps.sleep(until - now(), signal)
      break
    }
    await deps.sleep(Math.min(Math.max(delayMs, drain.retryAfterMs ?? 0), until - now()), signal)
    if (signal.aborted || now() >= until) break
    drain = logged(deps, await drainSpool(deps, signal))
    delayMs = Math.min(delayMs * 2, deps.retry.maxMs)
  }
  return drain
}

function logged(deps: AgentDeps, drain: DrainReport): DrainReport {
  if (drain.delivered > 0 || drain.setAside > 0 || drain.pending > 0) deps.log('delivery', { ...drain })
  return drain
}
