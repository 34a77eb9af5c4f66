import { connect } from 'cloudflare:sockets'
import { DurableObject } from 'cloudflare:workers'
import { z } from 'zod'
import { COLO_LOOKUP_TIMEOUT_MS, createTraceColoLookup } from '../../src/adapters/colo/cloudflare-trace.ts'
import { createWorkersTcpTransport } from '../../src/adapters/transport/workers-tcp.ts'
import { runRegionPlan } from '../../src/app/run-region-plan.ts'
import { WORKERS_FREE_SUBREQUESTS, WORKERS_INVOCATION_MARGIN_MS, WORKERS_MAX_CONNECTIONS, type ProbeLimits } from '../../src/core/probe-budget.ts'
import { ProbePlanSchema } from '../../src/core/wire-schemas.ts'
import type { RegionResult } from '../../src/ports/region-probe.ts'
import type { ProbePlan } from '../../src/ports/vantage-runner.ts'

/** The variables the probe Durable Object reads (wrangler.jsonc `vars`); both optional. */
export interface ProbeRegionEnv {
  /** Subrequests one invocation may make: 50 on Workers Free (the default), 10,000 on Paid. */
  PROBE_SUBREQUESTS_PER_INVOCATION?: string | number
  /**
   * "cloudflare-trace": learn the colo from https://www.cloudflare.com/cdn-cgi/trace (one subrequest per
   * object lifetime, reserved in every invocation's budget). "off" (default): colo is null. Local
   * workerd has no colo, and the lookup would leave the machine, so only a deployed Worker turns it on.
   */
  PROBE_COLO_LOOKUP?: string
}

const ProbeRegionEnvSchema = z.object({
  PROBE_SUBREQUESTS_PER_INVOCATION: z.coerce.number().int().min(1).default(WORKERS_FREE_SUBREQUESTS),
  PROBE_COLO_LOOKUP: z.enum(['off', 'cloudflare-trace']).default('off'),
})
type ProbeRegionSettings = z.infer<typeof ProbeRegionEnvSchema>

/** What one ProbeRegion invocation may spend on probes; the runner splits plans by the same numbers. */
export function probeLimitsOf(env: ProbeRegionEnv): ProbeLimits {
  const limits = checkProbeLimits(env)
  if (!limits.ok) throw new Error(limits.error)
  return limits.limits
}

/** probeLimitsOf, or why the env's variables give none (for the config check at load). */
export function checkProbeLimits(env: ProbeRegionEnv): { ok: true; limits: ProbeLimits } | { ok: false; error: string } {
  const settings = probeRegionSettings(env)
  return settings.ok ? { ok: true, limits: limitsOf(settings.value) } : settings
}

/**
 * A vantage near one Cloudflare region: created with a locationHint on its first get(), it stays there.
 * runPlan() probes over TCP within one invocation's limits and says which colo it ran in.
 */
export class ProbeRegion extends DurableObject<ProbeRegionEnv> {
  /**
   * connect() from cloudflare:sockets. An instance field, which RPC does not expose (only class methods
   * are), so no caller can swap it; the workerd tests replace it through runInDurableObject to count sockets.
   */
  protected openSocket: typeof connect = connect
  #locateColo: (() => Promise<string | null>) | null = null

  async runPlan(plan: ProbePlan): Promise<RegionResult> {
    const settings = probeRegionSettings(this.env)
    if (!settings.ok) return { ok: false, error: settings.error }
    const parsed = ProbePlanSchema.safeParse(plan)
    if (!parsed.success) return { ok: false, error: `ProbeRegion: invalid plan${issueText(parsed.error.issues)}` }
    this.#locateColo ??= settings.value.PROBE_COLO_LOOKUP === 'off' ? async () => null : createTraceColoLookup()
    return runRegionPlan(
      {
        transports: { tcp: createWorkersTcpTransport({ connect: (address, options) => this.openSocket(address, options) }) },
        clock: { nowMs: () => Date.now(), monotonicMs: () => performance.now() },
        random: Math.random,
        limits: limitsOf(settings.value),
        locateColo: this.#locateColo,
      },
      parsed.data,
    )
  }
}

/** The colo lookup, when on, takes one subrequest and (until it succeeds once) its timeout in every invocation. */
function limitsOf(settings: ProbeRegionSettings): ProbeLimits {
  const lookup = settings.PROBE_COLO_LOOKUP !== 'off'
  return {
    maxConnections: WORKERS_MAX_CONNECTIONS,
    subrequestBudget: settings.PROBE_SUBREQUESTS_PER_INVOCATION - (lookup ? 1 : 0),
    invocationMarginMs: WORKERS_INVOCATION_MARGIN_MS + (lookup ? COLO_LOOKUP_TIMEOUT_MS : 0),
  }
}

function probeRegionSettings(env: ProbeRegionEnv): { ok: true; value: ProbeRegionSettings } | { ok: false; error: string } {
  const parsed = ProbeRegionEnvSchema.safeParse(env)
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: `ProbeRegion: invalid env${issueText(parsed.error.issues)}` }
}

function issueText(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const issue = issues[0]
  return issue ? ` at ${issue.path.map(String).join('.')}: ${issue.message}` : ''
}
