// RIS Live (wss://ris-live.ripe.net/v1/ws/) in both directions: the client messages the source sends
// (one ris_subscribe per prefix, ping) and the server frames it reads. `ris_message` frames carry
// peer_asn as a string, path as integers (an AS_SET as a nested list), communities as [asn, value]
// pairs, timestamp as float epoch seconds, and host as "rrc21" (2021) or "rrc25.ripe.net" (2025).
// A frame that is not JSON, or not in these shapes, is 'malformed': counted by the caller, never thrown.
import { z } from 'zod'
import { AsnFieldSchema, AsPathFieldSchema, CommunitiesFieldSchema } from './ripestat-schemas.ts'
import {
  flattenAsPath,
  normaliseCollector,
  normaliseCommunities,
  originOfHops,
  parseAsn,
  parseAsPathHops,
  type BgpPeerRoute,
  type BgpUpdateEvent,
} from './model.ts'

/** The prefix RIS Live sends for an End-of-RIB marker; it is not a route. */
const END_OF_RIB = 'eor'
const MS_PER_SECOND = 1000

export const RisLiveMessageSchema = z.looseObject({
  type: z.literal('ris_message'),
  data: z.looseObject({
    timestamp: z.number(),
    peer: z.string(),
    peer_asn: AsnFieldSchema,
    id: z.string().nullish(),
    host: z.string(),
    type: z.string(),
    path: AsPathFieldSchema,
    community: CommunitiesFieldSchema,
    origin: z.string().nullish(),
    aggregator: z.string().nullish(),
    announcements: z.array(z.looseObject({ next_hop: z.string().nullish(), prefixes: z.array(z.string()) })).nullish(),
    withdrawals: z.array(z.string()).nullish(),
    raw: z.string().nullish(),
  }),
})

export type RisLiveMessage = z.output<typeof RisLiveMessageSchema>

const RisErrorSchema = z.looseObject({ type: z.literal('ris_error'), data: z.looseObject({ message: z.string() }).nullish() })
const FrameTypeSchema = z.looseObject({ type: z.string() })

/** What one text frame from the server is. */
export type RisLiveFrame =
  | { kind: 'message'; message: RisLiveMessage }
  | { kind: 'pong' }
  | { kind: 'subscribed' }
  | { kind: 'error'; message: string }
  /** A well-formed frame of a type the source does not use (ris_rrc_list, ...). */
  | { kind: 'other'; type: string }
  | { kind: 'malformed'; reason: string }

export function parseRisLiveFrame(text: string): RisLiveFrame {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { kind: 'malformed', reason: 'not JSON' }
  }
  const typed = FrameTypeSchema.safeParse(json)
  if (!typed.success) return { kind: 'malformed', reason: 'no "type"' }
  switch (typed.data.type) {
    case 'ris_message': {
      const message = RisLiveMessageSchema.safeParse(json)
      return message.success ? { kind: 'message', message: message.data } : { kind: 'malformed', reason: issueText(message.error) }
    }
    case 'pong':
      return { kind: 'pong' }
    case 'ris_subscribe_ok':
      return { kind: 'subscribed' }
    case 'ris_error': {
      const error = RisErrorSchema.safeParse(json)
      return error.success ? { kind: 'error', message: error.data.data?.message ?? 'no message' } : { kind: 'malformed', reason: issueText(error.error) }
    }
    default:
      return { kind: 'other', type: typed.data.type }
  }
}

function issueText(error: z.ZodError): string {
  const issue = error.issues[0]
  return issue === undefined ? 'invalid' : `${issue.path.join('.') || '(root)'}: ${issue.message}`
}

/**
 * The subscription for one prefix: UPDATE messages for it and its more-specifics. `acknowledge` makes
 * the server answer ris_subscribe_ok.
 */
export function risSubscribeMessage(prefix: string): { type: 'ris_subscribe'; data: Record<string, unknown> } {
  return {
    type: 'ris_subscribe',
    data: { prefix, moreSpecific: true, type: 'UPDATE', socketOptions: { includeRaw: false, acknowledge: true } },
  }
}

/** Answered with a `pong`: the proof of a live feed when the prefixes are quiet. */
export const RIS_PING_MESSAGE = { type: 'ping', data: null } as const

/** The default endpoint, with the `client` id RIS Live asks users to send. */
export function risLiveUrl(client: string): string {
  return `wss://ris-live.ripe.net/v1/ws/?${new URLSearchParams({ client })}`
}

/** One prefix announced or withdrawn by one peer: the event, and the peer's route after it (null: withdrawn). */
export interface RisRouteChange {
  event: BgpUpdateEvent
  route: BgpPeerRoute | null
}

/**
 * One change per prefix announced or withdrawn by an UPDATE. A prefix announced with two next hops
 * (IPv6 global + link-local) is one announcement. RIS Live sends no large communities field that the
 * samples show, so largeCommunities stays empty.
 */
export function routeChangesOfRisMessage(message: RisLiveMessage): RisRouteChange[] {
  const { data } = message
  if (data.type !== 'UPDATE') return []
  const at = Math.round(data.timestamp * MS_PER_SECOND)
  const common = { at, collector: normaliseCollector(data.host), peerIp: data.peer }
  const hops = parseAsPathHops(data.path)
  const asPath = flattenAsPath(hops)
  const communities = normaliseCommunities(data.community)
  const route = (): BgpPeerRoute => ({
    collector: common.collector,
    peerIp: data.peer,
    peerAsn: parseAsn(data.peer_asn) ?? asPath[0] ?? null,
    asPath,
    originAsn: originOfHops(hops),
    communities,
    largeCommunities: [],
    changedAt: at,
  })
  const announced = [...new Set((data.announcements ?? []).flatMap((announcement) => announcement.prefixes))].filter(isRoute)
  const withdrawn = (data.withdrawals ?? []).filter(isRoute)
  return [
    ...announced.map((prefix): RisRouteChange => ({ event: { ...common, type: 'announce', prefix, asPath, communities }, route: route() })),
    ...withdrawn.map((prefix): RisRouteChange => ({ event: { ...common, type: 'withdraw', prefix, asPath: [], communities: [] }, route: null })),
  ]
}

/** The update events of a message (see routeChangesOfRisMessage). */
export function eventsOfRisMessage(message: RisLiveMessage): BgpUpdateEvent[] {
  return routeChangesOfRisMessage(message).map((change) => change.event)
}

function isRoute(prefix: string): boolean {
  return prefix.toLowerCase() !== END_OF_RIB
}
