import { connect as socketsConnect } from 'cloudflare:sockets'
import { frameMessage } from '../../core/dns/framing.ts'
import { createReplyTally, type NoAnswerEnding } from '../../core/reply-tally.ts'
import { createStreamReplies } from '../../core/stream-replies.ts'
import type { DnsTransport, Exchange, ExchangeResult } from '../../ports/transport.ts'

// Derived from `connect` so this file typechecks against both the local ambient declaration
// (Node program) and @cloudflare/workers-types (workers program).
type Connect = typeof socketsConnect
type Socket = ReturnType<Connect>

export interface WorkersTcpOptions {
  /** `connect` from cloudflare:sockets unless given (tests pass a fake or a wrapper). */
  connect?: Connect
  /** performance.now() unless given. */
  monotonicMs?: () => number
  /** Replies longer than this end the exchange as malformed instead of being buffered. */
  maxMessageBytes?: number
}

const NOT_CONNECTED = 'connection not established before the deadline'
const NO_ANSWER = 'no answer before the deadline'

/**
 * DNS over TCP from a Worker through `connect()` (cloudflare:sockets), with the same contract as
 * node-tcp: one connection per query, RFC 1035 length framing, replies that do not answer the query
 * ignored and counted, one AbortSignal deadline, failures returned as results, never a rejection.
 *
 * What the numbers mean: in production a Worker's clock (performance.now() and Date.now() are the
 * same clock there) is frozen while JavaScript runs and only moves when I/O completes, in whole ms.
 * connectMs spans from just before connect() to the delivery of `opened`; rttMs from just before the
 * write to the delivery of the chunk that completed the answer. Both are integer ms, include
 * Cloudflare's egress proxy and isolate scheduling, and are not comparable to node-tcp's sub-ms
 * figures. Local workerd (wrangler dev, vitest pool) does not freeze the clock.
 */
export function createWorkersTcpTransport(options: WorkersTcpOptions = {}): DnsTransport {
  const settings: Settings = {
    connect: options.connect ?? socketsConnect,
    monotonicMs: options.monotonicMs ?? (() => performance.now()),
    maxMessageBytes: options.maxMessageBytes,
  }
  return { name: 'tcp', exchange: (exchange) => exchangeOverTcp(exchange, settings) }
}

interface Settings {
  connect: Connect
  monotonicMs: () => number
  maxMessageBytes: number | undefined
}

async function exchangeOverTcp(exchange: Exchange, settings: Settings): Promise<ExchangeResult> {
  const { address, port, query, judge, signal } = exchange
  const { monotonicMs, maxMessageBytes } = settings
  const tally = createReplyTally()
  const replies = createStreamReplies({ judge, tally, maxMessageBytes })
  const framedQuery = frameMessage(query)
  let connectMs: number | null = null
  const noAnswer = (ending: NoAnswerEnding, detail: string): ExchangeResult => ({
    kind: 'no-answer',
    ...tally.noAnswer(ending, detail),
    connectMs,
    ignoredReplies: tally.ignored(),
  })

  if (signal.aborted) return noAnswer('timeout', NOT_CONNECTED)
  const startedAt = monotonicMs()
  let socket: Socket
  try {
    // Half-open so that the close() below is the only way the socket closes: with the default, workerd
    // closes it on the peer's EOF and a later close() makes `closed` reject (with undefined).
    socket = settings.connect({ hostname: socketHostname(address), port }, { allowHalfOpen: true })
  } catch (error) {
    return noAnswer('network-error', errorText(error))
  }
  // Observed so that a failed connection never becomes an unhandled rejection.
  socket.closed.catch(ignore)

  // Whatever ends the wait early (the deadline, a failed write) is recorded here and wakes the one
  // await in progress: the connect wait directly, a pending read by cancelling the reader, which
  // settles that read (workerd rejects it with "Stream was cancelled"; the spec resolves it as done).
  // So no read is ever left pending once a result is returned.
  let halted: { ending: NoAnswerEnding; detail: string } | null = null
  let wakeConnectWait = ignore
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null
  let writer: WritableStreamDefaultWriter<Uint8Array> | null = null
  const halt = (ending: NoAnswerEnding, detail: string): void => {
    if (halted) return
    halted = { ending, detail }
    wakeConnectWait()
    reader?.cancel().catch(ignore)
  }
  // A function, not a narrowed local: `halted` changes behind the awaits.
  const haltedResult = (): ExchangeResult | null => (halted ? noAnswer(halted.ending, halted.detail) : null)
  const onAbort = (): void => halt('timeout', connectMs === null ? NOT_CONNECTED : NO_ANSWER)
  signal.addEventListener('abort', onAbort)

  try {
    const openError = await Promise.race([
      socket.opened.then(() => null, (error: unknown) => errorText(error)),
      new Promise<null>((resolve) => {
        wakeConnectWait = () => resolve(null)
      }),
    ])
    const haltedWhileConnecting = haltedResult()
    if (haltedWhileConnecting) return haltedWhileConnecting
    if (openError !== null) return noAnswer('network-error', openError)
    connectMs = monotonicMs() - startedAt

    const openWriter: WritableStreamDefaultWriter<Uint8Array> = socket.writable.getWriter()
    const openReader: ReadableStreamDefaultReader<Uint8Array> = socket.readable.getReader()
    writer = openWriter
    reader = openReader
    const sentAt = monotonicMs()
    openWriter.write(framedQuery).catch((error: unknown) => halt('network-error', errorText(error)))
    for (;;) {
      let chunk: Awaited<ReturnType<typeof openReader.read>>
      try {
        chunk = await openReader.read()
      } catch (error) {
        return haltedResult() ?? noAnswer('network-error', errorText(error))
      }
      const receivedAt = monotonicMs()
      const haltedDuringRead = haltedResult()
      if (haltedDuringRead) return haltedDuringRead
      if (chunk.done) return noAnswer('closed', 'connection closed before an answer')
      const step = replies.push(chunk.value)
      if (step.kind === 'broken') return noAnswer('closed', 'stream framing broken')
      if (step.kind === 'answer') {
        return { kind: 'answer', answer: step.answer, rttMs: receivedAt - sentAt, connectMs, ignoredReplies: tally.ignored() }
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
    release(reader, writer)
    // Awaited: a Worker has 6 connection slots per invocation, and this one is only free once the socket
    // is closed, so the next probe's connect() must not start before.
    await socket.close().catch(ignore)
  }
}

function release(
  reader: { releaseLock(): void } | null,
  writer: { releaseLock(): void } | null,
): void {
  // No read is pending here; a write may be, and releasing the writer leaves it to finish or fail quietly.
  for (const holder of [reader, writer]) {
    try {
      holder?.releaseLock()
    } catch {
      // already released
    }
  }
}

/** connect() refuses a bare IPv6 literal ('::1' cannot connect, '[::1]' does). */
export function socketHostname(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function ignore(): void {}
