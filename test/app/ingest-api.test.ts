// POST /api/v1/ingest, through the real web app: what it stores, and every way a push is refused, each
// with a clear JSON error and nothing stored. The concurrency cases run over HTTP on 127.0.0.1 against
// a SQLite file, as `serve` runs them.
import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../src/adapters/store/memory.ts'
import { createSqliteStore } from '../../src/adapters/store/sqlite.ts'
import { INGEST_MAX_BODY_BYTES } from '../../src/core/ingest/batch.ts'
import { INGEST_PATH, INGEST_SIGNATURE_HEADER, signIngest } from '../../src/core/ingest/signature.ts'
import type { MonitorStore } from '../../src/ports/store.ts'
import { KEY, VANTAGE, batchBody, monitorApp, pushed, serveOnLoopback, signedHeaders } from '../support/ingest.ts'

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0)
const SECOND_MS = 1000
const dir = mkdtempSync(join(tmpdir(), 'ingest-api-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function world(store: MonitorStore = createMemoryStore()) {
  const app = monitorApp(store, undefined, () => NOW)
  const post = (body: string | ReadableStream<Uint8Array>, headers: Record<string, string>) =>
    app.request(INGEST_PATH, { method: 'POST', body, headers, ...(typeof body === 'string' ? {} : { duplex: 'half' }) } as RequestInit)
  const stored = async () => (await store.ingestedObservations({ vantage: VANTAGE, since: 0, until: NOW + 3_600_000 })).map((row) => row.observation)
  return { store, post, stored }
}

async function expectRefused(response: Response, status: number, error: RegExp): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status)
  const body = (await response.json()) as Record<string, unknown>
  expect(body.error).toMatch(error)
  expect(JSON.stringify(body)).not.toContain(KEY)
  return body
}

const twoObservations = () => [pushed(NOW - 20 * SECOND_MS), pushed(NOW - 20 * SECOND_MS, { transport: 'tcp', connectMs: 0.8 })]

