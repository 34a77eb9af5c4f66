// The public status page and its machine interfaces, on hono: HTML pages (overview, target, incident),
// SVG badges, an Atom feed and Prometheus metrics. Reads the store, BGP included (the latest view each
// cycle stored, never the process's memory, so that Node and Workers serve the same page), and hands
// plain data to the renderers of core/status. It is given the public view of the config only: no route,
// secret, runner or BGP source URL reaches it.
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import type { CycleRecord, Incident } from '../core/findings.ts'
import { renderBadge } from '../core/status/badge.ts'
import { renderAtomFeed } from '../core/status/feed.ts'
import { renderIncidentPage, renderNotFoundPage } from '../core/status/incident-page.ts'
import { familiesOf } from '../core/paths.ts'
import { familyKey, vantagesNow } from '../core/status/latest.ts'
import { FAVICON_PATH, STYLESHEET_PATH } from '../core/status/layout.ts'
import { renderMetrics } from '../core/status/metrics.ts'
import { renderOverviewPage, type TargetOverview } from '../core/status/overview-page.ts'
import type { PublicConfig, PublicTarget } from '../core/status/public-view.ts'
import { tallyByVantage, uptimeOf } from '../core/status/series.ts'
import { deriveTargetState } from '../core/status/state.ts'
import { FAVICON_SVG, STYLESHEET } from '../core/status/stylesheet.ts'
import { CATCHMENT_HISTORY_MS, LATENCY_LONG_WINDOW_MS, UPTIME_DAYS, renderTargetPage } from '../core/status/target-page.ts'
import { DAY_MS, utcDayStart } from '../core/status/time.ts'
import type { CatchmentEntry, MonitorStore } from '../ports/store.ts'
import { createRollupCache } from './rollup-cache.ts'
import { worldLandPath } from './world-outline.ts'

export const DEFAULT_SITE_TITLE = 'Anycast status'
/** Resolved incidents read to date a target's "operational since": its latest non-informational resolve is among them in practice. */
const RESOLVED_FOR_STATE = 20
const RECENTLY_RESOLVED_SHOWN = 8
const TARGET_INCIDENTS_SHOWN = 30
const FEED_ENTRIES = 50
/** Occurrences of one target's incidents searched for a key: the store has no lookup by key. */
const INCIDENTS_SEARCHED_FOR_KEY = 1000
/** More changes than this in the history window are cut (the oldest are kept, as the store orders them). */
const MAX_CATCHMENT_CHANGES = 20_000
/** How stale a completed rollup bucket may be on the page (a cycle that arrived after its bucket closed). */
const ROLLUP_REFRESH_MS = 5 * 60_000

/** No script at all, styles only from our stylesheet, images only from us; nothing may frame the page. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

export interface StatusPageDeps {
  view: PublicConfig
  store: MonitorStore
  nowMs: () => number
  siteTitle?: string
  /** The map's land path; the world outline (computed once per process) by default. */
  landPath?: string
}

export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next()
    c.res.headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    c.res.headers.set('X-Content-Type-Options', 'nosniff')
    c.res.headers.set('Referrer-Policy', 'no-referrer')
    c.res.headers.set('X-Frame-Options', 'DENY')
  }
}

/** What every route handler shares: built once, when the app is created. */
interface PageContext {
  deps: StatusPageDeps
  siteTitle: string
  landPath: string
  targetById: ReadonlyMap<string, PublicTarget>
  rollups: ReturnType<typeof createRollupCache>
}

