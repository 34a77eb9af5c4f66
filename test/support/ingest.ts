// Builders for the ingest API's tests: a config with a remote vantage, its key, signed requests, and a
// monitor (the real web app) served on 127.0.0.1 that can go down and come back on the same port.
import { serve } from '@hono/node-server'
import type { Hono } from 'hono'
import { createWebApp } from '../../src/app/create-web-app.ts'
import { parseConfig, type Config } from '../../src/core/config.ts'
import { INGEST_BATCH_VERSION } from '../../src/core/ingest/batch.ts'
import {
  INGEST_NONCE_HEADER, INGEST_SIGNATURE_HEADER, INGEST_TIMESTAMP_HEADER, INGEST_VANTAGE_HEADER, ingestTimestamp, signIngest,
} from '../../src/core/ingest/signature.ts'
import type { Observation } from '../../src/core/model.ts'
import type { MonitorStore } from '../../src/ports/store.ts'

export const VANTAGE = 'aws-euw1'
export const KEY_ENV = 'INGEST_KEY_AWS_EUW1'
export const KEY = '3f1c9a7e5b2d4f608a1c3e5f7b9d1f2a4c6e8a0b2d4f6a8c0e2f4a6c8e0a2c4e'
export const TARGET = 'lab'
export const ADDRESS = '198.51.100.53'

/** A target and two vantages: `par` probes from the monitor itself, `aws-euw1` pushes (KEY_ENV holds its key). */
export function ingestConfig(target: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Config {
  const parsed = parseConfig({
    targets: [{
      id: TARGET, label: 'Lab', addresses: [ADDRESS], qname: 'example', transports: ['udp', 'tcp'],
      sites: [{ id: 'fra', label: 'FRA', latitude: 50.1, longitude: 8.7, match: { exact: ['fra-1'] } }],
      ...target,
    }],
    vantages: [
      { id: 'par', label: 'Paris', region: 'weur', runner: { kind: 'local' } },
      { id: VANTAGE, label: 'AWS eu-west-1', region: 'eu-west-1', runner: { kind: 'remote', keyEnv: KEY_ENV } },
    ],
    ...extra,
  })
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors))
  return parsed.config
}

export const ingestKeys = (): Map<string, string> => new Map([[VANTAGE, KEY]])

export function pushed(observedAt: number, overrides: Partial<Observation> = {}): Observation {
  return {
    observedAt, vantage: VANTAGE, target: TARGET, address: ADDRESS, port: 53, qname: 'example', transport: 'udp',
    outcome: 'ok', rcode: 0, rttMs: 21.5, connectMs: null, identity: { source: 'nsid', hex: '6672612d31', text: 'fra-1' },
    retriedOverTcp: false, ignoredReplies: 0, error: null, ...overrides,
  }
}

export function batchBody(observations: readonly Observation[], fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ version: INGEST_BATCH_VERSION, vantage: VANTAGE, batchId: `${VANTAGE}@test#1of1`, observations, ...fields })
}

let nonces = 0

/** The headers of a push of `body`, signed now (or at `nowMs`) with a fresh nonce unless one is given. */
export async function signedHeaders(
  body: string,
  options: { key?: string; vantage?: string; nowMs?: number; nonce?: string } = {},
): Promise<Record<string, string>> {
  const timestamp = ingestTimestamp(options.nowMs ?? Date.now())
  const nonce = options.nonce ?? `test-nonce-${String((nonces += 1)).padStart(8, '0')}`
  return {
    'content-type': 'application/json',
    [INGEST_VANTAGE_HEADER]: options.vantage ?? VANTAGE,
    [INGEST_TIMESTAMP_HEADER]: timestamp,
    [INGEST_NONCE_HEADER]: nonce,
    [INGEST_SIGNATURE_HEADER]: await signIngest(options.key ?? KEY, timestamp, nonce, new TextEncoder().encode(body)),
  }
}

export interface ServedMonitor {
  url: string
  port: number
  /** Serves again on the same port. */
  start(): Promise<void>
  /** Stops listening and drops open connections: the monitor is unreachable. */
  stop(): Promise<void>
}

/** A hono app on 127.0.0.1 (a free port unless one is given). */
export async function serveOnLoopback(app: Pick<Hono, 'fetch'>, port = 0): Promise<ServedMonitor> {
  let server: ReturnType<typeof serve> | null = null
  let boundPort = port
  const start = () => new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: boundPort }, (info) => {
      boundPort = info.port
      resolve()
    })
  })
  const stop = () => new Promise<void>((resolve) => {
    const running = server as unknown as { close(done: () => void): void; closeAllConnections?: () => void } | null
    server = null
    if (running === null) return resolve()
    running.close(() => resolve())
    running.closeAllConnections?.()
  })
  await start()
  return { url: `http://127.0.0.1:${boundPort}`, port: boundPort, start, stop }
}

/** The real web app of a monitor with this store, config and the test key. */
export function monitorApp(store: MonitorStore, config: Config = ingestConfig(), nowMs: () => number = () => Date.now()): Hono {
  return createWebApp({ config, store, nowMs, ingestKeys: ingestKeys(), landPath: 'M0 0L1 1Z', compress: false })
}
