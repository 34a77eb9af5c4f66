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

  it('pages observations by time', async () => {
    const api = await apiWithOneCycle()
    const page = await (await api.request(`/api/v1/targets/lab/observations?since=${T0}&until=${T0 + 1}&limit=1`)).json()
    expect(page).toMatchObject({ observations: [{ vantage: 'par', outcome: 'ok' }], next: { since: T0 + 1, until: T0 + 1 } })
  })

  it.each([
    ['/api/v1/targets/nope/catchment', 404],
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
