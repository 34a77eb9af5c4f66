// The Lambda probe handler invoked locally, as EventBridge Scheduler would: it probes a real NSD on
// 127.0.0.1 over UDP and TCP and pushes to a monitor (the real web app with a memory store) on 127.0.0.1.
// A push the monitor does not take fails the invocation; an invocation retried stores nothing twice.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createMemoryStore } from '../../src/adapters/store/memory.ts'
import { naturalKeyOf } from '../../src/core/ingest/batch.ts'
import { handler } from '../../src/lambda/probe-handler.ts'
import type { MonitorStore } from '../../src/ports/store.ts'
import { dnsServerAvailable, startDnsServer, type RunningDnsServer } from '../support/dns-servers.ts'
import { KEY, KEY_ENV, VANTAGE, monitorApp, serveOnLoopback, type ServedMonitor } from '../support/ingest.ts'

const nsdAvailable = dnsServerAvailable('nsd')
// Outside CI a machine without NSD skips, saying why; in CI a missing daemon is a failure.
const skipReason = process.env.CI !== 'true' && !nsdAvailable.ok ? nsdAvailable.reason : undefined
const SCHEDULER_EVENT = { 'detail-type': 'Scheduled Event', source: 'aws.scheduler' }

function loopbackConfig(nsd: RunningDnsServer): Record<string, unknown> {
  return {
    targets: [{
      id: 'loopback-dns', label: 'NSD on loopback', addresses: [nsd.address], port: nsd.port, qname: nsd.zone, transports: ['udp', 'tcp'],
      sites: [{ id: 'here', label: 'Here', latitude: 50.1, longitude: 8.7, match: { exact: [nsd.expectedIdentity.text] } }],
    }],
    vantages: [{ id: VANTAGE, label: 'AWS eu-west-1', region: 'eu-west-1', runner: { kind: 'remote', keyEnv: KEY_ENV } }],
    probe: { timeoutMs: 2000 },
  }
}

describe.skipIf(skipReason !== undefined)(`the Lambda probe handler${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let nsd: RunningDnsServer
  let store: MonitorStore
  let monitor: ServedMonitor
  let config: Record<string, unknown>
  const dir = mkdtempSync(join(tmpdir(), 'lambda-'))

  beforeAll(async () => {
    nsd = await startDnsServer('nsd')
    config = loopbackConfig(nsd)
    store = createMemoryStore()
    const { parseConfig } = await import('../../src/core/config.ts')
    const parsed = parseConfig(config)
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors))
    monitor = await serveOnLoopback(monitorApp(store, parsed.config))
  })
  afterAll(async () => {
    await monitor?.stop()
    await nsd?.stop()
    rmSync(dir, { recursive: true, force: true })
  })
  afterEach(() => {
    vi.unstubAllEnvs()
  })
  // The handler logs one JSON line per invocation for CloudWatch; kept out of the test output.
  beforeAll(() => void vi.spyOn(console, 'log').mockImplementation(() => {}))
  afterAll(() => vi.restoreAllMocks())

  const lambdaEnv = (configValue: string, url = monitor.url) => {
    vi.stubEnv('MONITOR_CONFIG', configValue)
    vi.stubEnv('VANTAGE_ID', VANTAGE)
    vi.stubEnv('MONITOR_INGEST_URL', url)
    vi.stubEnv(KEY_ENV, `${KEY}\n`)
  }
  const inbox = async () => (await store.ingestedObservations({ vantage: VANTAGE, since: 0, until: Date.now() + 60_000 })).map((row) => row.observation)

  it('probes NSD over UDP and TCP and pushes both observations, signed, to the ingest API', async () => {
    lambdaEnv(JSON.stringify(config))
    const before = (await inbox()).length
    const summary = await handler(SCHEDULER_EVENT)
    expect(summary).toMatchObject({ vantage: VANTAGE, observations: 2, batches: 1, pushed: 1, stored: 2, duplicates: 0 })
    const pushed = (await inbox()).slice(before)
    expect(pushed.map((o) => [o.transport, o.outcome, o.identity?.source, o.identity?.text, o.address, o.port]).sort()).toEqual([
      ['tcp', 'ok', nsd.expectedIdentity.source, nsd.expectedIdentity.text, '127.0.0.1', nsd.port],
      ['udp', 'ok', nsd.expectedIdentity.source, nsd.expectedIdentity.text, '127.0.0.1', nsd.port],
    ])
    expect(pushed.find((o) => o.transport === 'tcp')?.connectMs).toEqual(expect.any(Number))
  })

  it('reads a config file bundled with the function (a path relative to LAMBDA_TASK_ROOT)', async () => {
    writeFileSync(join(dir, 'monitor.config.json'), JSON.stringify(config))
    lambdaEnv('monitor.config.json')
    vi.stubEnv('LAMBDA_TASK_ROOT', dir)
    expect(await handler(SCHEDULER_EVENT)).toMatchObject({ observations: 2, stored: 2 })
  })

  it('fails the invocation when the monitor cannot take the batch, so that the scheduler retries; the retry stores each observation once', async () => {
    lambdaEnv(JSON.stringify(config))
    await monitor.stop()
    try {
      await expect(handler(SCHEDULER_EVENT)).rejects.toThrow(/batch 1 of 1 \(aws-euw1@\d+#1of1\) could not be delivered: cannot reach http:\/\/127\.0\.0\.1/)
    } finally {
      await monitor.start()
    }
    const before = (await inbox()).length
    await handler(SCHEDULER_EVENT)
    const keys = (await inbox()).map(naturalKeyOf)
    expect(keys).toHaveLength(before + 2)
    expect(new Set(keys).size).toBe(keys.length)
  })

  it('fails the invocation, naming the problem, when its environment or key is wrong', async () => {
    lambdaEnv(JSON.stringify(config))
    vi.stubEnv(KEY_ENV, 'short')
    await expect(handler(SCHEDULER_EVENT)).rejects.toThrow(`vantages[0].runner.keyEnv: environment variable ${KEY_ENV} holds 5 characters`)
    lambdaEnv(JSON.stringify(config))
    vi.stubEnv('VANTAGE_ID', 'elsewhere')
    await expect(handler(SCHEDULER_EVENT)).rejects.toThrow('the config has no vantage "elsewhere"')
    lambdaEnv('{"targets": [')
    await expect(handler(SCHEDULER_EVENT)).rejects.toThrow(/MONITOR_CONFIG is not JSON/)
    lambdaEnv(JSON.stringify(config), 'ftp://monitor')
    await expect(handler(SCHEDULER_EVENT)).rejects.toThrow(/MONITOR_INGEST_URL must be the monitor's http\(s\) URL/)
    lambdaEnv(JSON.stringify(config))
    vi.stubEnv(KEY_ENV, 'y'.repeat(64))
    await expect(handler(SCHEDULER_EVENT)).rejects.toThrow(/was refused: HTTP 401: X-Anycast-Monitor-Signature does not match/)
  })
})
