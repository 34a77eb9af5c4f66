// RIS Live `ris_message` frames (wss://ris-live.ripe.net/v1/ws/) into BGP update events, for a
// streaming source. Frames carry peer_asn as a string, path as integers (an AS_SET as a nested list),
// communities as [asn, value] pairs, timestamp as float epoch seconds, and host as "rrc21" (2021) or
// "rrc25.ripe.net" (2025).
import { z } from 'zod'
import { AsnFieldSchema, AsPathFieldSchema, CommunitiesFieldSchema } from './ripestat-schemas.ts'
import { flattenAsPath, normaliseCollector, normaliseCommunities, parseAsPathHops, type BgpUpdateEvent } from './model.ts'

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

/**
 * One event per prefix announced or withdrawn by an UPDATE. A prefix announced with two next hops
 * (IPv6 global + link-local) is one announcement.
 */
export function eventsOfRisMessage(message: RisLiveMessage): BgpUpdateEvent[] {
  const { data } = message
  if (data.type !== 'UPDATE') return []
  const common = { at: Math.round(data.timestamp * MS_PER_SECOND), collector: normaliseCollector(data.host), peerIp: data.peer }
  const announced = [...new Set((data.announcements ?? []).flatMap((announcement) => announcement.prefixes))]
  const asPath = flattenAsPath(parseAsPathHops(data.path))
  const communities = normaliseCommunities(data.community)
  return [
    ...announced.filter(isRoute).map((prefix): BgpUpdateEvent => ({ ...common, type: 'announce', prefix, asPath, communities })),
    ...(data.withdrawals ?? []).filter(isRoute).map((prefix): BgpUpdateEvent => ({ ...common, type: 'withdraw', prefix, asPath: [], communities: [] })),
  ]
}

function isRoute(prefix: string): boolean {
  return prefix.toLowerCase() !== END_OF_RIB
}
