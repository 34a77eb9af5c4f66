import type { DnsAnswer, Verdict } from '../core/dns/decode.ts'
import type { TransportName } from '../core/model.ts'
import type { NoAnswerOutcome } from '../core/reply-tally.ts'

export interface Exchange {
  address: string
  port: number
  /** The encoded DNS query (without TCP length prefix: framing is the transport's business). */
  query: Uint8Array
  /** Decides whether a reply answers this query; replies it rejects are ignored and counted. */
  judge: (reply: Uint8Array) => Verdict
  /** The one deadline: when it fires the exchange ends with what it has. */
  signal: AbortSignal
}


export type ExchangeResult =
  | { kind: 'answer'; answer: DnsAnswer; rttMs: number; connectMs: number | null; ignoredReplies: number }
  | { kind: 'no-answer'; outcome: NoAnswerOutcome; error: string; connectMs: number | null; ignoredReplies: number }

/** Sends one DNS query and waits for the reply that answers it. Never rejects: failures are results. */
export interface DnsTransport {
  readonly name: TransportName
  exchange(exchange: Exchange): Promise<ExchangeResult>
}
