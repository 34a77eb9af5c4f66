import { describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../src/adapters/store/memory.ts'
import { createApi } from '../../src/app/create-api.ts'
import { parseConfig, type Config } from '../../src/core/config.ts'
import type { Observation } from '../../src/core/model.ts'
import { storedBgpView } from '../../src/core/bgp/source-view.ts'
import { fresh, route, snapshot } from '../support/bgp.ts'

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0)
const SECRET_URL = 'https://hooks.slack.example/services/T000/B000/very-secret'

const LG_URL = 'https://monitor:lg-password@lg.internal.example'

function config(): Config {
  const site = { id: 'fra', label: 'FRA', latitude: 50.1, longitude: 8.7, match: { exact: ['fra-1'] }, community: '64500:1' }
  const parsed = parseConfig({
    targets: [
      { id: 'lab', label: 'Lab', addresses: ['198.51.100.53'], qname: 'example', sites: [site] },
      { id: 'other', label: 'Other', addresses: ['203.0.113.53'], qname: 'example', sites: [site] },
    ],
    vantages: [{ id: 'par', label: 'Paris', region: 'weur', runner: { kind: 'netns', namespace: 'secret-ns' } }],
    alerts: { routes: [{ name: 'chat', kind: 'slack', webhookUrlEnv: 'SLACK_URL' }] },
    bgp: {
      sources: { ripestat: { sourceapp: 'anycast-monitor-test' }, birdwatcher: { name: 'lg', baseUrl: LG_URL } },
      targets: [{ target: 'lab', prefixes: [{ prefix: '198.51.100.0/24', originAsns: [64500] }] }],
    },
  })
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors))
  return parsed.config
}

interface ChangesPage {
  target: string
  changes: { vantage: string; family: string; at: number; from: string | null; to: string | null }[]
  next: { since: number; until: number } | null
}

interface FamilyView {
  status: string
  sites: string[]
  rttMs: number | null
  since: number | null
  transports: Record<string, unknown> | null
}

interface CatchmentBody {
  coverage: { reporting: number; vantages: number }
  vantages: { vantage: string; status: string; sites: string[]; families: Record<string, FamilyView> }[]
}

async function json<T>(response: Response | Promise<Response>): Promise<T> {
  return (await (await response).json()) as T
}

const MINUTE_MS = 60_000
const HOUR_MS = 60 * MINUTE_MS
const V4 = '198.51.100.53'
const V6 = '2001:db8:53::53'

/** Target lab over IPv4 and IPv6, sites fra and ams, three vantages. */
function dualConfig(): Config {
  const site = (id: string) => ({ id, label: id.toUpperCase(), latitude: 50, longitude: 8, match: { exact: [`${id}-1`] } })
  const parsed = parseConfig({
    targets: [{ id: 'lab', label: 'Lab', addresses: [V4, V6], qname: 'example', sites: [site('fra'), site('ams')] }],
    vantages: ['par', 'ber', 'nyc'].map((id) => ({ id, label: id, region: 'weur', runner: { kind: 'local' } })),
    alerts: { routes: [] },
  })
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors))
  return parsed.config
}

function observation(overrides: Partial<Observation>): Observation {
  return {
    observedAt: T0, vantage: 'par', target: 'lab', address: '198.51.100.53', port: 53, qname: 'example', transport: 'udp',
    outcome: 'ok', rcode: 0, rttMs: 12.5, connectMs: null, identity: { source: 'nsid', hex: '6672612d31', text: 'fra-1' },
    site: 'fra', retriedOverTcp: false, ignoredReplies: 0, error: null, ...overrides,
  }
}

async function apiWithOneCycle() {
  const store = createMemoryStore()
  await store.writeCycle({ cycleId: `lab@${T0}`, target: 'lab', startedAt: T0, observations: [observation({})], missingVantages: [] })
  return createApi({ config: config(), store, nowMs: () => T0 + 1000 })
}

