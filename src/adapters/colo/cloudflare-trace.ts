/** The slice of fetch the lookup uses (a fake in tests). */
export type TraceFetch = (url: string, init: { signal: AbortSignal }) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>

export interface TraceColoOptions {
  /** Global fetch unless given. */
  fetch?: TraceFetch
  url?: string
  timeoutMs?: number
}

/** Served by every Cloudflare colo; a `colo=FRA` line names the one that answered. */
export const CLOUDFLARE_TRACE_URL = 'https://www.cloudflare.com/cdn-cgi/trace'
/** How long one lookup may take; a failed lookup is asked again in the next invocation. */
export const COLO_LOOKUP_TIMEOUT_MS = 2_000
const COLO_LINE = /^colo=([A-Z]{3,4})$/m

/**
 * Where a Worker or Durable Object runs. The runtime does not say (an RPC call has no request.cf), so
 * this asks Cloudflare's trace endpoint, whose answer comes from the colo that handled the subrequest,
 * i.e. the one the code runs in. It costs one subrequest and one connection slot, so the first answer is
 * kept for the life of the lookup (a Durable Object does not move while it lives); a failure is null,
 * never a guess, and is asked again next time.
 */
export function createTraceColoLookup(options: TraceColoOptions = {}): () => Promise<string | null> {
  const fetchTrace: TraceFetch = options.fetch ?? ((url, init) => fetch(url, init))
  const url = options.url ?? CLOUDFLARE_TRACE_URL
  const timeoutMs = options.timeoutMs ?? COLO_LOOKUP_TIMEOUT_MS
  let known: string | null = null
  return async () => {
    known ??= await lookUp(fetchTrace, url, timeoutMs)
    return known
  }
}

async function lookUp(fetchTrace: TraceFetch, url: string, timeoutMs: number): Promise<string | null> {
  try {
    const response = await fetchTrace(url, { signal: AbortSignal.timeout(timeoutMs) })
    const body = await response.text() // read even on failure: an unread body keeps its connection open
    if (!response.ok) return null
    return COLO_LINE.exec(body)?.[1] ?? null
  } catch {
    return null
  }
}
