// POST /api/v1/ingest: a remote vantage (the agent, the Lambda probe) pushes a batch of its observations.
// Served by the same hono app on Node and on the Worker. The request is checked cheapest first, and the
// body is parsed only once it is known to come, unchanged and for the first time, from the vantage:
//   1. the four signing headers are there (401)         5. the HMAC over timestamp, nonce and body (401)
//   2. the vantage is a remote vantage with a key (401)  6. the nonce was not used before (409, replay)
//   3. the timestamp is within ±300 s (401)              7. the body is a batch (zod; 400)
//   4. the body is at most 1 MiB (413, before reading     8. its vantage, targets, addresses and times fit
//      a declared larger one; a stream is cut there)        the config (422)
// Then every observation is stored once per natural key (a batch sent twice, even at the same time, adds
// nothing) and the answer says how many were new. A store failure is a 503: the sender tries again later,
// with a new nonce, and the natural key makes that safe. Answers never contain a key.
import { Hono } from 'hono'
import { formatConfigPath, type Config } from '../core/config.ts'
import { INGEST_MAX_BODY_BYTES, IngestBatchSchema, batchProblems, type IngestBatch } from '../core/ingest/batch.ts'
import {
  INGEST_NONCE_HEADER, INGEST_PATH, INGEST_SIGNATURE_HEADER, INGEST_TIMESTAMP_HEADER, INGEST_VANTAGE_HEADER,
  nonceExpiresAtMs, nonceProblem, signatureFormProblem, timestampProblem, verifyIngestSignature,
} from '../core/ingest/signature.ts'
import type { MonitorStore } from '../ports/store.ts'

const MAX_SCHEMA_PROBLEMS = 10

export interface IngestApiDeps {
  config: Config
  store: MonitorStore
  nowMs: () => number
  /** Each remote vantage's HMAC key by vantage id, read from the environment at startup. */
  ingestKeys: ReadonlyMap<string, string>
  /** Told of a store failure (answered 503), for the log; the sender only learns to retry. */
  onStoreError?: (error: unknown) => void
}

type Status = 200 | 400 | 401 | 409 | 413 | 422 | 503
interface Answer {
  status: Status
  body: Record<string, unknown>
}

interface SignedRequest {
  vantage: string
  timestamp: string
  nonce: string
  signature: string
}

export function createIngestApi(deps: IngestApiDeps): Hono {
  const app = new Hono()
  app.post(INGEST_PATH, async (c) => {
    const answer = await ingest(deps, c.req.raw)
    return c.json(answer.body, answer.status)
  })
  return app
}

async function ingest(deps: IngestApiDeps, request: Request): Promise<Answer> {
  const signed = signedRequestOf(request.headers)
  if ('status' in signed) return signed
  const key = deps.ingestKeys.get(signed.vantage)
  if (key === undefined) return refuse(401, `no remote vantage "${signed.vantage}" on this monitor`)
  const now = deps.nowMs()
  const lateness = timestampProblem(signed.timestamp, now)
  if (lateness !== null) return refuse(401, lateness)
  const body = await readBodyWithin(request, INGEST_MAX_BODY_BYTES)
  if (!body.ok) return refuse(413, `the batch is ${body.bytesRead} bytes or more; at most ${INGEST_MAX_BODY_BYTES} bytes are accepted: send smaller batches`)
  if (!(await verifyIngestSignature(key, signed.timestamp, signed.nonce, body.bytes, signed.signature))) {
    return refuse(401, `${INGEST_SIGNATURE_HEADER} does not match: another key, or a body changed on the way`)
  }
  return storeOnce(deps, signed, body.bytes, now)
}

async function storeOnce(deps: IngestApiDeps, signed: SignedRequest, bytes: Uint8Array, now: number): Promise<Answer> {
  const fresh = await attempt(deps, () => deps.store.rememberNonce(signed.vantage, signed.nonce, now, nonceExpiresAtMs(signed.timestamp)))
  if (fresh === undefined) return storeFailed()
  if (!fresh) return refuse(409, `${INGEST_NONCE_HEADER} was used before: a replayed request`)
  const batch = parseBatch(bytes)
  if ('status' in batch) return batch
  const context = { vantage: signed.vantage, targets: deps.config.targets, nowMs: now, observationsDays: deps.config.store.observationsDays }
  const problems = batchProblems(batch, context)
  if (problems.length > 0) return refuse(422, 'the batch does not fit this monitor\'s config', problems)
  const result = await attempt(deps, () => deps.store.ingestObservations(batch.observations, now))
  if (result === undefined) return storeFailed()
  const accepted = batch.observations.length
  return { status: 200, body: { vantage: batch.vantage, batchId: batch.batchId, accepted, stored: result.stored, duplicates: accepted - result.stored } }
}

function signedRequestOf(headers: Headers): SignedRequest | Answer {
  const read = (name: string) => headers.get(name)?.trim() ?? ''
  const signed = {
    vantage: read(INGEST_VANTAGE_HEADER),
    timestamp: read(INGEST_TIMESTAMP_HEADER),
    nonce: read(INGEST_NONCE_HEADER),
    signature: read(INGEST_SIGNATURE_HEADER),
  }
  const missing = [
    [INGEST_VANTAGE_HEADER, signed.vantage], [INGEST_TIMESTAMP_HEADER, signed.timestamp],
    [INGEST_NONCE_HEADER, signed.nonce], [INGEST_SIGNATURE_HEADER, signed.signature],
  ].flatMap(([name, value]) => (value === '' ? [name] : []))
  if (missing.length > 0) return refuse(401, `unsigned: missing ${missing.join(', ')} (see docs/ingest.md)`)
  const malformed = nonceProblem(signed.nonce) ?? signatureFormProblem(signed.signature)
  return malformed === null ? signed : refuse(401, malformed)
}

type BodyRead = { ok: true; bytes: Uint8Array } | { ok: false; bytesRead: number }

/** The body, unless it is larger than maxBytes: a declared length is trusted to refuse early, a stream is cut at the limit. */
async function readBodyWithin(request: Request, maxBytes: number): Promise<BodyRead> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (declared > maxBytes) return { ok: false, bytesRead: declared }
  if (request.body === null) return { ok: true, bytes: new Uint8Array(0) }
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel()
      return { ok: false, bytesRead: total }
    }
    chunks.push(value)
  }
  return { ok: true, bytes: concatenate(chunks, total) }
}

function concatenate(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

function parseBatch(bytes: Uint8Array): IngestBatch | Answer {
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes))
  } catch (error) {
    return refuse(400, `the body is not UTF-8 JSON: ${error instanceof Error ? error.message : String(error)}`)
  }
  const parsed = IngestBatchSchema.safeParse(json)
  if (parsed.success) return parsed.data
  const problems = parsed.error.issues.slice(0, MAX_SCHEMA_PROBLEMS).map((issue) => `${formatConfigPath(issue.path) || '(root)'}: ${issue.message}`)
  return refuse(400, 'malformed batch', problems)
}

/** The store call's result, or undefined when it failed: the caller answers 503 and the sender retries. */
async function attempt<T>(deps: IngestApiDeps, operation: () => Promise<T>): Promise<T | undefined> {
  try {
    return await operation()
  } catch (error) {
    deps.onStoreError?.(error)
    return undefined
  }
}

function storeFailed(): Answer {
  return refuse(503, 'the monitor cannot store the batch now: send it again later')
}

function refuse(status: Exclude<Status, 200>, error: string, problems?: string[]): Answer {
  return { status, body: problems === undefined ? { error } : { error, problems } }
}