describe('the JSON API', () => {
  it('lists targets and vantages without runners, routes, BGP sources or secrets', async () => {
    const response = await (await apiWithOneCycle()).request('/api/v1/targets')
    expect(response.status).toBe(200)
    const body = await response.text()
    const sites = [{ id: 'fra', label: 'FRA', latitude: 50.1, longitude: 8.7 }]
    expect(JSON.parse(body)).toEqual({
      targets: [
        { id: 'lab', label: 'Lab', addresses: ['198.51.100.53'], port: 53, sites, bgpConfigured: true },
        { id: 'other', label: 'Other', addresses: ['203.0.113.53'], port: 53, sites, bgpConfigured: false },
      ],
      vantages: [{ id: 'par', label: 'Paris', region: 'weur', latitude: null, longitude: null }],
    })
    expect(body).not.toContain('secret-ns')
    expect(body).not.toContain('SLACK_URL')
    expect(body).not.toContain(SECRET_URL)
    expect(body).not.toContain('lg-password')
  })

  it("gives a target's latest stored BGP view, null before the first check, and says whether BGP is configured", async () => {
    const store = createMemoryStore()
    const api = createApi({ config: config(), store, nowMs: () => T0 + 1000 })
    expect(await (await api.request('/api/v1/targets/lab/bgp')).json()).toEqual({ target: 'lab', configured: true, view: null })
    const leaky = `network error: Request cannot be constructed from a URL that includes credentials: ${LG_URL}/protocols/bgp`
    const announced = snapshot([route('64496 64510 64500', { communities: ['64500:1'] })], { prefix: '198.51.100.0/24', fetchedAt: T0, dataAt: T0 - 30_000 })
    const view = storedBgpView(T0, [{ siteId: 'fra', community: '64500:1' }], [
      { prefix: '198.51.100.0/24', expectedOriginAsns: [64500], results: [fresh(announced), { kind: 'unavailable', source: 'lg', prefix: '198.51.100.0/24', reason: leaky }] },
    ])
    await store.saveBgpView('lab', view)
    await store.saveBgpView('other', view)
    const response = await api.request('/api/v1/targets/lab/bgp')
    expect(response.status).toBe(200)
    const body = await response.text()
    expect(JSON.parse(body)).toEqual({ target: 'lab', configured: true, view })
    expect(JSON.parse(body).view.prefixes[0].sources.map((source: { source: string; result: string; catchment: object }) => [source.source, source.result, source.catchment])).toEqual([
      ['ripestat', 'snapshot', { fra: 1 }],
      ['lg', 'unavailable', {}],
    ])
    expect(body).not.toContain('lg-password')
    expect(await (await api.request('/api/v1/targets/other/bgp')).json()).toEqual({ target: 'other', configured: false, view: null })
  })

  it('shows the current catchment: which site each vantage reaches, with its RTT', async () => {
    const response = await (await apiWithOneCycle()).request('/api/v1/targets/lab/catchment')
    expect(await response.json()).toMatchObject({
      target: 'lab',
      cycleStartedAt: T0,
      vantages: [{ vantage: 'par', status: 'answering', sites: ['fra'], rttMs: 12.5 }],
    })
  })

  it('shows IPv4 and IPv6 side by side per vantage, the transport where they disagree, and the coverage', async () => {
    const store = createMemoryStore()
    const api = createApi({ config: dualConfig(), store, nowMs: () => T0 + 1000 })
    const ams = { identity: { source: 'nsid' as const, hex: '00', text: 'ams-1' }, site: 'ams' }
    await store.writeCycle({
      cycleId: 'c1', target: 'lab', startedAt: T0, missingVantages: [{ vantage: 'ber', reason: 'runner crashed' }],
      observations: [
        observation({ address: V4, rttMs: 10 }), observation({ address: V4, transport: 'tcp', rttMs: 12 }),
        // par lands on ams over IPv6 UDP, and on fra over IPv6 TCP.
        observation({ address: V6, ...ams, rttMs: 20 }), observation({ address: V6, transport: 'tcp', rttMs: 30 }),
      ],
    })
    const body = await json<CatchmentBody>(api.request('/api/v1/targets/lab/catchment'))
    expect(body.coverage).toEqual({ reporting: 1, vantages: 3 })
    const par = body.vantages.find((vantage) => vantage.vantage === 'par')
    // Still readable as before: the vantage over every address, split (its families disagree), every site that answered.
    expect(par).toMatchObject({ vantage: 'par', status: 'split', sites: ['ams', 'fra'] })
    expect(par?.families).toEqual({
      ipv4: { status: 'answering', sites: ['fra'], rttMs: 11, since: T0, transports: null },
      ipv6: {
        status: 'answering', sites: ['ams', 'fra'], rttMs: 25, since: T0,
        transports: { udp: { status: 'answering', sites: ['ams'], rttMs: 20 }, tcp: { status: 'answering', sites: ['fra'], rttMs: 30 } },
      },
    })
    expect(body.vantages.find((vantage) => vantage.vantage === 'ber')).toMatchObject({
      status: 'missing', missingReason: 'runner crashed', families: { ipv4: { status: 'missing' }, ipv6: { status: 'missing' } },
    })
  })

  it('serves the catchment history from the stored changes, per family, paged by time', async () => {
    const store = createMemoryStore()
    const api = createApi({ config: dualConfig(), store, nowMs: () => T0 + HOUR_MS })
    const cycleAt = async (minute: number, v4: string, v6: string, vantages = ['par', 'ber']) => store.writeCycle({
      cycleId: `c${minute}`, target: 'lab', startedAt: T0 + minute * MINUTE_MS, missingVantages: [],
      observations: vantages.flatMap((vantage) => [
        observation({ vantage, address: V4, site: v4, identity: { source: 'nsid', hex: '00', text: `${v4}-1` } }),
        observation({ vantage, address: V6, site: v6, identity: { source: 'nsid', hex: '00', text: `${v6}-1` } }),
      ]),
    })
    await cycleAt(0, 'fra', 'fra')
    await cycleAt(1, 'fra', 'ams')
    await cycleAt(2, 'ams', 'ams')
    await cycleAt(3, 'fra', 'fra', ['par'])
    const all = await json<ChangesPage>(api.request(`/api/v1/targets/lab/catchment/history?since=${T0}&until=${T0 + HOUR_MS}`))
    const at = (minute: number) => T0 + minute * MINUTE_MS
    expect(all).toEqual({
      target: 'lab',
      changes: [
        { vantage: 'ber', family: 'ipv6', at: at(1), from: 'fra', to: 'ams' },
        { vantage: 'par', family: 'ipv6', at: at(1), from: 'fra', to: 'ams' },
        { vantage: 'ber', family: 'ipv4', at: at(2), from: 'fra', to: 'ams' },
        { vantage: 'par', family: 'ipv4', at: at(2), from: 'fra', to: 'ams' },
        { vantage: 'par', family: 'ipv4', at: at(3), from: 'ams', to: 'fra' },
        { vantage: 'par', family: 'ipv6', at: at(3), from: 'ams', to: 'fra' },
      ],
      next: null,
    })
    const v6 = await json<ChangesPage>(api.request(`/api/v1/targets/lab/catchment/history?since=${T0}&until=${T0 + HOUR_MS}&family=ipv6&vantage=par`))
    expect(v6.changes.map((change) => change.at)).toEqual([at(1), at(3)])
    // Within [since, until): the change at until is not in it.
    const window = await json<ChangesPage>(api.request(`/api/v1/targets/lab/catchment/history?since=${at(2)}&until=${at(3)}`))
    expect(window.changes.map((change) => change.at)).toEqual([at(2), at(2)])
    // Pages of 3 never split one cycle's changes, and together give every change once.
    const pages: ChangesPage['changes'][] = []
    let next: ChangesPage['next'] = { since: T0, until: T0 + HOUR_MS }
    while (next) {
      const page: ChangesPage = await json<ChangesPage>(api.request(`/api/v1/targets/lab/catchment/history?since=${next.since}&until=${next.until}&limit=3`))
      pages.push(page.changes)
      next = page.next
    }
    expect(pages.map((page) => page.length)).toEqual([2, 2, 2])
    expect(pages.flat()).toEqual(all.changes)
    // A page of one instant only is given whole, and the next starts after it.
    const tight = await json<ChangesPage>(api.request(`/api/v1/targets/lab/catchment/history?since=${T0}&until=${T0 + HOUR_MS}&limit=1`))
    expect(tight).toEqual({ target: 'lab', changes: all.changes.slice(0, 2), next: { since: at(1) + 1, until: T0 + HOUR_MS } })
  })

  it('pages observations by time', async () => {
    const api = await apiWithOneCycle()
    const page = await (await api.request(`/api/v1/targets/lab/observations?since=${T0}&until=${T0 + 1}&limit=1`)).json()
    expect(page).toMatchObject({ observations: [{ vantage: 'par', outcome: 'ok' }], next: { since: T0 + 1, until: T0 + 1 } })
  })

  it.each([
    ['/api/v1/targets/nope/catchment', 404],
    ['/api/v1/targets/nope/catchment/history', 404],
    ['/api/v1/targets/lab/catchment/history?since=yesterday', 400],
    ['/api/v1/targets/lab/catchment/history?since=2026-11-22T00:00:00Z', 400],
    [`/api/v1/targets/lab/catchment/history?since=${T0 + 1}&until=${T0}`, 400],
    ['/api/v1/targets/lab/catchment/history?limit=0', 400],
    ['/api/v1/targets/lab/catchment/history?limit=1001', 400],
    ['/api/v1/targets/lab/catchment/history?family=ipv5', 400],
    ['/api/v1/targets/nope/bgp', 404],
    ['/api/v1/targets/lab/observations?since=abc', 400],
    ['/api/v1/targets/lab/observations?limit=0', 400],
    ['/api/v1/incidents?status=maybe', 400],
    ['/nothing-here', 404],
  ])('answers %s with %i and a JSON error', async (path, status) => {
    const response = await (await apiWithOneCycle()).request(path)
    expect(response.status).toBe(status)
    expect(await response.json()).toHaveProperty('error')
  })

  it('lists incidents, empty when there are none', async () => {
    expect(await (await (await apiWithOneCycle()).request('/api/v1/incidents?status=open')).json()).toEqual({ incidents: [] })
  })
})
