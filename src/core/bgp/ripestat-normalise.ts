// RIPEstat responses into the BGP model. Pure: the adapter fetches, these functions judge the envelope
// and normalise the data calls' fields (see model.ts for the drift they absorb).
import type { z } from 'zod'
import {
  familyOf,
  flattenAsPath,
  normaliseCollector,
  normaliseCommunities,
  normaliseLargeCommunities,
  originOfHops,
  parseAsn,
  parseAsPathHops,
  parseDataTime,
  parseSourceId,
  peerKey,
  type BgpDumpVisibility,
  type BgpPeerRoute,
  type BgpUpdateEvent,
  type BgpUpdates,
  type RpkiCheck,
  type RpkiStatus,
} from './model.ts'
import {
  RIPESTAT_DATA_SCHEMAS,
  RipestatEnvelopeSchema,
  type BgpUpdatesData,
  type LookingGlassData,
  type RipestatDataCall,
  type RipestatEnvelope,
  type RoutingStatusData,
  type RpkiValidationData,
} from './ripestat-schemas.ts'

const HTTP_OK = 200
const MAX_MESSAGE_CHARS = 300

export type RipestatData<C extends RipestatDataCall> = z.output<(typeof RIPESTAT_DATA_SCHEMAS)[C]>

export type RipestatParse<C extends RipestatDataCall> = { ok: true; data: RipestatData<C> } | { ok: false; error: string }

/** The body of a data call, judged: the envelope says ok, and the data has the call's shape. */
export function parseRipestatBody<C extends RipestatDataCall>(call: C, body: unknown): RipestatParse<C> {
  const envelope = RipestatEnvelopeSchema.safeParse(body)
  if (!envelope.success) return { ok: false, error: `${call}: not a RIPEstat envelope (${issuesText(envelope.error)})` }
  const problem = envelopeProblem(envelope.data)
  if (problem !== null) return { ok: false, error: `${call}: ${problem}` }
  const data = RIPESTAT_DATA_SCHEMAS[call].safeParse(envelope.data.data)
  if (!data.success) return { ok: false, error: `${call}: unexpected data (${issuesText(data.error)})` }
  return { ok: true, data: data.data as RipestatData<C> }
}

/**
 * Why the envelope is a failure, or null. No real error body is on record, so everything known to
 * signal one counts: status other than "ok", a status_code other than 200, a message of level "error".
 */
export function envelopeProblem(envelope: RipestatEnvelope): string | null {
  const messages = messagesOf(envelope)
  const errorMessages = messages.filter((message) => message.level === 'error')
  const statusCode = envelope.status_code ?? HTTP_OK
  if (envelope.status === 'ok' && statusCode === HTTP_OK && errorMessages.length === 0) return null
  const shown = errorMessages.length > 0 ? errorMessages : messages
  const text = shown.map((message) => `${message.level}: ${message.text}`).join('; ').slice(0, MAX_MESSAGE_CHARS)
  return `status "${envelope.status}" (status_code ${statusCode})${text === '' ? '' : `: ${text}`}`
}

export function messagesOf(envelope: RipestatEnvelope): { level: string; text: string }[] {
  return (envelope.messages ?? []).map((message) => ({ level: String(message[0] ?? ''), text: String(message[1] ?? '') }))
}

function issuesText(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ')
}

export interface LookingGlassView {
  routes: BgpPeerRoute[]
  collectors: string[]
  /** latest_time (how recent RIS's data is), else query_time; null when neither is readable. */
  dataAt: number | null
}

/** One route per (collector, peer); RIS peers are eBGP sessions, so the path's first AS is the peer's. */
export function lookingGlassView(data: LookingGlassData): LookingGlassView {
  const routes = new Map<string, BgpPeerRoute>()
  for (const rrc of data.rrcs) {
    const collector = normaliseCollector(rrc.rrc)
    for (const peer of rrc.peers) {
      const route = routeOfPeer(collector, peer)
      if (!routes.has(peerKey(route))) routes.set(peerKey(route), route)
    }
  }
  return {
    routes: [...routes.values()],
    collectors: [...new Set(data.rrcs.map((rrc) => normaliseCollector(rrc.rrc)))].sort(),
    dataAt: parseDataTime(data.latest_time) ?? parseDataTime(data.query_time),
  }
}

function routeOfPeer(collector: string, peer: LookingGlassData['rrcs'][number]['peers'][number]): BgpPeerRoute {
  const hops = parseAsPathHops(peer.as_path)
  const asPath = flattenAsPath(hops)
  return {
    collector,
    peerIp: peer.peer,
    peerAsn: asPath[0] ?? null,
    asPath,
    originAsn: parseAsn(peer.asn_origin) ?? originOfHops(hops),
    communities: normaliseCommunities(peer.community),
    largeCommunities: normaliseLargeCommunities(peer.largeCommunity ?? peer.large_community),
    changedAt: parseDataTime(peer.last_updated),
  }
}

/** RIS's visibility of the prefix's family at the last dump; null when the family is missing. */
export function dumpVisibilityOf(data: RoutingStatusData, prefix: string): BgpDumpVisibility | null {
  const counts = data.visibility?.[familyOf(prefix)]
  if (counts === null || counts === undefined) return null
  return { peersSeeing: counts.ris_peers_seeing, peersTotal: counts.total_ris_peers, at: parseDataTime(data.query_time) }
}

/** Announcements ('A') and withdrawals ('W'), oldest first; unreadable entries are skipped. */
export function updatesOf(data: BgpUpdatesData, requested: { from: number; until: number }): BgpUpdates {
  const events = data.updates.flatMap((update): BgpUpdateEvent[] => {
    const type = update.type === 'A' ? 'announce' : update.type === 'W' ? 'withdraw' : null
    const source = parseSourceId(update.attrs.source_id)
    const at = parseDataTime(update.timestamp)
    if (type === null || source === null || at === null) return []
    const asPath = type === 'announce' ? flattenAsPath(parseAsPathHops(update.attrs.path)) : []
    const communities = type === 'announce' ? normaliseCommunities(update.attrs.community) : []
    return [{ at, type, prefix: update.attrs.target_prefix, ...source, asPath, communities }]
  })
  return {
    from: parseDataTime(data.query_starttime) ?? requested.from,
    until: parseDataTime(data.query_endtime) ?? requested.until,
    events: events.sort((a, b) => a.at - b.at),
  }
}

/** 'valid'; 'invalid', 'invalid_asn', 'invalid_length' → invalid; anything else (not found, unknown) → unknown. */
export function rpkiStatusOf(status: string): RpkiStatus {
  const word = status.trim().toLowerCase()
  if (word === 'valid') return 'valid'
  return word.startsWith('invalid') ? 'invalid' : 'unknown'
}

export function rpkiCheckOf(data: RpkiValidationData, originAsn: number): RpkiCheck {
  return { originAsn, status: rpkiStatusOf(data.status), detail: data.status, validator: data.validator ?? null }
}
