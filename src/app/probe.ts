import { identityOf, judgeReply } from '../core/dns/decode.ts'
import { buildChaosQuery, buildIdentityQuery, CHAOS_IDENTITY_NAMES, transactionId, type BuiltQuery } from '../core/dns/query.ts'
import { observationFrom, type QueryResult } from '../core/observation.ts'
import type { Identity, Observation, TransportName } from '../core/model.ts'
import type { Clock } from '../ports/clock.ts'
import type { DnsTransport, ExchangeResult } from '../ports/transport.ts'

export interface ProbeDeps {
  transports: Partial<Record<TransportName, DnsTransport>>
  clock: Clock
  /** Uniform in [0, 1): transaction ids come from here. */
  random: () => number
}

export interface ProbeRequest {
  vantage: string
  /** What the observation is about (a target id); defaults to the address. */
  target?: string
  address: string
  port: number
  transport: TransportName
  qname: string
  qtype?: string
  timeoutMs: number
  udpPayloadBytes?: number
  /** Ask CHAOS hostname.bind, then id.server, when the answer carries no NSID (default true). */
  identityFallback?: boolean
  /** Maps an identity to a site of the target's site table. */
  siteOf?: (identity: Identity | null) => string
  /** An outer cancellation, for a cycle that is being shut down. */
  signal?: AbortSignal
}

/**
 * One probe: an IN query asking for NSID, a TCP retry when the UDP answer is truncated, and the CHAOS
 * fallbacks when the answer names no node. Everything shares one deadline, and the probe always
 * returns an Observation.
 */
export async function runProbe(deps: ProbeDeps, request: ProbeRequest): Promise<Observation> {
  const observedAt = deps.clock.nowMs()
  const context = { ...request, target: request.target ?? request.address }
  const deadline = deadlineSignal(request, deps.clock)
  const transport = deps.transports[request.transport]
  if (!transport) {
    return observationFrom(context, observedAt, missingTransport(request.transport), null, false)
  }
  const identityQuery = (): BuiltQuery =>
    buildIdentityQuery({ id: transactionId(deps.random), qname: request.qname, qtype: request.qtype, udpPayloadBytes: request.udpPayloadBytes })

  let query = identityQuery()
  let result = await ask(transport, request, query, deadline)
  let retriedOverTcp = false
  if (result.kind === 'answer' && result.answer.truncated && request.transport === 'udp' && deps.transports.tcp) {
    query = identityQuery()
    result = await ask(deps.transports.tcp, request, query, deadline)
    retriedOverTcp = true
  }
  const primary: QueryResult = { query, result }
  let identity = result.kind === 'answer' ? identityOf(result.answer, query.question) : null
  if (result.kind === 'answer' && !identity && request.identityFallback !== false) {
    identity = await askChaosIdentity(deps, transport, request, deadline)
  }
  return observationFrom(context, observedAt, primary, identity, retriedOverTcp)
}

/** hostname.bind, then id.server; each gets an equal share of the time that is left. */
async function askChaosIdentity(
  deps: ProbeDeps,
  transport: DnsTransport,
  request: ProbeRequest,
  deadline: { signal: AbortSignal; remainingMs: () => number },
): Promise<Identity | null> {
  for (const [index, name] of CHAOS_IDENTITY_NAMES.entries()) {
    if (deadline.signal.aborted) return null
    const share = deadline.remainingMs() / (CHAOS_IDENTITY_NAMES.length - index)
    const signal = AbortSignal.any([deadline.signal, AbortSignal.timeout(Math.max(1, Math.floor(share)))])
    const query = buildChaosQuery({ id: transactionId(deps.random), name })
    const result = await ask(transport, request, query, { signal })
    const identity = result.kind === 'answer' ? identityOf(result.answer, query.question) : null
    if (identity) return identity
  }
  return null
}

function ask(
  transport: DnsTransport,
  request: ProbeRequest,
  query: BuiltQuery,
  deadline: { signal: AbortSignal },
): Promise<ExchangeResult> {
  return transport.exchange({
    address: request.address,
    port: request.port,
    query: query.bytes,
    judge: (reply) => judgeReply(reply, query),
    signal: deadline.signal,
  })
}

function deadlineSignal(request: ProbeRequest, clock: Clock): { signal: AbortSignal; remainingMs: () => number } {
  const endsAt = clock.monotonicMs() + request.timeoutMs
  const timeout = AbortSignal.timeout(request.timeoutMs)
  const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout
  return { signal, remainingMs: () => Math.max(0, endsAt - clock.monotonicMs()) }
}

function missingTransport(name: TransportName): QueryResult {
  return {
    query: null,
    result: { kind: 'no-answer', outcome: 'network-error', error: `no ${name} transport in this runtime`, connectMs: null, ignoredReplies: 0 },
  }
}
