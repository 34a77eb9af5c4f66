// One HTTP POST of a JSON body, turned into a SinkResult. Uses the global fetch, which Node 20 and
// workerd both have. The URL can be the secret (Slack's webhook URL), so it never appears in a result.
import { parseRetryAfterMs } from '../../core/alerts/retry-policy.ts'
import type { SinkResult } from '../../ports/alert-sink.ts'

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

export const DEFAULT_SEND_TIMEOUT_MS = 10_000
/** Enough of an error body to say what was wrong, not enough to flood the outbox. */
export const RESPONSE_SNIPPET_CHARS = 300
const HTTP_REQUEST_TIMEOUT = 408
const HTTP_TOO_MANY_REQUESTS = 429

export interface PostJsonRequest {
  url: string
  body: string
  headers?: Record<string, string>
  timeoutMs: number
  /** The caller's cancellation (the outbox's lease); the request's own timeout is added to it. */
  signal: AbortSignal
  fetch: FetchLike
  nowMs: () => number
}

export async function postJson(request: PostJsonRequest): Promise<SinkResult> {
  const timeout = AbortSignal.timeout(request.timeoutMs)
  let response: Response
  try {
    response = await request.fetch(request.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'anycast-monitor', ...request.headers },
      body: request.body,
      // A redirect would carry a signed body or a routing key somewhere the config did not name.
      redirect: 'manual',
      signal: AbortSignal.any([request.signal, timeout]),
    })
  } catch (error) {
    return { kind: 'retryable', error: failureText(error, request, timeout), retryAfterMs: null }
  }
  const snippet = await bodySnippet(response)
  return classifyResponse(response, snippet, request.nowMs())
}

export function classifyResponse(response: Response, snippet: string, nowMs: number): SinkResult {
  const status = `HTTP ${response.status}${snippet === '' ? '' : `: ${snippet}`}`
  if (response.status >= 200 && response.status < 300) return { kind: 'delivered', detail: status }
  const retryable = response.status >= 500 || response.status === HTTP_TOO_MANY_REQUESTS || response.status === HTTP_REQUEST_TIMEOUT
  if (!retryable) return { kind: 'rejected', error: status }
  return { kind: 'retryable', error: status, retryAfterMs: parseRetryAfterMs(response.headers.get('Retry-After'), nowMs) }
}

async function bodySnippet(response: Response): Promise<string> {
  try {
    const text = await response.text()
    const oneLine = text.replace(/\s+/g, ' ').trim()
    return oneLine.length > RESPONSE_SNIPPET_CHARS ? `${oneLine.slice(0, RESPONSE_SNIPPET_CHARS)}…` : oneLine
  } catch {
    return '(body unreadable)'
  }
}

function failureText(error: unknown, request: PostJsonRequest, timeout: AbortSignal): string {
  if (timeout.aborted) return `no response within ${request.timeoutMs} ms`
  if (request.signal.aborted) return 'cancelled before a response arrived'
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : ''
  const message = error instanceof Error ? `${error.message}${cause}` : String(error)
  return `network error: ${message.split(request.url).join('<url>')}`
}
