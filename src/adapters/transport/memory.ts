import { createReplyTally } from '../../core/reply-tally.ts'
import type { TransportName } from '../../core/model.ts'
import type { DnsTransport, Exchange, ExchangeResult } from '../../ports/transport.ts'

/** What an in-memory responder does with a query: reply (possibly several times), refuse, or stay silent. */
export type MemoryReply =
  | { kind: 'replies'; replies: Uint8Array[]; rttMs: number }
  | { kind: 'network-error'; error: string }
  | { kind: 'silence' }

export type MemoryResponder = (query: Uint8Array, to: { address: string; port: number }) => MemoryReply

/**
 * The reference transport: no sockets, no timers. Replies are judged exactly as the real transports
 * judge them, so the probe's logic can be pinned down without a network.
 */
export function createMemoryTransport(name: TransportName, responder: MemoryResponder): DnsTransport {
  return { name, exchange: async (exchange) => exchangeInMemory(exchange, responder, name) }
}

function exchangeInMemory(exchange: Exchange, responder: MemoryResponder, name: TransportName): ExchangeResult {
  const tally = createReplyTally()
  const connectMs = name === 'tcp' ? 0 : null
  const response = responder(exchange.query, { address: exchange.address, port: exchange.port })
  if (response.kind === 'network-error') {
    return { kind: 'no-answer', ...tally.noAnswer('network-error', response.error), connectMs, ignoredReplies: 0 }
  }
  if (response.kind === 'replies') {
    for (const reply of response.replies) {
      const verdict = exchange.judge(reply)
      if (verdict.accepted) return { kind: 'answer', answer: verdict.answer, rttMs: response.rttMs, connectMs, ignoredReplies: tally.ignored() }
      tally.ignore(verdict.reason, verdict.detail)
    }
  }
  return { kind: 'no-answer', ...tally.noAnswer('timeout', 'no answer before the deadline'), connectMs, ignoredReplies: tally.ignored() }
}