export function createStatusPage(deps: StatusPageDeps): Hono {
  const ctx: PageContext = {
    deps,
    siteTitle: deps.siteTitle ?? DEFAULT_SITE_TITLE,
    // Computed here, at start-up, so that no request pays for it.
    landPath: deps.landPath ?? worldLandPath(),
    targetById: new Map(deps.view.targets.map((target) => [target.id, target])),
    rollups: createRollupCache(deps.store, { refreshMs: ROLLUP_REFRESH_MS, nowMs: deps.nowMs }),
  }
  const app = new Hono()
  app.use('*', securityHeaders())
  app.get(STYLESHEET_PATH, (c) => asset(c, STYLESHEET, 'text/css; charset=utf-8'))
  app.get(FAVICON_PATH, (c) => asset(c, FAVICON_SVG, 'image/svg+xml'))
  app.get('/', (c) => overview(c, ctx))
  app.get('/targets/:id', (c) => targetPage(c, ctx))
  app.get('/incidents/:key', (c) => incidentPage(c, ctx))
  app.get('/badge/:file', (c) => badge(c, ctx))
  app.get('/feed.atom', (c) => feed(c, ctx))
  app.get('/metrics', (c) => metrics(c, ctx))
  return app
}

function page(c: Context, body: string, status: 200 | 404 = 200) {
  c.header('Cache-Control', 'no-cache')
  return c.html(body, status)
}

function notFound(c: Context, ctx: PageContext, what: string) {
  return page(c, renderNotFoundPage(ctx.siteTitle, ctx.deps.nowMs(), what), 404)
}

async function overview(c: Context, ctx: PageContext) {
  const { store, view } = ctx.deps
  const nowMs = ctx.deps.nowMs()
  const [catchment, openIncidents, recentlyResolved] = await Promise.all([
    store.catchment({}),
    store.incidents({ status: 'open' }),
    store.incidents({ status: 'resolved', limit: RECENTLY_RESOLVED_SHOWN }),
  ])
  const targets = await Promise.all(view.targets.map((target) => targetOverview(ctx, target, nowMs, openIncidents, catchment)))
  return page(c, renderOverviewPage({ siteTitle: ctx.siteTitle, nowMs, landPath: ctx.landPath, vantages: view.vantages, targets, openIncidents, recentlyResolved }))
}

async function targetPage(c: Context, ctx: PageContext) {
  const target = ctx.targetById.get(c.req.param('id') ?? '')
  if (!target) return notFound(c, ctx, `There is no service with id "${c.req.param('id') ?? ''}".`)
  const { store, view } = ctx.deps
  const nowMs = ctx.deps.nowMs()
  const until = nowMs + 1
  const [cycle, hourly, daily, changes, catchment, incidents, bgpView] = await Promise.all([
    latestCycle(store, target.id),
    ctx.rollups({ target: target.id, granularity: 'hour', since: nowMs - LATENCY_LONG_WINDOW_MS, until }),
    ctx.rollups({ target: target.id, granularity: 'day', since: utcDayStart(nowMs) - (UPTIME_DAYS - 1) * DAY_MS, until }),
    store.catchmentChanges({ target: target.id, since: nowMs - CATCHMENT_HISTORY_MS, until, limit: MAX_CATCHMENT_CHANGES }),
    store.catchment({ target: target.id }),
    store.incidents({ target: target.id, limit: TARGET_INCIDENTS_SHOWN }),
    target.bgpConfigured ? store.bgpView(target.id) : null,
  ])
  return page(c, renderTargetPage({
    siteTitle: ctx.siteTitle, nowMs, landPath: ctx.landPath, target, vantages: view.vantages,
    state: deriveTargetState(incidents, cycle !== null),
    now: vantagesNow(cycle, view.vantages, familiesOf(target.addresses)),
    lastCycleAt: cycle?.startedAt ?? null,
    hourly, daily, changes, changesTruncated: changes.length >= MAX_CATCHMENT_CHANGES, catchment, incidents, bgpView,
  }))
}

async function incidentPage(c: Context, ctx: PageContext) {
  // The alerts link to /incidents/<encodeURIComponent(key)>; hono decodes the one segment back.
  const key = c.req.param('key') ?? ''
  const targetId = key.split('/')[0] ?? ''
  const occurrences = (await ctx.deps.store.incidents({ target: targetId, limit: INCIDENTS_SEARCHED_FOR_KEY })).filter((incident) => incident.key === key)
  if (occurrences.length === 0) return notFound(c, ctx, `There is no incident "${key}" on record.`)
  const target = ctx.targetById.get(targetId)
  return page(c, renderIncidentPage({
    siteTitle: ctx.siteTitle, nowMs: ctx.deps.nowMs(), occurrences,
    targetLabel: target?.label ?? targetId, targetPath: target ? `/targets/${encodeURIComponent(target.id)}` : null,
  }))
}

