// The AWS Lambda probe: one remote vantage per function, invoked by EventBridge Scheduler (its event is not
// read). Each invocation runs the vantage's plan over UDP and TCP with the Node transports and pushes the
// observations to the monitor's ingest API, signed with the vantage's key. There is no disk buffer: a batch
// the monitor did not take fails the invocation, so it is retried (Scheduler invokes Lambda asynchronously:
// Lambda's own retries, which infra/ bounds to one period), and the monitor's natural-key dedupe keeps
// whatever an earlier attempt pushed stored once. No AWS SDK on this path.
//
// Environment:
//   MONITOR_CONFIG      the monitor's config: JSON text (starting with "{"), or the path of a JSON file
//                       bundled with the function (relative to LAMBDA_TASK_ROOT)
//   VANTAGE_ID          this function's vantage: a vantage of runner "remote" in the config
//   MONITOR_INGEST_URL  the monitor's base URL (or its /api/v1/ingest URL)
//   <keyEnv>            the vantage's ingest key, in the variable its runner.keyEnv names
import { readFile } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import { z } from 'zod'
import { createIngestPusher } from '../adapters/ingest/push-client.ts'
import { probeAndPush, type ProbeAndPushDeps, type PushSummary } from '../app/probe-and-push.ts'
import { formatConfigErrors, parseConfig } from '../core/config.ts'
import { remoteVantageKey } from '../core/ingest/keys.ts'
import { nodeProbeDeps } from '../cli/node-probe-deps.ts'

type Env = Readonly<Record<string, string | undefined>>

const LambdaEnvSchema = z.object({
  MONITOR_CONFIG: z.string().trim().min(1, 'must hold the config as JSON, or the path of a bundled config file'),
  VANTAGE_ID: z.string().trim().min(1, 'must name the vantage this function probes as'),
  MONITOR_INGEST_URL: z.url({ protocol: /^https?$/, error: 'must be the monitor\'s http(s) URL' }),
})

/** Built on the first invocation of a container and kept while its environment stays the same. */
let built: { env: string; deps: ProbeAndPushDeps } | null = null

export async function handler(_event: unknown): Promise<PushSummary> {
  const deps = await depsOf(process.env)
  const result = await probeAndPush(deps)
  console.log(JSON.stringify({ event: 'probe-push', ok: result.ok, ...result.summary, ...(result.ok ? {} : { error: result.error }) }))
  if (!result.ok) throw new Error(`anycast-monitor probe: ${result.error}`)
  return result.summary
}

async function depsOf(env: Env): Promise<ProbeAndPushDeps> {
  const fingerprint = JSON.stringify(env)
  if (built?.env === fingerprint) return built.deps
  const parsed = LambdaEnvSchema.safeParse(env)
  if (!parsed.success) throw new Error(`anycast-monitor probe: environment: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`)
  const { MONITOR_CONFIG, VANTAGE_ID, MONITOR_INGEST_URL } = parsed.data
  const config = parseConfig(await configJson(MONITOR_CONFIG, env))
  if (!config.ok) throw new Error(`anycast-monitor probe: MONITOR_CONFIG is invalid:\n${formatConfigErrors(config.errors)}`)
  const remote = remoteVantageKey(config.config.vantages, VANTAGE_ID, env)
  if (!remote.ok) throw new Error(`anycast-monitor probe: ${remote.error}`)
  const pusher = createIngestPusher({ url: MONITOR_INGEST_URL, vantage: VANTAGE_ID, key: remote.key })
  const deps = { config: config.config, vantage: VANTAGE_ID, probe: nodeProbeDeps(), pusher }
  built = { env: fingerprint, deps }
  return deps
}

async function configJson(value: string, env: Env): Promise<unknown> {
  const inline = value.startsWith('{')
  const path = isAbsolute(value) ? value : join(env.LAMBDA_TASK_ROOT ?? process.cwd(), value)
  let text: string
  try {
    text = inline ? value : await readFile(path, 'utf8')
  } catch (error) {
    throw new Error(`anycast-monitor probe: MONITOR_CONFIG: cannot read ${path}: ${(error as Error).message}`)
  }
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new Error(`anycast-monitor probe: MONITOR_CONFIG${inline ? '' : ` (${path})`} is not JSON: ${(error as Error).message}`)
  }
}
