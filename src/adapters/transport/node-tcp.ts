import net from 'node:net'
import { performance } from 'node:perf_hooks'
import { frameMessage } from '../../core/dns/framing.ts'
import { createReplyTally } from '../../core/reply-tally.ts'
import { createStreamReplies } from '../../core/stream-replies.ts'
import type { DnsTransport, Exchange, ExchangeResult } from '../../ports/transport.ts'
import { networkErrorText } from './node-udp.ts'

export interface NodeTcpOptions {
  monotonicMs?: () => number
  /** Replies longer than this end the exchange as malformed instead of being buffered. */
  maxMessageBytes?: number
}

/**
 * DNS over TCP: one connection per query, RFC 1035 length framing. The connect time is reported
 * apart from the query round trip, which is timed on the open connection from write to answer.
 */
export function createNodeTcpTransport(options: NodeTcpOptions = {}): DnsTransport {
  const monotonicMs = options.monotonicMs ?? (() => performance.now())
  return { name: 'tcp', exchange: (exchange) => exchangeOverTcp(exchange, monotonicMs, options.maxMessageBytes) }
}

function exchangeOverTcp(exchange: Exchange, monotonicMs: () => number, maxMessageBytes?: number): Promise<ExchangeResult> {
  const { address, port, query, judge, signal } = exchange
  const tally = createReplyTally()
  const replies = createStreamReplies({ judge, tally, maxMessageBytes })
  const framedQuery = frameMessage(query)
  return new Promise((resolve) => {
    let settled = false
    let sentAt = 0
    let connectMs: number | null = null
    const startedAt = monotonicMs()
    const socket = new net.Socket()

    const finish = (result: ExchangeResult): void => {
      if (settled) return
      settled = true
      signal.removeEventListener('abort', onAbort)
      socket.removeAllListeners('data')
      socket.on('error', () => {})
      socket.destroy()
      resolve(result)
    }
    const noAnswer = (ending: 'timeout' | 'closed' | 'network-error', detail: string): void =>
      finish({ kind: 'no-answer', ...tally.noAnswer(ending, detail), connectMs, ignoredReplies: tally.ignored() })
    const onAbort = (): void =>
      noAnswer('timeout', connectMs === null ? 'connection not established before the deadline' : 'no answer before the deadline')

    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort)
    socket.on('error', (error: NodeJS.ErrnoException) => noAnswer('network-error', networkErrorText(error)))
    socket.on('close', () => noAnswer('closed', 'connection closed before an answer'))
    socket.on('data', (chunk: Buffer) => {
      const receivedAt = monotonicMs()
      const step = replies.push(chunk)
      if (step.kind === 'broken') return noAnswer('closed', 'stream framing broken')
      if (step.kind === 'answer') {
        finish({ kind: 'answer', answer: step.answer, rttMs: receivedAt - sentAt, connectMs, ignoredReplies: tally.ignored() })
      }
    })
    socket.connect({ host: address, port, noDelay: true }, () => {
      connectMs = monotonicMs() - startedAt
      sentAt = monotonicMs()
      socket.write(framedQuery)
    })
  })
}
