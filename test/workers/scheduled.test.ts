// The deployed Worker's scheduled handler end to end inside workerd: a cron tick goes to the coordinator
// Durable Object, which asks the regional ProbeRegion objects (through their real binding) to probe the
// DNS daemons global-setup.ts runs on loopback, writes the cycle to the local D1, decides, and the same
// Worker's fetch handler serves the status page from D1. The coordinator is given a loopback config
// through runInDurableObject (the test wrangler.jsonc's MONITOR_CONFIG is deliberately invalid, so no
// test can probe the bundled example's addresses).
import { createExecutionContext, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { createD1Store } from '../../src/adapters/store/d1.ts'
import worker from '../../workers/src/index.ts'
import { coordinator, tickAt } from './coordinator-harness.ts'
import type { RegionNamespace } from '../../src/adapters/runner/durable-object.ts'
import type { CycleSummary } from '../../workers/src/coordinator.ts'
import type { LoopbackDnsServer } from './fixtures.ts'

const TARGET = 'loopback-dns'
const REGIONS = [
  { id: 'cf-weur', hint: 'weur', label: 'Cloudflare Western Europe (test)' },
  { id: 'cf-apac', hint: 'apac', label: 'Cloudflare Asia-Pacific (test)' },
]

interface CoordinatorSeams {
  configOverride: string | null
  regions: RegionNamespace<unknown> | null
}

function loopbackConfig(servers: readonly Extract<LoopbackDnsServer, { available: true }>[], extraTargets: unknown[] = []): string {
  const [nsd] = servers
  if (nsd === undefined) throw new Error('no DNS daemon on loopback')
  return JSON.stringify({
    targets: [
      {
        id: TARGET,
        label: 'DNS on loopback',
        addresses: ['127.0.0.1'],
        port: nsd.port,
        qname: nsd.zone,
        transports: ['udp', 'tcp'],
        sites: [{ id: 'here', label: 'Here', latitude: 50.1, longitude: 8.7, match: { exact: [nsd.expectedIdentity.text] } }],
      },
      ...extraTargets,
    ],
    vantages: REGIONS.map((region) => ({ id: region.id, label: region.label, region: region.hint, runner: { kind: 'cloudflare-region', locationHint: region.hint } })),
    probe: { intervalSeconds: 60, timeoutMs: 2000 },
  })
}


async function withSeams(seams: Partial<CoordinatorSeams>): Promise<void> {
  await runInDurableObject(coordinator(), (instance) => {
    const open = instance as unknown as CoordinatorSeams & { monitor: unknown }
    if (seams.configOverride !== undefined) open.configOverride = seams.configOverride
    if (seams.regions !== undefined) open.regions = seams.regions
    open.monitor = null // rebuilt from the new config on the next cycle
  })
}


describe('the scheduled handler through the regional Durable Objects, D1 and the page', () => {
  const servers = () => inject('dnsServers').flatMap((server) => (server.available ? [server] : []))
  let config = ''

  beforeAll(async () => {
    config = loopbackConfig(servers())
    await withSeams({ configOverride: config })
  })

  it('probes from every region over TCP, writes the cycle to D1, and the page shows it', async () => {
    const tick = Date.now()
    await tickAt(tick)
    const store = createD1Store(env.DB)
    const [cycle] = await store.recentCycles(TARGET, 1)
    expect(cycle?.missingVantages).toEqual([])
    const nsd = servers()[0]
    expect(cycle?.observations.map((o) => [o.vantage, o.transport, o.outcome, o.site, o.identity?.text]).sort()).toEqual(
      REGIONS.map((region) => [region.id, 'tcp', 'ok', 'here', nsd?.expectedIdentity.text]).sort(),
    )

    const response = await worker.fetch(new Request(`http://worker.test/targets/${TARGET}`), { ...env, MONITOR_CONFIG: config }, createExecutionContext())
    expect(response.status).toBe(200)
    const page = await response.text()
    for (const region of REGIONS) expect(page).toContain(region.label)
    expect(page).toContain(nsd?.expectedIdentity.text ?? '?')
    const api = (await (await worker.fetch(new Request(`http://worker.test/api/v1/targets/${TARGET}/catchment`), { ...env, MONITOR_CONFIG: config }, createExecutionContext())).json()) as {
      vantages: { vantage: string; status: string; sites: string[] }[]
    }
    // Cloudflare's edge compresses for the client: the Worker sends its body as is.
    const asked = await worker.fetch(new Request('http://worker.test/', { headers: { 'accept-encoding': 'gzip' } }), { ...env, MONITOR_CONFIG: config }, createExecutionContext())
    expect(asked.headers.get('content-encoding')).toBeNull()
    expect(await asked.text()).toContain('DNS on loopback')
    expect(api.vantages.map((state) => [state.vantage, state.status, state.sites]).sort()).toEqual(REGIONS.map((region) => [region.id, 'answering', ['here']]).sort())
  })

  it('runs a tick once: a repeated cron invocation and one arriving during a cycle are skipped', async () => {
    const store = createD1Store(env.DB)
    const before = (await store.recentCycles(TARGET, 100)).length
    const tick = Date.now() + 60_000
    // One stub: calls on a stub arrive in the order they were made; two stubs race, and the second tick could start first.
    const stub = coordinator()
    const [first, second] = await Promise.all([stub.runCycle(tick), stub.runCycle(tick + 60_000)])
    expect(first?.status).toBe('ran')
    expect(second).toEqual({ status: 'skipped', tick: tick + 60_000, reason: 'another cycle is running' })
    const again: CycleSummary = await coordinator().runCycle(tick)
    expect(again).toMatchObject({ status: 'skipped', reason: expect.stringContaining('already ran') })
    expect((await store.recentCycles(TARGET, 100)).length).toBe(before + 1)
  })

  it('goes on when a region fails and a target does not answer: the region is missing, the target fails, the rest is recorded', async () => {
    const closedPort = inject('closedPort')
    const silent = { id: 'silent', label: 'Nothing listens', addresses: ['127.0.0.1'], port: closedPort, qname: 'example', transports: ['tcp'], sites: [{ id: 'x', label: 'X', latitude: 0, longitude: 0, match: { exact: ['x'] } }] }
    const failingApac: RegionNamespace<unknown> = {
      idFromName: (name) => env.PROBE_REGION.idFromName(name),
      get: (id, options) => {
        if (options.locationHint === 'apac') throw new Error('region apac unreachable (test)')
        return env.PROBE_REGION.get(id as DurableObjectId, options)
      },
    }
    await withSeams({ configOverride: loopbackConfig(servers(), [silent]), regions: failingApac })
    try {
      const summary = await coordinator().runCycle(Date.now() + 10 * 60_000)
      expect(summary.status).toBe('ran')
      const store = createD1Store(env.DB)
      const [good] = await store.recentCycles(TARGET, 1)
      const [bad] = await store.recentCycles('silent', 1)
      expect(good?.missingVantages.map((missing) => missing.vantage)).toEqual(['cf-apac'])
      expect(good?.missingVantages[0]?.reason).toMatch(/apac unreachable/)
      expect(good?.observations.map((o) => [o.vantage, o.outcome])).toEqual([['cf-weur', 'ok']])
      expect(bad?.observations.map((o) => [o.vantage, o.outcome])).toEqual([['cf-weur', 'network-error']])
    } finally {
      await withSeams({ configOverride: config, regions: null })
    }
  })

  it('refuses, without probing, a config the Worker cannot run, and says why on the page', async () => {
    const response = await worker.fetch(new Request('http://worker.test/'), { ...env, MONITOR_CONFIG: '{"targets": []' }, createExecutionContext())
    expect(response.status).toBe(500)
    expect(await response.text()).toMatch(/MONITOR_CONFIG is not JSON/)
  })
})
