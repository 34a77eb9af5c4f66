import type { BuiltQuery } from './dns/query.ts'
import type { DnsAnswer } from './dns/decode.ts'
import type { Identity, Observation, Outcome, TransportName } from './model.ts'
import type { NoAnswerOutcome } from './reply-tally.ts'

/** What the primary (IN) query of a probe came to; query is null when it could not even be sent. */
export interface QueryResult {
  query: BuiltQuery | null
  result:
    | { kind: 'answer'; answer: DnsAnswer; rttMs: number; connectMs: number | null; ignoredReplies: number }
    | { kind: 'no-answer'; outcome: NoAnswerOutcome; error: string; connectMs: number | null; ignoredReplies: number }
}

export interface ObservationContext {
  vantage: string
  target: string
  address: string
  port: number
  qname: string
  transport: TransportName
  siteOf?: (identity: Identity | null) => string
}

const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 6: 'YXDOMAIN',
  7: 'YXRRSET', 8: 'NXRRSET', 9: 'NOTAUTH', 10: 'NOTZONE', 16: 'BADVERS', 23: 'BADCOOKIE',
}

export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`
}

export function outcomeOfRcode(rcode: number): Outcome {
  if (rcode === 0) return 'ok'
  if (rcode === 2) return 'servfail'
  if (rcode === 5) return 'refused'
  return 'rcode-error'
}

export function observationFrom(
  context: ObservationContext,
  observedAt: number,
  primary: QueryResult,
  identity: Identity | null,
  retriedOverTcp: boolean,
): Observation {
  const { result } = primary
  const answered = result.kind === 'answer'
  const rcode = answered ? result.answer.rcode : null
  const outcome = answered ? outcomeOfRcode(result.answer.rcode) : result.outcome
  const error = answered ? (outcome === 'ok' ? null : `answered with RCODE ${rcodeName(result.answer.rcode)}`) : result.error
  const observation: Observation = {
    observedAt,
    vantage: context.vantage,
    target: context.target,
    address: context.address,
    port: context.port,
    qname: context.qname,
    transport: context.transport,
    outcome,
    rcode,
    rttMs: answered ? result.rttMs : null,
    connectMs: result.connectMs,
    identity,
    retriedOverTcp,
    ignoredReplies: result.ignoredReplies,
    error,
  }
  if (context.siteOf) observation.site = context.siteOf(identity)
  return observation
}