describe('the ingest API', () => {
  it('stores a signed batch once and says how many observations were new', async () => {
    const { post, stored } = world()
    const body = batchBody(twoObservations())
    const first = await post(body, await signedHeaders(body, { nowMs: NOW }))
    expect(first.status).toBe(200)
    expect(await first.json()).toEqual({ vantage: VANTAGE, batchId: `${VANTAGE}@test#1of1`, accepted: 2, stored: 2, duplicates: 0 })
    const again = await post(body, await signedHeaders(body, { nowMs: NOW + SECOND_MS }))
    expect(await again.json()).toMatchObject({ accepted: 2, stored: 0, duplicates: 2 })
    expect(await stored()).toEqual([twoObservations()[1], twoObservations()[0]])
  })

  it('signs as documented: HMAC-SHA256 over "timestamp.nonce." and the exact body bytes', async () => {
    const body = batchBody([pushed(NOW, { error: 'naïve ✓' })])
    const node = createHmac('sha256', KEY).update('1795000000.nonce-0123456789abcdef.').update(body).digest('hex')
    expect(await signIngest(KEY, '1795000000', 'nonce-0123456789abcdef', new TextEncoder().encode(body))).toBe(`v1=${node}`)
  })

  it('refuses a replayed request (the same nonce) with 409, even at the same time as the first', async () => {
    const { post, stored } = world()
    const body = batchBody(twoObservations())
    const headers = await signedHeaders(body, { nowMs: NOW })
    const [a, b] = await Promise.all([post(body, headers), post(body, headers)])
    expect([a.status, b.status].sort()).toEqual([200, 409])
    await expectRefused(a.status === 409 ? a : b, 409, /was used before: a replayed request/)
    await expectRefused(await post(body, headers), 409, /replayed/)
    expect(await stored()).toHaveLength(2)
  })

  it('refuses a body changed after signing, and a signature made with another key, with 401', async () => {
    const { post, stored } = world()
    const body = batchBody(twoObservations())
    const tampered = body.replace('21.5', '1.5')
    await expectRefused(await post(tampered, await signedHeaders(body, { nowMs: NOW })), 401, /does not match: another key, or a body changed/)
    await expectRefused(await post(body, await signedHeaders(body, { nowMs: NOW, key: 'x'.repeat(64) })), 401, /does not match/)
    expect(await stored()).toEqual([])
  })

  it('refuses an expired timestamp, and one from the future, with 401', async () => {
    const { post, stored } = world()
    const body = batchBody(twoObservations())
    await expectRefused(await post(body, await signedHeaders(body, { nowMs: NOW - 301 * SECOND_MS })), 401, /301 s behind the monitor's clock; at most 300 s/)
    await expectRefused(await post(body, await signedHeaders(body, { nowMs: NOW + 400 * SECOND_MS })), 401, /400 s ahead of/)
    expect((await post(body, await signedHeaders(body, { nowMs: NOW - 299 * SECOND_MS }))).status).toBe(200)
    expect(await stored()).toHaveLength(2)
  })

  it('refuses an unsigned request with 401, naming the missing headers', async () => {
    const { post, stored } = world()
    const body = batchBody(twoObservations())
    const error = await expectRefused(await post(body, { 'content-type': 'application/json' }), 401, /^unsigned: missing /)
    expect(error.error).toContain('X-Anycast-Monitor-Signature')
    const { [INGEST_SIGNATURE_HEADER]: _dropped, ...unsigned } = await signedHeaders(body, { nowMs: NOW })
    await expectRefused(await post(body, unsigned), 401, /^unsigned: missing X-Anycast-Monitor-Signature/)
    await expectRefused(await post(body, { ...unsigned, [INGEST_SIGNATURE_HEADER]: 'sha256=abc' }), 401, /must be "v1=" and 64 lowercase hex/)
    expect(await stored()).toEqual([])
  })

  it('refuses a vantage it does not know, and one that does not push, with 401', async () => {
    const { post } = world()
    const body = batchBody(twoObservations(), { vantage: 'nobody' })
    await expectRefused(await post(body, await signedHeaders(body, { nowMs: NOW, vantage: 'nobody' })), 401, /no remote vantage "nobody"/)
    await expectRefused(await post(body, await signedHeaders(body, { nowMs: NOW, vantage: 'par' })), 401, /no remote vantage "par"/)
  })

  it('refuses an oversized batch with 413: a declared length before reading, a stream once past the limit', async () => {
    const { store, post, stored } = world(createMemoryStore())
    const huge = batchBody([pushed(NOW, { error: 'x'.repeat(INGEST_MAX_BODY_BYTES) })])
    const served = await serveOnLoopback(monitorApp(store, undefined, () => Date.now()))
    try {
      const response = await fetch(`${served.url}${INGEST_PATH}`, { method: 'POST', body: huge, headers: await signedHeaders(huge) })
      await expectRefused(response, 413, new RegExp(`at most ${INGEST_MAX_BODY_BYTES} bytes are accepted: send smaller batches`))
    } finally {
      await served.stop()
    }
    const chunks = [huge.slice(0, 600_000), huge.slice(600_000)].map((part) => new TextEncoder().encode(part))
    const stream = new ReadableStream<Uint8Array>({ pull: (controller) => (chunks.length > 0 ? controller.enqueue(chunks.shift()!) : controller.close()) })
    await expectRefused(await post(stream, await signedHeaders(huge, { nowMs: NOW })), 413, /bytes or more/)
    expect(await stored()).toEqual([])
  })

  it('refuses a malformed batch with 400, listing what is wrong', async () => {
    const { post, stored } = world()
    const notJson = '{"version": 1, "observations": ['
    await expectRefused(await post(notJson, await signedHeaders(notJson, { nowMs: NOW })), 400, /^the body is not UTF-8 JSON/)
    const wrong = batchBody([{ ...pushed(NOW), rttMs: 'fast' } as unknown as ReturnType<typeof pushed>], { version: 2 })
    const refused = await expectRefused(await post(wrong, await signedHeaders(wrong, { nowMs: NOW })), 400, /^malformed batch$/)
    expect(refused.problems).toEqual([expect.stringMatching(/^version: /), expect.stringMatching(/^observations\[0\]\.rttMs: /)])
    const empty = batchBody([])
    expect((await expectRefused(await post(empty, await signedHeaders(empty, { nowMs: NOW })), 400, /malformed/)).problems).toEqual([expect.stringMatching(/^observations: /)])
    expect(await stored()).toEqual([])
  })

  it('refuses with 422 a batch that does not fit the config: another vantage, unknown targets and addresses, odd times', async () => {
    const { post, stored } = world()
    const body = batchBody([
      pushed(NOW, { vantage: 'par' }),
      pushed(NOW, { target: 'elsewhere' }),
      pushed(NOW, { address: '192.0.2.1' }),
      pushed(NOW + 3_600_000),
      pushed(NOW - 31 * 86_400_000),
    ])
    const refused = await expectRefused(await post(body, await signedHeaders(body, { nowMs: NOW })), 422, /does not fit this monitor's config/)
    expect(refused.problems).toEqual([
      'observations[0].vantage: "par" is not the batch\'s vantage "aws-euw1"',
      'observations[1].target: "elsewhere" is not a target of this monitor',
      `observations[2].address: 192.0.2.1 is not an address of target "lab"`,
      `observations[3].observedAt: ${NOW + 3_600_000} is in the future`,
      'observations[4].observedAt: older than the 30 days the monitor keeps',
    ])
    const otherName = batchBody([pushed(NOW)], { vantage: 'gcp-usc1' })
    expect((await expectRefused(await post(otherName, await signedHeaders(otherName, { nowMs: NOW })), 422, /config/)).problems)
      .toEqual(['vantage: the batch names "gcp-usc1" but is signed as "aws-euw1"', 'observations[0].vantage: "aws-euw1" is not the batch\'s vantage "gcp-usc1"'])
    expect(await stored()).toEqual([])
  })

  it('answers 503 when the store fails, so that the sender tries again', async () => {
    const failing: MonitorStore = { ...createMemoryStore(), ingestObservations: () => Promise.reject(new Error('disk full')) }
    const { post } = world(failing)
    const body = batchBody(twoObservations())
    await expectRefused(await post(body, await signedHeaders(body, { nowMs: NOW })), 503, /cannot store the batch now: send it again later/)
  })
})

describe('the ingest API over HTTP with a SQLite store', () => {
  it('stores a batch delivered twice at the same time (two signed requests) once', async () => {
    const store = createSqliteStore({ path: join(dir, 'double.sqlite') })
    const served = await serveOnLoopback(monitorApp(store))
    try {
      const now = Date.now()
      const batch = Array.from({ length: 120 }, (_, i) => pushed(now - 60_000 + i, { transport: i % 2 === 0 ? 'udp' : 'tcp' }))
      const body = batchBody(batch)
      const send = async () => (await fetch(`${served.url}${INGEST_PATH}`, { method: 'POST', body, headers: await signedHeaders(body) })).json()
      const answers = (await Promise.all([send(), send(), send()])) as { stored: number; duplicates: number }[]
      expect(answers.reduce((sum, answer) => sum + answer.stored, 0)).toBe(120)
      expect(answers.reduce((sum, answer) => sum + answer.duplicates, 0)).toBe(240)
      const rows = await store.ingestedObservations({ vantage: VANTAGE, since: 0, until: now + 1 })
      expect(rows.map((row) => row.observation)).toEqual(batch)
    } finally {
      await served.stop()
      await store.close()
    }
  })
})
