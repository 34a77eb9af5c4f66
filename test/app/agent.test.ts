// The agent against a real monitor: the web app with a SQLite store served on 127.0.0.1, which goes down,
// comes back failing (503), loses an answer, and recovers. The agent probes through in-memory DNS
// transports (the probe itself is tested elsewhere) and keeps its batches in a real spool directory.
// Counted by natural key in the monitor's store at the end: nothing lost, nothing twice, in order.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Hono } from 'hono'
import { afterAll, describe, expect, it } from 'vitest'
import { abortableSleep } from '../../src/adapters/abortable-sleep.ts'
import { createDiskSpool } from '../../src/adapters/ingest/disk-spool.ts'
import { createIngestPusher } from '../../src/adapters/ingest/push-client.ts'
import { createSqliteStore } from '../../src/adapters/store/sqlite.ts'
import { createMemoryTransport, type MemoryReply } from '../../src/adapters/transport/memory.ts'
import { drainSpool, probeIntoSpool, runAgent, type AgentDeps } from '../../src/app/agent.ts'
import { naturalKeyOf } from '../../src/core/ingest/batch.ts'
import { decodeMessage } from '../../src/core/dns/wire.ts'
import type { TransportName } from '../../src/core/model.ts'
import type { MonitorStore } from '../../src/ports/store.ts'
import { soaReply } from '../support/dns-replies.ts'
import { ADDRESS, KEY, TARGET, VANTAGE, ingestConfig, monitorApp, serveOnLoopback } from '../support/ingest.ts'

