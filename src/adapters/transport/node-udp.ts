import dgram from 'node:dgram'
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import { createReplyTally } from '../../core/reply-tally.ts'
import type { DnsTransport, Exchange, ExchangeResult } from '../../ports/transport.ts'

export interface NodeUdpOptions {
  /** Monotonic ms; performance.now() by default (fractional, sub-µs resolution). */
  monotonicMs?: () => number
}

/**
 * DNS over UDP with a fresh socket per query. The socket is connected to the target, so the kernel
 * drops datagrams from other sources and reports ICMP port unreachable as ECONNREFUSED. Datagrams
 * from the target that do not answer our query are ignored and counted: a spoofed or stray reply
 * cannot end the probe, only the deadline or the real answer can.
 */
export function createNodeUdpTransport(options: NodeUdpOptions = {}): DnsTransport {
  const monotonicMs = options.monotonicMs ?? (() => performance.now())
  return { name: 'udp', exchange: (exchange) => exchangeOverUdp(exchange, monotonicMs) }
}

function exchangeOverUdp(exchange: Exchange, monotonicMs: () => number): Promise<ExchangeResult> {
  const { address, port, query, judge, signal } = exchange
  const tally = createReplyTally()
  return new Promise((resolve) => {
    let settled = false
    let sentAt = 0
    let remote: { address: string; port: number } | null = null
    const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4')

    const finish = (result: ExchangeResult): void => {
      if (settled) return
      settled = true
      signal.removeEventListener('abort', onAbort)
      socket.removeAllListeners('message')
      socket.on('error', () => {}) // errors after the end (late ICMP) must not crash the process
      try {
        socket.close()
      } catch {
        // already closed
      }
      resolve(result)
    }
    const noAnswer = (ending: 'timeout' | 'network-error', detail: string): void =>
      finish({ kind: 'no-answer', ...tally.noAnswer(ending, detail), connectMs: null, ignoredReplies: tally.ignored() })
    const onAbort = (): void => noAnswer('timeout', 'no answer before the deadline')

    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort)
    socket.on('error', (error: NodeJS.ErrnoException) => noAnswer('network-error', networkErrorText(error)))
    socket.on('message', (reply, from) => {
      const receivedAt = monotonicMs()
      if (!remote || from.address !== remote.address || from.port !== remote.port) {
        return tally.ignore('stray', `datagram from ${from.address}:${from.port}`)
      }
      const verdict = judge(reply)
      if (!verdict.accepted) return tally.ignore(verdict.reason, verdict.detail)
      finish({ kind: 'answer', answer: verdict.answer, rttMs: receivedAt - sentAt, connectMs: null, ignoredReplies: tally.ignored() })
    })
    try {
      socket.connect(port, address, () => {
        if (settled) return
        remote = socket.remoteAddress()
        sentAt = monotonicMs()
        socket.send(query)
      })
    } catch (error) {
      noAnswer('network-error', networkErrorText(error as NodeJS.ErrnoException))
    }
  })
}

export function networkErrorText(error: NodeJS.ErrnoException): string {
  return error.code ? `${error.code}: ${error.message}` : error.message
}
