// The shared vocabulary of the monitor. Plain data only: every runtime (Node, workerd, Lambda)
// produces and consumes these shapes.

export type TransportName = 'udp' | 'tcp'

/** Where an identity string came from, in the order the probe tries them. */
export type IdentitySource = 'nsid' | 'hostname.bind' | 'id.server'

export interface Identity {
  source: IdentitySource
  /** The raw bytes as lowercase hex: the only lossless form of an NSID. */
  hex: string
  /** The bytes as text, only when every byte is printable ASCII; null otherwise. */
  text: string | null
}

/**
 * What one query from one vantage to one target ended with.
 * - ok: a well-formed answer to our question with RCODE NOERROR
 * - refused / servfail / rcode-error: a well-formed answer with another RCODE
 * - timeout: nothing usable arrived before the deadline
 * - malformed: the only replies were not decodable DNS messages
 * - mismatch: the only replies were DNS messages that did not answer our question (id, question, QR)
 * - network-error: the network said no (ICMP unreachable, connection refused or reset)
 */
export type Outcome =
  | 'ok'
  | 'refused'
  | 'servfail'
  | 'rcode-error'
  | 'timeout'
  | 'malformed'
  | 'mismatch'
  | 'network-error'

export interface Observation {
  /** Epoch ms at which the probe started. */
  observedAt: number
  vantage: string
  /** The monitored service: its target id in the monitor, the address itself for a one-off probe. */
  target: string
  /** The address queried (a VIP of the target). */
  address: string
  port: number
  qname: string
  /** The transport asked for. A truncated UDP answer retried over TCP keeps 'udp' and sets retriedOverTcp. */
  transport: TransportName
  outcome: Outcome
  /** Full RCODE including the EDNS extended bits (BADVERS is 16); null when no answer was accepted. */
  rcode: number | null
  /** Query round trip in ms (monotonic clock, fractional where the runtime allows); null without an answer. */
  rttMs: number | null
  /** TCP only: time to establish the connection, kept apart from the query round trip. */
  connectMs: number | null
  identity: Identity | null
  /** Site resolved from the identity through the target's site table; absent when no table was given. */
  site?: string
  /** The UDP answer had TC=1 and the answer used here came from a TCP retry. */
  retriedOverTcp: boolean
  /** Replies that were ignored because they did not match our query (stray, spoofed, malformed). */
  ignoredReplies: number
  /** Human-readable detail for every outcome other than ok. */
  error: string | null
}

export const ANSWERED_OUTCOMES: readonly Outcome[] = ['ok', 'refused', 'servfail', 'rcode-error']

export function isAnswered(outcome: Outcome): boolean {
  return ANSWERED_OUTCOMES.includes(outcome)
}
