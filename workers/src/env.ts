// The Worker's environment, checked at the entry: the bindings wrangler.jsonc declares, the optional
// MONITOR_CONFIG variable (the config as JSON, instead of the bundled monitor.config.json), and the
// secrets the config names (strings, read by the alert routes). A missing binding is a clear error.
import { z } from 'zod'
import type { Coordinator } from './coordinator.ts'
import type { ProbeRegion, ProbeRegionEnv } from './probe-region.ts'

export interface Env extends ProbeRegionEnv {
  DB: D1Database
  PROBE_REGION: DurableObjectNamespace<ProbeRegion>
  COORDINATOR: DurableObjectNamespace<Coordinator>
  MONITOR_CONFIG?: string
}

const binding = (name: string, method: string, declared: string) =>
  z.custom<object>((value) => typeof value === 'object' && value !== null && method in value, `${name} must be a ${declared} binding (wrangler.jsonc)`)

const EnvSchema = z.looseObject({
  DB: binding('DB', 'prepare', 'D1 database (d1_databases)'),
  PROBE_REGION: binding('PROBE_REGION', 'idFromName', 'Durable Object (durable_objects, class ProbeRegion)'),
  COORDINATOR: binding('COORDINATOR', 'idFromName', 'Durable Object (durable_objects, class Coordinator)'),
  MONITOR_CONFIG: z.string().optional(),
})

export type CheckedEnv = { ok: true; env: Env; strings: Record<string, string> } | { ok: false; error: string }

/** The bindings, typed, and every string variable (secrets included) for the config's *Env names. */
export function checkEnv(env: unknown): CheckedEnv {
  const parsed = EnvSchema.safeParse(env)
  if (!parsed.success) return { ok: false, error: `environment: ${parsed.error.issues.map((issue) => issue.message).join('; ')}` }
  const strings = Object.fromEntries(Object.entries(parsed.data).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
  return { ok: true, env: env as Env, strings }
}
