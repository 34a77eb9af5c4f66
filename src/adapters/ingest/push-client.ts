// Sends batch bodies to a monitor's ingest API (POST /api/v1/ingest), signed as one vantage (the scheme is in
// core/ingest/signature.ts). Every attempt is signed afresh, with a new timestamp and nonce: a batch kept for
// an hour is still inside the monitor's window, and a retry is never taken for a replay. The answer becomes a
// PushResult the sender acts on; nothing the network or the monitor does makes push() throw.
import { INGEST_PATH, INGEST_NONCE_HEADER, INGEST_SIGNATURE_HEADER, INGEST_TIMESTAMP_HEADER, INGEST_VANTAGE_HEADER, ingestTimestamp, signIngest } from '../../core/ingest/signature.ts'
import type { IngestPusher, PushResult } from '../../ports/ingest.ts'

const DEFAULT_TIMEOUT_MS = 15_000
const NONCE_BYTES = 16
const ERROR_TEXT_CHARS = 500
const MS_PER_SECOND = 1000
/** Statuses worth sending the same batch again for, besides 5xx: the request timed out, or too many requests. */
const RETRYABLE_4XX = [408, 429]

export interface IngestPusherOptions {
  /** The monitor's base URL (https://monitor.example) or the ingest endpoint itself. */
  url: string
  vantage: string
  /** The vantage's ingest key, as resolved by core/ingest/keys.ts (trimmed). */
  key: string
  timeoutMs?: number
  fetch?: typeof fetch
  nowMs?: () => number
}

export function createIngestPusher(options: IngestPusherOptions): IngestPusher {
  const url = ingestUrlOf(options.url)
  const send = options.fetch ?? fetch
  const nowMs = options.nowMs ?? (() => Date.now())
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  return {
    push: async (body, signal) => {
      const bytes = new TextEncoder().encode(body)
      const headers = await signedHeaders(options, bytes, nowMs())
      const timeout = AbortSignal.timeout(timeoutMs)
      try {
        const response = await send(url, { method: 'POST', headers, body: bytes, signal: signal ? AbortSignal.any([signal, timeout]) : timeout })
        return await resultOf(response)
      } catch (error) {
        const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : errorText(error)
        return { kind: 'retry', status: null, error: `cannot reach ${url}: ${reason}`, retryAfterMs: null }
      }
    },
  }
}

/** The ingest endpoint: a base URL gets /api/v1/ingest appended; an URL already ending with it is kept. */
export function ingestUrlOf(url: string): string {
  const parsed = new URL(url)
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`ingest: ${url} is not an http(s) URL`)
  if (!parsed.pathname.endsWith(INGEST_PATH)) parsed.pathname = `${parsed.pathname.replace(/\/+$/, '')}${INGEST_PATH}`
  return parsed.toString()
}

async function signedHeaders(options: IngestPusherOptions, body: Uint8Array, nowMs: number): Promise<Record<string, string>> {
  const timestamp = ingestTimestamp(nowMs)
  const nonce = randomNonce()
  return {
    'Content-Type': 'application/json',
    [INGEST_VANTAGE_HEADER]: options.vantage,
    [INGEST_TIMESTAMP_HEADER]: timestamp,
    [INGEST_NONCE_HEADER]: nonce,
    [INGEST_SIGNATURE_HEADER]: await signIngest(options.key, timestamp, nonce, body),
  }
}

function randomNonce(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(NONCE_BYTES)), (byte) => byte.toString(16).padStart(2, '0')).join('')
}

async function resultOf(response: Response): Promise<PushResult> {
  const text = await response.text()
  if (response.ok) {
    const counts = acceptedCounts(text)
    return { kind: 'accepted', status: response.status, ...counts }
  }
  const error = `HTTP ${response.status}: ${errorOf(text)}`
  if (response.status >= 500 || RETRYABLE_4XX.includes(response.status)) {
    return { kind: 'retry', status: response.status, error, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) }
  }
  return { kind: 'rejected', status: response.status, error }
}

function acceptedCounts(text: string): { stored: number; duplicates: number } {
  const json = parseJson(text) as { stored?: unknown; duplicates?: unknown } | null
  const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0)
  return { stored: count(json?.stored), duplicates: count(json?.duplicates) }
}

/** The monitor's `error` (and problems) when it sent JSON, else the start of the body. */
function errorOf(text: string): string {
  const json = parseJson(text) as { error?: unknown; problems?: unknown } | null
  if (typeof json?.error !== 'string') return text.slice(0, ERROR_TEXT_CHARS)
  const problems = Array.isArray(json.problems) ? `: ${json.problems.join('; ')}` : ''
  return `${json.error}${problems}`.slice(0, ERROR_TEXT_CHARS)
}

/** Retry-After in seconds (its date form is rare from an API, and ignored). */
function retryAfterMs(header: string | null): number | null {
  return header !== null && /^\d+$/.test(header.trim()) ? Number(header.trim()) * MS_PER_SECOND : null
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : ''
  return `${error.message}${cause}`
}
