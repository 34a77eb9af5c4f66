// The catchment over HTTP: /api/v1/targets/:id/catchment (where each vantage lands in the latest cycle,
// over all addresses as before and per address family side by side, with each transport where a
// family's transports disagree, and how many vantages reported) and /catchment/history (the stored
// changes of each (vantage, family), paged by time like /observations: since and until in epoch ms).
import { Hono, type Context } from 'hono'
import { catchmentOf, medianMs, siteKey, type VantageState } from '../core/catchment.ts'
import { compileSiteTable, type Config, type SiteResolver, type Target } from '../core/config.ts'
import type { CycleRecord } from '../core/findings.ts'
import type { Observation, TransportName } from '../core/model.ts'
import { ADDRESS_FAMILIES, addressFamilyOf, familiesOf, type AddressFamily } from '../core/paths.ts'
import type { CatchmentEntry, MonitorStore } from '../ports/store.ts'

/** Changes per page at most (and by default). */
export const MAX_CHANGES_PER_PAGE = 1000
/** The page's catchment history shows 7 days: the default window. */
const DEFAULT_HISTORY_WINDOW_MS = 7 * 24 * 60 * 60 * 1000
const HTTP_BAD_REQUEST = 400
const HTTP_NOT_FOUND = 404
const TRANSPORTS: readonly TransportName[] = ['udp', 'tcp']

export interface CatchmentApiDeps {
  config: Config
  store: MonitorStore
  nowMs: () => number
}

export function createCatchmentApi(deps: CatchmentApiDeps): Hono {
  const app = new Hono()
  const targetById = new Map(deps.config.targets.map((target) => [target.id, target]))
  const vantageIds = deps.config.vantages.map((vantage) => vantage.id)
  const unknown = (c: Context) => c.json({ error: `no target ${c.req.param('id') ?? ''}` }, HTTP_NOT_FOUND)

  app.get('/api/v1/targets/:id/catchment', async (c) => {
    const target = targetById.get(c.req.param('id'))
    if (!target) return unknown(c)
    const [[latest], entries] = await Promise.all([deps.store.recentCycles(target.id, 1), deps.store.catchment({ target: target.id })])
    return c.json(currentCatchment(target, vantageIds, latest ?? null, entries))
  })

  app.get('/api/v1/targets/:id/catchment/history', async (c) => {
    const target = targetById.get(c.req.param('id'))
    if (!target) return unknown(c)
    const query = historyQuery(c, deps.nowMs())
    if (typeof query === 'string') return c.json({ error: query }, HTTP_BAD_REQUEST)
    const filter = { target: target.id, ...(query.vantage ? { vantage: query.vantage } : {}), ...(query.family ? { family: query.family } : {}) }
    const page = await deps.store.catchmentChanges({ ...filter, since: query.since, until: query.until, limit: query.limit })
    const last = page.at(-1)
    if (page.length < query.limit || !last) return c.json({ target: target.id, changes: page.map(publicChange), next: null })
    // A full page may stop inside one instant (one cycle's changes): that instant goes whole to the next
    // page; a page that is one instant only is completed here, so no change is skipped or repeated.
    const before = page.filter((change) => change.at < last.at)
    const changes = before.length > 0
      ? before
      : await deps.store.catchmentChanges({ ...filter, since: last.at, until: last.at + 1 })
    const nextSince = before.length > 0 ? last.at : last.at + 1
    return c.json({ target: target.id, changes: changes.map(publicChange), next: nextSince < query.until ? { since: nextSince, until: query.until } : null })
  })
  return app
}

interface HistoryQuery {
  since: number
  until: number
  limit: number
  vantage?: string
  family?: AddressFamily
}

