import { describe, expect, it } from 'vitest'
import { createMemoryArchive } from '../../src/adapters/archive/memory.ts'
import { createMemoryStore } from '../../src/adapters/store/memory.ts'
import { createApi } from '../../src/app/create-api.ts'
import { createWebApp } from '../../src/app/create-web-app.ts'
import { parseConfig, type Config } from '../../src/core/config.ts'
import type { ObservationArchive } from '../../src/ports/observation-archive.ts'
import { observation, timeout } from '../contract/store.contract.ts'

const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000
const T0 = Date.UTC(2026, 10, 1)
const NOW = T0 + 2 * HOUR_MS

function config(): Config {
  const parsed = parseConfig({
    targets: [{ id: 'k-root', label: 'K', addresses: ['193.0.14.129'], qname: '.', sites: [{ id: 'ams1', label: 'AMS', latitude: 52, longitude: 5, match: { exact: ['k1.ams1'] } }] }],
    vantages: [{ id: 'fra', label: 'Frankfurt', region: 'weur', runner: { kind: 'local' } }],
  })
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors))
  return parsed.config
}

async function apiWithArchive(errors: unknown[] = []) {
  const archive = createMemoryArchive()
  await archive.archive([
    observation({ observedAt: T0 + 60_000, rttMs: 10 }),
    observation({ observedAt: T0 + 120_000, rttMs: 30 }),
    timeout({ observedAt: T0 + HOUR_MS + 60_000 }),
  ])
  return createApi({ config: config(), store: createMemoryStore(), nowMs: () => NOW, archive, onArchiveError: (error) => errors.push(error) })
}

describe('the archive API', () => {
  it('serves RTT percentiles per vantage and bucket from the archive, the last 24 hours by hourly buckets by default', async () => {
    const api = await apiWithArchive()
    const response = await api.request('/api/v1/targets/k-root/archive/rtt')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      target: 'k-root', from: NOW - DAY_MS, until: NOW, bucket: '1h', bucketMs: HOUR_MS,
      series: [{ vantage: 'fra', bucketStart: T0, samples: 2, p50Ms: 10, p95Ms: 30 }],
    })
    const fiveMinutes = (await (await api.request(`/api/v1/targets/k-root/archive/rtt?from=${T0}&until=${T0 + HOUR_MS}&bucket=5m`)).json()) as { series: unknown }
    expect(fiveMinutes.series).toEqual([{ vantage: 'fra', bucketStart: T0, samples: 2, p50Ms: 10, p95Ms: 30 }])
  })

  it('serves daily uptime and the latest observation of each series', async () => {
    const api = await apiWithArchive()
    expect(await (await api.request(`/api/v1/targets/k-root/archive/uptime?from=${T0}&until=${T0 + DAY_MS}`)).json()).toEqual({
      target: 'k-root', from: T0, until: T0 + DAY_MS, days: [{ vantage: 'fra', dayStart: T0, probes: 3, ok: 2 }],
    })
    expect(await (await api.request(`/api/v1/targets/k-root/archive/latest?since=${T0}`)).json()).toEqual({
      target: 'k-root',
      since: T0,
      latest: [{ vantage: 'fra', address: '193.0.14.129', transport: 'udp', observedAt: T0 + HOUR_MS + 60_000, outcome: 'timeout', rcode: null, rttMs: null, site: null }],
    })
  })

  it.each([
    ['/api/v1/targets/k-root/archive/rtt?bucket=7m', 400, /bucket is one of 1m, 5m, 15m, 1h, 6h, 1d/],
    [`/api/v1/targets/k-root/archive/rtt?from=${T0 + 10}&until=${T0}`, 400, /from < until/],
    ['/api/v1/targets/k-root/archive/rtt?from=abc', 400, /epoch ms/],
    [`/api/v1/targets/k-root/archive/rtt?from=0&until=${T0}&bucket=1m`, 400, /at most 2000 buckets/],
    [`/api/v1/targets/k-root/archive/uptime?from=0&until=${T0}`, 400, /at most 400 days/],
    ['/api/v1/targets/k-root/archive/latest?since=-5', 400, /epoch ms/],
    ['/api/v1/targets/nope/archive/rtt', 404, /no target nope/],
  ])('answers %s with %i and a JSON error', async (path, status, error) => {
    const response = await (await apiWithArchive()).request(path)
    expect(response.status).toBe(status)
    expect(((await response.json()) as { error: string }).error).toMatch(error)
  })

  it('answers 404 on every archive route when no archive is configured', async () => {
    const api = createApi({ config: config(), store: createMemoryStore(), nowMs: () => NOW })
    for (const route of ['rtt', 'uptime', 'latest']) {
      const response = await api.request(`/api/v1/targets/k-root/archive/${route}`)
      expect(response.status).toBe(404)
      expect(await response.json()).toEqual({ error: 'no archive is configured (the config has no "archive" block)' })
    }
  })

  it('answers 503 when the archive fails, keeping its details for the log', async () => {
    const failing: ObservationArchive = {
      ...createMemoryArchive(),
      rttSeries: async () => Promise.reject(new Error('archive:timestream: rttSeries query failed: connect ECONNREFUSED 10.1.2.3:443')),
    }
    const errors: unknown[] = []
    const app = createWebApp({ config: config(), store: createMemoryStore(), nowMs: () => NOW, landPath: 'M0 0L1 1Z', archive: failing, onArchiveError: (error) => errors.push(error) })
    const response = await app.request('/api/v1/targets/k-root/archive/rtt')
    expect(response.status).toBe(503)
    const body = await response.text()
    expect(JSON.parse(body)).toEqual({ error: "the archive (memory) could not answer; the monitor's log has the details" })
    expect(body).not.toContain('10.1.2.3')
    expect(errors).toHaveLength(1)
  })
})
