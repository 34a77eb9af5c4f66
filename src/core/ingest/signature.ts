// How a remote vantage signs a push to the ingest API (POST /api/v1/ingest), and how the monitor checks it.
//
// Headers of every push:
//   X-Anycast-Monitor-Vantage    the vantage id: selects the key (the body must name the same vantage)
//   X-Anycast-Monitor-Timestamp  Unix seconds when the request was signed
//   X-Anycast-Monitor-Nonce      16-128 characters [A-Za-z0-9_-], fresh for every request (retries included)
//   X-Anycast-Monitor-Signature  "v1=" + lowercase hex HMAC-SHA256
// The HMAC key is the UTF-8 bytes of the vantage's key (the env var the config's `keyEnv` names, trimmed:
// both sides read it from an env var, where a stray newline is common). The signed content is the UTF-8
// bytes of `${timestamp}.${nonce}.` followed by the body exactly as sent, byte for byte.
// The monitor accepts a timestamp within ±300 s of its clock and remembers each nonce until the timestamp
// leaves that window, so a captured request cannot be sent again, neither now (nonce) nor later (timestamp).
// Node: 'v1=' + createHmac('sha256', key).update(`${ts}.${nonce}.`).update(body).digest('hex')
//
// WebCrypto (global in Node 20, workerd and Lambda) does the HMAC (../hmac.ts): a pure computation, and
// crypto.subtle.verify compares in constant time.
import { hmacSha256Hex, importHmacSha256Key, verifyHmacSha256Hex } from '../hmac.ts'

export const INGEST_PATH = '/api/v1/ingest'
export const INGEST_VANTAGE_HEADER = 'X-Anycast-Monitor-Vantage'
export const INGEST_TIMESTAMP_HEADER = 'X-Anycast-Monitor-Timestamp'
export const INGEST_NONCE_HEADER = 'X-Anycast-Monitor-Nonce'
export const INGEST_SIGNATURE_HEADER = 'X-Anycast-Monitor-Signature'
export const INGEST_SIGNATURE_SCHEME = 'v1'
/** How far a request's timestamp may be from the monitor's clock, either way. */
export const INGEST_TIMESTAMP_TOLERANCE_SECONDS = 300

const MS_PER_SECOND = 1000
const TIMESTAMP_REGEX = /^\d{1,12}$/
const NONCE_REGEX = /^[A-Za-z0-9_-]{16,128}$/
const SIGNATURE_REGEX = /^v1=([0-9a-f]{64})$/

/** Unix seconds, as the timestamp header carries them. */
export function ingestTimestamp(nowMs: number): string {
  return String(Math.floor(nowMs / MS_PER_SECOND))
}

/** The exact bytes the HMAC covers. */
export function ingestSignedContent(timestamp: string, nonce: string, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const prefix = new TextEncoder().encode(`${timestamp}.${nonce}.`)
  const content = new Uint8Array(prefix.byteLength + body.byteLength)
  content.set(prefix, 0)
  content.set(body, prefix.byteLength)
  return content
}

/** The signature header's value for `body` signed at `timestamp` with `nonce`. */
export async function signIngest(key: string, timestamp: string, nonce: string, body: Uint8Array): Promise<string> {
  const hex = await hmacSha256Hex(await importHmacSha256Key(key, 'sign'), ingestSignedContent(timestamp, nonce, body))
  return `${INGEST_SIGNATURE_SCHEME}=${hex}`
}

/** True when `signature` (the header's value) is the key's signature of this content; compared in constant time. */
export async function verifyIngestSignature(key: string, timestamp: string, nonce: string, body: Uint8Array, signature: string): Promise<boolean> {
  const hex = SIGNATURE_REGEX.exec(signature)?.[1]
  if (hex === undefined) return false
  return verifyHmacSha256Hex(await importHmacSha256Key(key, 'verify'), ingestSignedContent(timestamp, nonce, body), hex)
}

/** Why the signature header cannot be a v1 signature, or null when its form is right. */
export function signatureFormProblem(signature: string): string | null {
  return SIGNATURE_REGEX.test(signature) ? null : `${INGEST_SIGNATURE_HEADER} must be "v1=" and 64 lowercase hex digits`
}

export function nonceProblem(nonce: string): string | null {
  return NONCE_REGEX.test(nonce) ? null : `${INGEST_NONCE_HEADER} must be 16 to 128 characters of A-Z, a-z, 0-9, "_" and "-"`
}

/** Why the timestamp is not acceptable at `nowMs` (malformed, or outside the window), or null. */
export function timestampProblem(timestamp: string, nowMs: number): string | null {
  if (!TIMESTAMP_REGEX.test(timestamp)) return `${INGEST_TIMESTAMP_HEADER} must be Unix seconds`
  const skewSeconds = Number(timestamp) - nowMs / MS_PER_SECOND
  if (Math.abs(skewSeconds) <= INGEST_TIMESTAMP_TOLERANCE_SECONDS) return null
  const direction = skewSeconds < 0 ? 'behind' : 'ahead of'
  return `${INGEST_TIMESTAMP_HEADER} is ${Math.round(Math.abs(skewSeconds))} s ${direction} the monitor's clock; at most ${INGEST_TIMESTAMP_TOLERANCE_SECONDS} s is accepted (expired, replayed, or a clock to fix)`
}

/** Until when (epoch ms) a nonce must be remembered: after that its timestamp is refused anyway. */
export function nonceExpiresAtMs(timestamp: string): number {
  return (Number(timestamp) + INGEST_TIMESTAMP_TOLERANCE_SECONDS) * MS_PER_SECOND
}
