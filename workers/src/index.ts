// The Worker's entry: `scheduled` hands each cron tick to the coordinator Durable Object (one cycle:
// regional probes, D1, decisions, alerts); `fetch` serves the same hono app as `anycast-monitor serve`
// (status page, JSON API, and the ingest API remote vantages push to) from D1. The Durable Object
// classes are exported for their bindings.
import type { Hono } from 'hono'
import { createWebApp, type WebAppDeps } from '../../src/app/create-web-app.ts'
import type { Env } from './env.ts'
import { loadWorkerMonitor, type WorkerMonitor } from './monitor.ts'

export { Coordinator } from './coordinator.ts'
export { ProbeRegion } from './probe-region.ts'

const COORDINATOR_NAME = 'coordinator'
const CONFIG_ERROR_STATUS = 500

/** Built once per isolate: the config and the D1 store do not change while it lives. */
let app: { env: unknown; hono: Hono } | { env: unknown; error: string } | null = null

function webApp(env: Env): { hono: Hono } | { error: string } {
  if (app?.env !== env) {
    const loaded = loadWorkerMonitor(env)
    app = loaded.ok ? { env, hono: createWebApp(webAppDeps(loaded.monitor)) } : { env, error: loaded.error }
  }
  return app
}

function webAppDeps(monitor: WorkerMonitor): WebAppDeps {
  const { config, store, ingestKeys } = monitor
  const onIngestError = (error: unknown): void => console.error(JSON.stringify({ event: 'ingest-store-error', error: String(error) }))
  return { config, store, ingestKeys, onIngestError, nowMs: () => Date.now(), compress: false }
}

export default {
  async fetch(request, env, ctx) {
    const built = webApp(env)
    if ('error' in built) return new Response(`anycast-monitor cannot start:\n${built.error}\n`, { status: CONFIG_ERROR_STATUS })
    return built.hono.fetch(request, env, ctx)
  },

  async scheduled(controller, env, ctx) {
    const coordinator = env.COORDINATOR.get(env.COORDINATOR.idFromName(COORDINATOR_NAME))
    ctx.waitUntil(
      coordinator.runCycle(controller.scheduledTime).then((summary) => {
        console.log(JSON.stringify({ event: 'cycle', cron: controller.cron, ...summary }))
        if (summary.status === 'failed') throw new Error(summary.error)
      }),
    )
  },
} satisfies ExportedHandler<Env>
