// The ingest API on the deployed Worker inside workerd: a remote vantage's signed push goes through the
// Worker's fetch handler into D1, and the coordinator's next cycle includes it, once, beside the
// observations of its Cloudflare region (which probes NSD on loopback over TCP); UDP observations of the
// remote vantage come along although the Worker itself cannot send UDP. A coordinator of its own name and a
// target of its own keep this file apart from scheduled.test.ts.
import { createExecutionContext, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, inject, it } from 'vitest'
import { createD1Store } from '../../src/adapters/store/d1.ts'
import { INGEST_BATCH_VERSION } from '../../src/core/ingest/batch.ts'
import {
  INGEST_NONCE_HEADER, INGEST_PATH, INGEST_SIGNATURE_HEADER, INGEST_TIMESTAMP_HEADER, INGEST_VANTAGE_HEADER, ingestTimestamp, signIngest,
} from '../../src/core/ingest/signature.ts'
import type { Observation } from '../../src/core/model.ts'
import worker from '../../workers/src/index.ts'

const TARGET = 'ingest-dns'
const REMOTE = 'aws-euw1'
const SECOND_MS = 1000

function config(port: number, zone: string, identity: string): string {
  return JSON.stringify({
    targets: [{
      id: TARGET, label: 'NSD on loopback', addresses: ['127.0.0.1'], port, qname: zone, transports: ['udp', 'tcp'],
      sites: [{ id: 'here', label: 'Here', latitude: 50.1, longitude: 8.7, match: { exact: [identity] } }],
    }],
    vantages: [
      { id: 'cf-weur', label: 'Cloudflare Western Europe (test)', region: 'weur', runner: { kind: 'cloudflare-region', locationHint: 'weur' } },
      { id: REMOTE, label: 'AWS eu-west-1 (test)', region: 'eu-west-1', runner: { kind: 'remote', keyEnv: 'TEST_INGEST_KEY' } },
    ],
    probe: { intervalSeconds: 60, timeoutMs: 2000 },
  })
}

function pushedObservation(observedAt: number, port: number, identity: string, transport: 'udp' | 'tcp'): Observation {
  return {
    observedAt, vantage: REMOTE, target: TARGET, address: '127.0.0.1', port, qname: 'example', transport, outcome: 'ok', rcode: 0,
    rttMs: 0.4, connectMs: transport === 'tcp' ? 0.1 : null, identity: { source: 'nsid', hex: '', text: identity },
    retriedOverTcp: false, ignoredReplies: 0, error: null,
  }
}

const INGEST_URL = `http://worker.test${INGEST_PATH}`

async function signedPush(body: string, nonce: string): Promise<RequestInit<IncomingRequestCfProperties>> {
  const timestamp = ingestTimestamp(Date.now())
  const signature = await signIngest(env.TEST_INGEST_KEY, timestamp, nonce, new TextEncoder().encode(body))
  return {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      [INGEST_VANTAGE_HEADER]: REMOTE,
      [INGEST_TIMESTAMP_HEADER]: timestamp,
      [INGEST_NONCE_HEADER]: nonce,
      [INGEST_SIGNATURE_HEADER]: signature,
    },
  }
}

describe('the ingest API on the Worker', () => {
  it('stores a signed push in D1 through fetch, refuses its replay, and the coordinator\'s next cycle includes it once', async () => {
    const nsd = inject('dnsServers').find((server) => server.available)
    if (nsd === undefined || !nsd.available) throw new Error('no DNS daemon on loopback')
    const monitorConfig = config(nsd.port, nsd.zone, nsd.expectedIdentity.text)
    const workerEnv = { ...env, MONITOR_CONFIG: monitorConfig }
    const now = Date.now()
    const observations = (['udp', 'tcp'] as const).map((transport) => pushedObservation(now - 20 * SECOND_MS, nsd.port, nsd.expectedIdentity.text, transport))
    const body = JSON.stringify({ version: INGEST_BATCH_VERSION, vantage: REMOTE, batchId: `${REMOTE}@${now}#1of1`, observations })

    const accepted = await worker.fetch(new Request(INGEST_URL, await signedPush(body, 'workerd-nonce-000001')), workerEnv, createExecutionContext())
    expect(accepted.status).toBe(200)
    expect(await accepted.json()).toMatchObject({ accepted: 2, stored: 2, duplicates: 0 })
    const replayed = await worker.fetch(new Request(INGEST_URL, await signedPush(body, 'workerd-nonce-000001')), workerEnv, createExecutionContext())
    expect(replayed.status).toBe(409)
    const again = await worker.fetch(new Request(INGEST_URL, await signedPush(body, 'workerd-nonce-000002')), workerEnv, createExecutionContext())
    expect(await again.json()).toMatchObject({ stored: 0, duplicates: 2 })

    const coordinator = env.COORDINATOR.get(env.COORDINATOR.idFromName('ingest-test'))
    await runInDurableObject(coordinator, (instance) => {
      const open = instance as unknown as { configOverride: string | null; monitor: unknown }
      open.configOverride = monitorConfig
      open.monitor = null
    })
    expect(await coordinator.runCycle(now)).toMatchObject({ status: 'ran', missingVantages: [] })
    const store = createD1Store(env.DB)
    const [first] = await store.recentCycles(TARGET, 1)
    expect(first?.observations.map((o) => [o.vantage, o.transport, o.outcome, o.site]).sort()).toEqual([
      [REMOTE, 'tcp', 'ok', 'here'],
      [REMOTE, 'udp', 'ok', 'here'],
      ['cf-weur', 'tcp', 'ok', 'here'],
    ])

    const next = await coordinator.runCycle(now + 60 * SECOND_MS)
    expect(next).toMatchObject({ status: 'ran', missingVantages: [expect.stringMatching(/^aws-euw1: runner:remote:aws-euw1: pushed nothing since the previous cycle/)] })
    const [second] = await store.recentCycles(TARGET, 1)
    expect(second?.observations.map((o) => o.vantage)).toEqual(['cf-weur'])
  })
})
