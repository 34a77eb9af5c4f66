// A Cloudflare region whose plan spans several invocations, inside workerd, through the real scheduled
// handler, coordinator, ProbeRegion binding and D1: against a target that never answers, every probe
// ends at its timeout, one invocation after another, and the cycle waits for the region (its deadline
// follows regionWorstCase) so the outage is measured and pages. A plan that cannot fit the probe interval
// is refused when the config loads, with its numbers.
import { createExecutionContext, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, inject, it } from 'vitest'
import { createD1Store } from '../../src/adapters/store/d1.ts'
import worker from '../../workers/src/index.ts'
import { coordinator, tickAt } from './coordinator-harness.ts'
import { SILENT_ADDRESS_COUNT } from './fixtures.ts'

const TARGET = 'silent-region'
const VANTAGE = { id: 'cf-weur', hint: 'weur' }
/**
 * 40 TCP tasks with the CHAOS fallback are 16 + 16 + 8 tasks in 3 invocations, 3 + 3 + 2 rounds of 6
 * sockets: 8 timeouts. Above 1 s, those 8 timeouts outlast the 16-probes-in-flight estimate the cycle
 * used before (3 timeouts + 5 s), which cut the region and recorded it missing.
 */
const PROBE_TIMEOUT_MS = 1_100
/** The incident opens on the first failing cycle, to keep the test to one slow cycle. */
const OPEN_AFTER_CYCLES = 1
const MINUTE_MS = 60_000

function config(target: { addresses: string[]; port: number }, probe: Record<string, unknown>): string {
  return JSON.stringify({
    targets: [
      {
        id: TARGET,
        label: 'Silent on loopback',
        addresses: target.addresses,
        port: target.port,
        qname: 'example',
        transports: ['tcp'],
        sites: [{ id: 'nowhere', label: 'Nowhere', latitude: 0, longitude: 0, match: { exact: ['never-answers'] } }],
      },
    ],
    vantages: [{ id: VANTAGE.id, label: 'Cloudflare Western Europe (test)', region: VANTAGE.hint, runner: { kind: 'cloudflare-region', locationHint: VANTAGE.hint } }],
    probe,
    incidents: { openAfterCycles: OPEN_AFTER_CYCLES },
    // Deliveries to a closed loopback port fail and stay in the outbox, which is what the test reads.
    alerts: { routes: [{ name: 'oncall', kind: 'webhook', url: `http://127.0.0.1:${inject('closedPort')}/hook`, secretEnv: 'TEST_WEBHOOK_KEY' }] },
  })
}


async function useConfig(configOverride: string): Promise<void> {
  await runInDurableObject(coordinator(), (instance) => {
    const open = instance as unknown as { configOverride: string | null; monitor: unknown }
    open.configOverride = configOverride
    open.monitor = null // rebuilt from the new config on the next cycle
  })
}


describe('a region whose plan spans several invocations', () => {
  it(`reports ${SILENT_ADDRESS_COUNT} timeouts of a silent target within the cycle, and the outage pages`, async (context) => {
    const silent = inject('silentTarget')
    if ('reason' in silent) {
      if (process.env.CI === 'true') throw new Error(silent.reason)
      return context.skip(silent.reason)
    }
    await useConfig(config(silent, { intervalSeconds: 60, timeoutMs: PROBE_TIMEOUT_MS }))
    const store = createD1Store(env.DB)
    const start = Date.now()
    for (let cycle = 0; cycle < OPEN_AFTER_CYCLES; cycle += 1) {
      expect(await store.outbox({})).toEqual([])
      await tickAt(start + cycle * MINUTE_MS)
    }

    const [cycle] = await store.recentCycles(TARGET, 1)
    expect(cycle?.missingVantages).toEqual([])
    expect(cycle?.observations.map((o) => [o.vantage, o.transport, o.outcome])).toEqual(silent.addresses.map(() => [VANTAGE.id, 'tcp', 'timeout']))
    expect(cycle?.observations.map((o) => o.address).sort()).toEqual([...silent.addresses].sort())
    const incidents = await store.incidents({ target: TARGET })
    expect(incidents.map((incident) => [incident.key, incident.status, incident.lastFinding.evidence.vantages])).toEqual([
      [`${TARGET}/outage/target`, 'open', [VANTAGE.id]],
    ])
    const outbox = await store.outbox({})
    expect(outbox.map((item) => [item.route, item.notification.event, item.notification.incident.key])).toEqual([['oncall', 'trigger', `${TARGET}/outage/target`]])
  })

  it('is refused when the config loads when it cannot finish within the probe interval, with its numbers', async () => {
    const addresses = Array.from({ length: SILENT_ADDRESS_COUNT }, (_, index) => `127.0.1.${index + 1}`)
    const tooSlow = config({ addresses, port: inject('closedPort') }, { intervalSeconds: 30, timeoutMs: 5_000 })
    const numbers = 'vantages: cf-weur (weur): 40 TCP tasks need 3 invocations of ≤6 sockets, worst case 43.0 s > interval 30 s'

    const response = await worker.fetch(new Request('http://worker.test/'), { ...env, MONITOR_CONFIG: tooSlow }, createExecutionContext())
    expect(response.status).toBe(500)
    expect(await response.text()).toContain(`MONITOR_CONFIG cannot run on the Worker:\n  ${numbers} (≤16 tasks per invocation within 50 subrequests`)

    await useConfig(tooSlow)
    const tick = Date.now() + 10 * MINUTE_MS
    expect(await coordinator().runCycle(tick)).toEqual({ status: 'failed', tick, error: expect.stringContaining(numbers) })
  })
})
