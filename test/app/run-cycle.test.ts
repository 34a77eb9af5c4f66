import { describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../src/adapters/store/memory.ts'
import { createMemoryTransport, type MemoryReply } from '../../src/adapters/transport/memory.ts'
import { createLocalRunner } from '../../src/app/local-runner.ts'
import { runCycle, type CycleDeps } from '../../src/app/run-cycle.ts'
import { parseConfig, type Config } from '../../src/core/config.ts'
import { decodeMessage } from '../../src/core/dns/wire.ts'
import { evaluateCycle, requiredHistoryCycles } from '../../src/core/evaluate.ts'
import type { MonitorStore } from '../../src/ports/store.ts'
import type { VantageRunner } from '../../src/ports/vantage-runner.ts'
import { soaReply } from '../support/dns-replies.ts'

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0)
const INTERVAL_MS = 60_000

function labConfig(): Config {
  const parsed = parseConfig({
    targets: [
      {
        id: 'lab', label: 'Lab', addresses: ['198.51.100.53'], qname: 'example', transports: ['udp'],
        sites: [
          { id: 'fra', label: 'FRA', latitude: 50.1, longitude: 8.7, match: { exact: ['fra-1'] } },
          { id: 'ams', label: 'AMS', latitude: 52.4, longitude: 4.9, match: { exact: ['ams-1'] } },
        ],
      },
    ],
    vantages: ['par', 'ber', 'lon'].map((id) => ({ id, label: id, region: id, runner: { kind: 'local' } })),
    alerts: { routes: [{ name: 'oncall', kind: 'webhook', url: 'http://127.0.0.1:9/hook', secretEnv: 'HOOK_KEY' }] },
  })
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors))
  return parsed.config
}

/** Each vantage reaches the node the script names for it this cycle: a site's NSID, or silence. */
type Script = Record<string, 'fra-1' | 'ams-1' | 'silent'>

function scriptedRunner(vantage: string, script: () => Script, clock: { now: number }): VantageRunner {
  const respond = (bytes: Uint8Array): MemoryReply => {
    const node = script()[vantage]
    const decoded = decodeMessage(bytes)
    if (!decoded.ok || node === undefined || node === 'silent') return { kind: 'silence' }
    return { kind: 'replies', replies: [soaReply({ id: decoded.message.id, question: decoded.message.questions[0]! }, { nsid: node })], rttMs: 20 }
  }
  return createLocalRunner(vantage, {
    transports: { udp: createMemoryTransport('udp', respond) },
    clock: { nowMs: () => clock.now, monotonicMs: () => 0 },
    random: () => 0.5,
  })
}

function monitor(store: MonitorStore = createMemoryStore()) {
  const config = labConfig()
  const clock = { now: T0 }
  let script: Script = { par: 'fra-1', ber: 'fra-1', lon: 'ams-1' }
  const deps: CycleDeps = {
    config,
    store,
    runners: ['par', 'ber', 'lon'].map((vantage) => scriptedRunner(vantage, () => script, clock)),
    clock: { nowMs: () => clock.now, monotonicMs: () => 0 },
    evaluate: (input) => evaluateCycle({ ...input, params: { detection: config.detection, incidents: config.incidents } }),
    routesFor: () => ['oncall'],
    historyCycles: requiredHistoryCycles(config.detection),
  }
  const cycle = async (next?: Script) => {
    if (next) script = next
    const report = await runCycle(deps)
    clock.now += INTERVAL_MS
    return report
  }
  return { deps, store, cycle }
}

describe('a monitor cycle', () => {
  it('stores one cycle per target with every vantage observation, its site resolved from the identity', async () => {
    const { store, cycle } = monitor()
    const report = await cycle()
    expect(report.cycles).toHaveLength(1)
    expect(report.cycles[0]?.observations.map((o) => [o.vantage, o.target, o.outcome, o.site])).toEqual([
      ['par', 'lab', 'ok', 'fra'],
      ['ber', 'lab', 'ok', 'fra'],
      ['lon', 'lab', 'ok', 'ams'],
    ])
    expect(await store.recentCycles('lab', 5)).toHaveLength(1)
    expect(report.findings).toEqual([])
  })

  it('records a runner that fails as a missing vantage and still evaluates the others', async () => {
    const { deps, cycle } = monitor()
    deps.runners = [...deps.runners, { vantage: 'broken', run: async () => Promise.reject(new Error('runner:netns:broken: cannot start')) }]
    const report = await cycle()
    expect(report.cycles[0]?.missingVantages).toEqual([{ vantage: 'broken', reason: 'runner:netns:broken: cannot start' }])
    expect(report.cycles[0]?.observations).toHaveLength(3)
  })

  it('queues a black-hole trigger on the second failing cycle and a resolve after two clean ones, once each', async () => {
    const { store, cycle } = monitor()
    await cycle()
    const first = await cycle({ par: 'silent', ber: 'silent', lon: 'ams-1' })
    expect(first.findings.map((f) => f.kind)).toContain('black-hole')
    expect(first.notifications).toEqual([])
    const second = await cycle()
    expect(second.notifications.map((n) => [n.event, n.incident.key])).toEqual([['trigger', 'lab/black-hole/site:fra']])
    await cycle({ par: 'fra-1', ber: 'fra-1', lon: 'ams-1' })
    const resolved = await cycle()
    expect(resolved.notifications.map((n) => n.event)).toEqual(['resolve'])
    const queued = await store.outbox({})
    expect(queued.map((item) => [item.route, item.notification.event])).toEqual([
      ['oncall', 'trigger'],
      ['oncall', 'resolve'],
    ])
  })

  it('never queues the same page twice when two runs evaluate the same cycle at once', async () => {
    const store = createMemoryStore()
    const a = monitor(store)
    const b = monitor(store)
    await a.cycle()
    await b.cycle()
    const failing: Script = { par: 'silent', ber: 'silent', lon: 'ams-1' }
    await a.cycle(failing)
    await b.cycle(failing)
    await Promise.all([a.cycle(failing), b.cycle(failing)])
    const triggers = (await store.outbox({})).filter((item) => item.notification.event === 'trigger')
    expect(triggers).toHaveLength(1)
  })
})
