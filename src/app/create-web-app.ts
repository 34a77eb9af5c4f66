// The one HTTP app `serve` and the Worker listen with: the JSON API under /api/v1 (with the ingest API,
// POST /api/v1/ingest) and the status page beside it.
import { Hono } from 'hono'
import { compress } from 'hono/compress'
import type { Config } from '../core/config.ts'
import { publicConfigOf } from '../core/public-config.ts'
import { renderNotFoundPage } from '../core/status/incident-page.ts'
import type { ObservationArchive } from '../ports/observation-archive.ts'
import type { MonitorStore } from '../ports/store.ts'
import { createApi } from './create-api.ts'
import { createIngestApi } from './ingest-api.ts'
import { DEFAULT_SITE_TITLE, createStatusPage, securityHeaders } from './create-status-page.ts'

export interface WebAppDeps {
  config: Config
  store: MonitorStore
  nowMs: () => number
  /** The map's land path; the world outline by default (tests pass a small one). */
  landPath?: string
  /**
   * gzip the responses that ask for it (default true). The Worker turns it off: Cloudflare's edge
   * compresses for the client, and workerd hands every request an Accept-Encoding of its own.
   */
  compress?: boolean
  /** The long-term archive, when the config has one: the API serves its queries. */
  archive?: ObservationArchive
  /** Told when the archive fails a query. */
  onArchiveError?: (error: unknown) => void
  /** Remote vantages' ingest keys by vantage id (POST /api/v1/ingest); none by default, so every push is refused. */
  ingestKeys?: ReadonlyMap<string, string>
  /** Told when the store fails while taking a push (the sender is answered 503 and retries). */
  onIngestError?: (error: unknown) => void
}

export function createWebApp(deps: WebAppDeps): Hono {
  const app = new Hono()
  app.use('*', securityHeaders())
  // A target page is a few hundred kB of repetitive SVG: gzip takes it to about a tenth.
  if (deps.compress !== false) app.use('*', compress())
  const ingestKeys = deps.ingestKeys ?? new Map<string, string>()
  app.route('/', createIngestApi({ config: deps.config, store: deps.store, nowMs: deps.nowMs, ingestKeys, ...(deps.onIngestError ? { onStoreError: deps.onIngestError } : {}) }))
  const archive = { ...(deps.archive ? { archive: deps.archive } : {}), ...(deps.onArchiveError ? { onArchiveError: deps.onArchiveError } : {}) }
  app.route('/', createApi({ config: deps.config, store: deps.store, nowMs: deps.nowMs, ...archive }))
  // The page is built from the public projection: the full config never reaches it.
  const view = publicConfigOf(deps.config)
  app.route('/', createStatusPage({ view, store: deps.store, nowMs: deps.nowMs, ...(deps.landPath === undefined ? {} : { landPath: deps.landPath }) }))
  app.notFound((c) =>
    c.req.path.startsWith('/api/')
      ? c.json({ error: 'not found' }, 404)
      : c.html(renderNotFoundPage(DEFAULT_SITE_TITLE, deps.nowMs(), 'There is no page at this address.'), 404))
  return app
}