function historyQuery(c: Context, nowMs: number): HistoryQuery | string {
  const until = integerParam(c.req.query('until'), nowMs)
  const since = integerParam(c.req.query('since'), (until ?? 0) - DEFAULT_HISTORY_WINDOW_MS)
  const limit = integerParam(c.req.query('limit'), MAX_CHANGES_PER_PAGE)
  const family = c.req.query('family')
  if (since === null || until === null || limit === null || limit < 1 || limit > MAX_CHANGES_PER_PAGE || since > until) {
    return `since and until are epoch ms with since <= until; limit is 1..${MAX_CHANGES_PER_PAGE}`
  }
  if (family !== undefined && !(ADDRESS_FAMILIES as readonly string[]).includes(family)) return `family is one of ${ADDRESS_FAMILIES.join(', ')}`
  const vantage = c.req.query('vantage')
  return { since, until, limit, ...(vantage ? { vantage } : {}), ...(family ? { family: family as AddressFamily } : {}) }
}

function integerParam(raw: string | undefined, fallback: number): number | null {
  if (raw === undefined) return fallback
  return /^\d+$/.test(raw) ? Number(raw) : null
}

function publicChange(change: { vantage: string; family: AddressFamily; at: number; from: string | null; to: string | null }) {
  return { vantage: change.vantage, family: change.family, at: change.at, from: change.from, to: change.to }
}

/**
 * Each vantage as before (its state over every address and transport) plus `families`: its state over
 * each of the target's families, with `since` from the stored catchment and `transports` (each one's
 * state) only where they disagree. `coverage`: vantages with any observation in the latest cycle.
 */
function currentCatchment(target: Target, vantageIds: readonly string[], latest: CycleRecord | null, entries: readonly CatchmentEntry[]) {
  if (!latest) return { target: target.id, cycleStartedAt: null, coverage: { reporting: 0, vantages: vantageIds.length }, vantages: [] }
  const resolveSite = compileSiteTable(target.sites)
  const families = familiesOf(target.addresses)
  const since = new Map(entries.map((entry) => [`${entry.vantage} ${entry.family}`, entry.since]))
  const byFamily = new Map(families.map((family) => [family, catchmentOf(only(latest, (o) => addressFamilyOf(o.address) === family), resolveSite)]))
  const vantages = [...catchmentOf(latest, resolveSite).values()].map((state) => ({
    vantage: state.vantage,
    ...stateView(state),
    missingReason: state.missingReason,
    families: Object.fromEntries(families.map((family) => [family, {
      ...stateView(byFamily.get(family)?.get(state.vantage)),
      since: since.get(`${state.vantage} ${family}`) ?? null,
      transports: transportsWhereTheyDisagree(latest, state.vantage, family, resolveSite),
    }])),
    observations: state.observations.map(({ observation, site }) => ({
      address: observation.address,
      family: addressFamilyOf(observation.address),
      transport: observation.transport,
      outcome: observation.outcome,
      site,
      rttMs: observation.rttMs,
      identity: observation.identity,
    })),
  }))
  const reporting = new Set(latest.observations.map((observation) => observation.vantage))
  return {
    target: target.id,
    cycleStartedAt: latest.startedAt,
    coverage: { reporting: vantageIds.filter((vantage) => reporting.has(vantage)).length, vantages: vantageIds.length },
    vantages,
  }
}

function only(cycle: CycleRecord, keep: (observation: Observation) => boolean): CycleRecord {
  return { ...cycle, observations: cycle.observations.filter(keep) }
}

/** A state as the API shows it; a vantage without observations in that slice of the cycle is missing. */
function stateView(state: VantageState | undefined) {
  return { status: state?.status ?? 'missing', sites: state?.sites ?? [], rttMs: medianMs(state?.rttsMs ?? []) }
}

function transportsWhereTheyDisagree(cycle: CycleRecord, vantage: string, family: AddressFamily, resolveSite: SiteResolver) {
  const mine = only(cycle, (o) => o.vantage === vantage && addressFamilyOf(o.address) === family)
  const states = TRANSPORTS.flatMap((transport) => {
    const state = catchmentOf(only(mine, (o) => o.transport === transport), resolveSite).get(vantage)
    return state && state.status !== 'missing' ? [[transport, state] as const] : []
  })
  const shapes = new Set(states.map(([, state]) => `${state.status} ${siteKey(state.sites)}`))
  if (shapes.size <= 1) return null
  return Object.fromEntries(states.map(([transport, state]) => [transport, { status: state.status, sites: state.sites, rttMs: medianMs(state.rttsMs) }]))
}