async function badge(c: Context, ctx: PageContext) {
  const file = c.req.param('file') ?? ''
  const target = file.endsWith('.svg') ? ctx.targetById.get(file.slice(0, -'.svg'.length)) : undefined
  if (!target) return c.text('no such badge\n', 404)
  const [open, catchment] = await Promise.all([
    ctx.deps.store.incidents({ target: target.id, status: 'open' }),
    ctx.deps.store.catchment({ target: target.id }),
  ])
  const state = deriveTargetState(open, catchment.length > 0)
  c.header('Cache-Control', 'no-cache')
  return c.body(renderBadge(target.label, state.kind).markup, 200, { 'Content-Type': 'image/svg+xml; charset=utf-8' })
}

async function feed(c: Context, ctx: PageContext) {
  const incidents = await ctx.deps.store.incidents({ limit: FEED_ENTRIES })
  const targetLabels = new Map([...ctx.targetById].map(([id, target]) => [id, target.label]))
  const atom = renderAtomFeed({ statusPageUrl: ctx.deps.view.statusPageUrl, title: ctx.siteTitle, incidents, targetLabels, nowMs: ctx.deps.nowMs() })
  c.header('Cache-Control', 'no-cache')
  return c.body(atom.markup, 200, { 'Content-Type': 'application/atom+xml; charset=utf-8' })
}

async function metrics(c: Context, ctx: PageContext) {
  const { store, view } = ctx.deps
  const openIncidents = await store.incidents({ status: 'open' })
  const targets = await Promise.all(view.targets.map(async (target) => {
    const cycle = await latestCycle(store, target.id)
    const open = openIncidents.filter((incident) => incident.target === target.id)
    return {
      target: target.id, state: deriveTargetState(open, cycle !== null).kind, lastCycleAt: cycle?.startedAt ?? null,
      vantages: vantagesNow(cycle, view.vantages, familiesOf(target.addresses)), openIncidents: open,
    }
  }))
  c.header('Cache-Control', 'no-store')
  return c.body(renderMetrics(targets), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' })
}

async function targetOverview(
  ctx: PageContext,
  target: PublicTarget,
  nowMs: number,
  openIncidents: readonly Incident[],
  catchment: readonly CatchmentEntry[],
): Promise<TargetOverview> {
  const [cycle, resolved, hourly] = await Promise.all([
    latestCycle(ctx.deps.store, target.id),
    ctx.deps.store.incidents({ target: target.id, status: 'resolved', limit: RESOLVED_FOR_STATE }),
    ctx.rollups({ target: target.id, granularity: 'hour', since: nowMs - DAY_MS, until: nowMs + 1 }),
  ])
  const open = openIncidents.filter((incident) => incident.target === target.id)
  const uptime24h = uptimeOf([...tallyByVantage(hourly).values()].flatMap((buckets) => [...buckets.values()]))
  return {
    target,
    state: deriveTargetState([...open, ...resolved], cycle !== null),
    now: vantagesNow(cycle, ctx.deps.view.vantages, familiesOf(target.addresses)),
    sinceByPath: new Map(catchment.filter((entry) => entry.target === target.id).map((entry) => [familyKey(entry.vantage, entry.family), entry.since])),
    lastCycleAt: cycle?.startedAt ?? null,
    openIncidents: open,
    uptime24h,
  }
}

async function latestCycle(store: MonitorStore, target: string): Promise<CycleRecord | null> {
  const [cycle] = await store.recentCycles(target, 1)
  return cycle ?? null
}

function asset(c: Context, body: string, contentType: string) {
  c.header('Cache-Control', 'public, max-age=3600')
  return c.body(body, 200, { 'Content-Type': contentType })
}
