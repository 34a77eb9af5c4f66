import { Hono } from 'hono'
import type { Config } from '../core/config.ts'
import type { Incident } from '../core/findings.ts'
import { publicTargetOf, publicVantageOf } from '../core/public-config.ts'
import type { ObservationArchive } from '../ports/observation-archive.ts'
import type { MonitorStore } from '../ports/store.ts'
import { createArchiveApi } from './archive-api.ts'
import { createCatchmentApi } from './catchment-api.ts'

const MAX_OBSERVATIONS_PER_PAGE = 1000
const DEFAULT_OBSERVATIONS_WINDOW_MS = 60 * 60 * 1000

export interface ApiDeps {
  config: Config
  store: MonitorStore
  nowMs: () => number
  /** Present when the config has an `archive` block: its queries are served under /api/v1/targets/:id/archive/. */
  archive?: ObservationArchive
  /** Told when the archive fails a query (the client gets a 503 without the details). */
  onArchiveError?: (error: unknown) => void
}

/**
 * The monitor's JSON API, versioned under /api/v1. It shows a public view of the config: targets,
 * sites and vantages with their labels and coordinates, never runners, routes or secrets.
 */
export function createApi(deps: ApiDeps): Hono {
  const app = new Hono()
  const targetById = new Map(deps.config.targets.map((target) => [target.id, target]))

  app.get('/api/v1/health', (c) => c.json({ ok: true, store: deps.store.name }))
  app.get('/api/v1/targets', (c) =>
    c.json({ targets: deps.config.targets.map((target) => publicTargetOf(target, deps.config.bgp)), vantages: deps.config.vantages.map(publicVantageOf) }),
  )
  app.route('/', createCatchmentApi({ config: deps.config, store: deps.store, nowMs: deps.nowMs }))
  app.get('/api/v1/targets/:id/observations', async (c) => {
    const target = targetById.get(c.req.param('id'))
    if (!target) return c.json({ error: `no target ${c.req.param('id')}` }, 404)
    const until = integerParam(c.req.query('until'), deps.nowMs())
    const since = integerParam(c.req.query('since'), (until ?? 0) - DEFAULT_OBSERVATIONS_WINDOW_MS)
    const limit = integerParam(c.req.query('limit'), MAX_OBSERVATIONS_PER_PAGE)
    if (since === null || until === null || limit === null || limit < 1 || limit > MAX_OBSERVATIONS_PER_PAGE || since > until) {
      return c.json({ error: `since and until are epoch ms with since <= until; limit is 1..${MAX_OBSERVATIONS_PER_PAGE}` }, 400)
    }
    const vantage = c.req.query('vantage')
    const observations = await deps.store.observations({ target: target.id, since, until, limit, ...(vantage ? { vantage } : {}) })
    const last = observations.at(-1)
    const next = observations.length === limit && last ? { since: last.observedAt + 1, until } : null
    return c.json({ observations, next })
  })
  // The latest BGP view the monitor stored for the target: view is null when BGP is not configured
  // for it or no cycle has checked it yet.
  app.get('/api/v1/targets/:id/bgp', async (c) => {
    const target = targetById.get(c.req.param('id'))
    if (!target) return c.json({ error: `no target ${c.req.param('id')}` }, 404)
    const configured = deps.config.bgp?.targets.some((entry) => entry.target === target.id) ?? false
    return c.json({ target: target.id, configured, view: configured ? await deps.store.bgpView(target.id) : null })
  })
  app.route('/', createArchiveApi({ targets: deps.config.targets, nowMs: deps.nowMs, ...(deps.archive ? { archive: deps.archive } : {}), ...(deps.onArchiveError ? { onError: deps.onArchiveError } : {}) }))
  app.get('/api/v1/incidents', async (c) => {
    const status = c.req.query('status')
    if (status !== undefined && status !== 'open' && status !== 'resolved') return c.json({ error: 'status is open or resolved' }, 400)
    const target = c.req.query('target')
    const incidents: Incident[] = await deps.store.incidents({ ...(status ? { status } : {}), ...(target ? { target } : {}), limit: 200 })
    return c.json({ incidents })
  })
  app.notFound((c) => c.json({ error: 'not found' }, 404))
  return app
}

function integerParam(raw: string | undefined, fallback: number): number | null {
  if (raw === undefined) return fallback
  return /^\d+$/.test(raw) ? Number(raw) : null
}