const ROUND_MS = 60_000
const TRANSPORTS: TransportName[] = ['udp', 'tcp']
const dir = mkdtempSync(join(tmpdir(), 'agent-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function answering(name: TransportName) {
  return createMemoryTransport(name, (query): MemoryReply => {
    const decoded = decodeMessage(query)
    if (!decoded.ok) return { kind: 'silence' }
    return { kind: 'replies', replies: [soaReply({ id: decoded.message.id, question: decoded.message.questions[0]! }, { nsid: 'fra-1' })], rttMs: 4 }
  })
}

function agentDeps(options: { url: string; spoolDir: string; nowMs: () => number; logs?: object[] }): AgentDeps {
  return {
    config: ingestConfig(),
    vantage: VANTAGE,
    probe: { transports: { udp: answering('udp'), tcp: answering('tcp') }, clock: { nowMs: options.nowMs, monotonicMs: () => performance.now() }, random: Math.random },
    spool: createDiskSpool({ dir: options.spoolDir }),
    pusher: createIngestPusher({ url: options.url, vantage: VANTAGE, key: KEY, timeoutMs: 2_000 }),
    log: (event, fields) => options.logs?.push({ event, ...fields }),
    sleep: abortableSleep,
    intervalMs: 150,
    retry: { minMs: 20, maxMs: 80 },
  }
}

type Mode = 'healthy' | 'failing' | 'answer-lost' | 'refuse-next'

/** The monitor's app behind a switch, recording the batches it accepted (in order). */
function switchedMonitor(store: MonitorStore) {
  const app = monitorApp(store)
  const state = { mode: 'healthy' as Mode, accepted: [] as string[] }
  const gate = new Hono()
  gate.all('*', async (c) => {
    if (state.mode === 'failing') return c.json({ error: 'maintenance' }, 503)
    if (state.mode === 'refuse-next') {
      state.mode = 'healthy'
      return c.json({ error: 'the batch does not fit this monitor\'s config', problems: ['observations[0].target: "x" is not a target of this monitor'] }, 422)
    }
    const response = await app.fetch(c.req.raw)
    if (response.status === 200) state.accepted.push(((await response.clone().json()) as { batchId: string }).batchId)
    // Stored, but the answer never reaches the agent (a proxy in between fails).
    if (state.mode === 'answer-lost') return c.json({ error: 'bad gateway' }, 502)
    return response
  })
  return { gate, state }
}

async function storedKeys(store: MonitorStore): Promise<string[]> {
  const rows = await store.ingestedObservations({ vantage: VANTAGE, since: 0, until: Date.now() + ROUND_MS })
  return rows.map((row) => naturalKeyOf(row.observation))
}

const keysOfRound = (at: number) => TRANSPORTS.map((transport) => naturalKeyOf({ vantage: VANTAGE, target: TARGET, address: ADDRESS, transport, observedAt: at }))

describe('the agent', () => {
  it('keeps its batches on disk while the monitor is down, failing or losing answers, then delivers them in order: nothing lost, nothing twice', async () => {
    const store = createSqliteStore({ path: join(dir, 'monitor.sqlite') })
    const { gate, state } = switchedMonitor(store)
    const served = await serveOnLoopback(gate)
    const spoolDir = join(dir, 'spool-outage')
    const clock = { now: Date.now() - 30 * ROUND_MS }
    let deps = agentDeps({ url: served.url, spoolDir, nowMs: () => clock.now })
    const rounds: number[] = []
    const round = async () => {
      clock.now += ROUND_MS
      rounds.push(clock.now)
      expect(await probeIntoSpool(deps)).toEqual({ startedAt: clock.now, observations: 2, batches: 1 })
    }
    try {
      await round()
      expect(await drainSpool(deps)).toEqual({ delivered: 1, setAside: 0, pending: 0, error: null, retryAfterMs: null })

      await served.stop()
      await round()
      expect(await drainSpool(deps)).toMatchObject({ delivered: 0, pending: 1, error: expect.stringMatching(/^cannot reach http:\/\/127\.0\.0\.1:\d+\/api\/v1\/ingest/) })
      await round()
      // The agent restarts meanwhile: the spool directory is all it keeps.
      deps = agentDeps({ url: served.url, spoolDir, nowMs: () => clock.now })
      expect(await deps.spool.ids()).toHaveLength(2)

      await served.start()
      state.mode = 'failing'
      await round()
      expect(await drainSpool(deps)).toMatchObject({ delivered: 0, pending: 3, error: 'HTTP 503: maintenance' })

      state.mode = 'answer-lost'
      expect(await drainSpool(deps)).toMatchObject({ delivered: 0, pending: 3, error: 'HTTP 502: bad gateway' })
      state.mode = 'healthy'
      await round()
      expect(await drainSpool(deps)).toMatchObject({ delivered: 4, pending: 0 })
      expect(await deps.spool.ids()).toEqual([])

      const stored = await storedKeys(store)
      expect(stored.sort()).toEqual(rounds.flatMap(keysOfRound).sort())
      expect(new Set(stored).size).toBe(stored.length)
      // The batch whose answer was lost reached the monitor twice; the others once, oldest first.
      const batchOf = (at: number) => `${VANTAGE}@${at}#1of1`
      expect(state.accepted).toEqual([rounds[0], rounds[1], rounds[1], rounds[2], rounds[3], rounds[4]].map((at) => batchOf(at!)))
    } finally {
      await served.stop()
      await store.close()
    }
  })

  it('sets a refused batch aside with the reason, and delivers the ones behind it', async () => {
    const store = createSqliteStore({ path: join(dir, 'refused.sqlite') })
    const { gate, state } = switchedMonitor(store)
    const served = await serveOnLoopback(gate)
    const spoolDir = join(dir, 'spool-refused')
    const clock = { now: Date.now() - 10 * ROUND_MS }
    const logs: object[] = []
    const deps = agentDeps({ url: served.url, spoolDir, nowMs: () => clock.now, logs })
    try {
      for (const _ of [1, 2]) {
        clock.now += ROUND_MS
        await probeIntoSpool(deps)
      }
      const [refused] = await deps.spool.ids()
      state.mode = 'refuse-next'
      expect(await drainSpool(deps)).toMatchObject({ delivered: 1, setAside: 1, pending: 0 })
      expect(await deps.spool.ids()).toEqual([])
      expect(existsSync(join(spoolDir, 'rejected', `${refused}.batch.json`))).toBe(true)
      expect(readFileSync(join(spoolDir, 'rejected', `${refused}.reason.txt`), 'utf8')).toMatch(/^HTTP 422: the batch does not fit .*is not a target/)
      expect(logs).toContainEqual(expect.objectContaining({ event: 'batch-set-aside', batch: refused, status: 422 }))
      expect((await storedKeys(store)).sort()).toEqual(keysOfRound(clock.now).sort())
    } finally {
      await served.stop()
      await store.close()
    }
  })

  it('runs rounds on its interval and retries with backoff until the monitor is back, then stops on its signal', async () => {
    const store = createSqliteStore({ path: join(dir, 'loop.sqlite') })
    const { gate } = switchedMonitor(store)
    const served = await serveOnLoopback(gate)
    await served.stop()
    const logs: { event: string }[] = []
    const deps = agentDeps({ url: served.url, spoolDir: join(dir, 'spool-loop'), nowMs: () => Date.now(), logs })
    const stop = new AbortController()
    const rounds = () => logs.filter((entry) => entry.event === 'round') as unknown as { startedAt: number }[]
    try {
      const running = runAgent(deps, stop.signal)
      await until(() => rounds().length >= 3)
      await served.start()
      await until(async () => rounds().length >= 5 && (await deps.spool.ids()).length === 0)
      stop.abort()
      await running
      // A round may have begun just before the stop; its batch waits in the spool for the next start.
      expect(await drainSpool(deps)).toMatchObject({ pending: 0 })
      // On the real clock each probe is stamped with its own start: count by natural key.
      const stored = await storedKeys(store)
      expect(stored).toHaveLength(rounds().length * TRANSPORTS.length)
      expect(new Set(stored).size).toBe(stored.length)
    } finally {
      stop.abort()
      await served.stop()
      await store.close()
    }
  })
})

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
