// zod schemas of the RIPEstat Data API responses the monitor reads, tolerant of the drift seen in
// real responses: loose objects (new fields such as largeCommunity, scope, community_info appear),
// ASNs as strings or integers, communities in any of their three forms, optional fields absent in
// older versions. Normalisation into the BGP model happens in ripestat-normalise.ts, not here.
import { z } from 'zod'

/** Normalised later with parseAsn; a drifting type must not sink the whole response. */
export const AsnFieldSchema = z.union([z.number(), z.string()]).nullish()
/** "a:b c:d", ["a:b"], [[a, b]] or [a, b, c] triples; normalised later. */
export const CommunitiesFieldSchema = z
  .union([z.string(), z.array(z.union([z.string(), z.number(), z.array(z.union([z.number(), z.string()]))]))])
  .nullish()
/** "1 2 {3,4}" or [1, 2, [3, 4]] or ["1", "2"]; normalised later. */
export const AsPathFieldSchema = z.union([z.string(), z.array(z.union([z.number(), z.string(), z.array(z.union([z.number(), z.string()]))]))]).nullish()
const TimeFieldSchema = z.union([z.string(), z.number()]).nullish()

/** The envelope every data call shares. `messages` is a list of [level, text]. */
export const RipestatEnvelopeSchema = z.looseObject({
  status: z.string(),
  status_code: z.number().int().nullish(),
  messages: z.array(z.array(z.unknown())).nullish(),
  version: z.string().nullish(),
  data_call_name: z.string().nullish(),
  time: z.string().nullish(),
  data: z.unknown(),
})

export const LookingGlassPeerSchema = z.looseObject({
  peer: z.string(),
  prefix: z.string().nullish(),
  asn_origin: AsnFieldSchema,
  as_path: AsPathFieldSchema,
  community: CommunitiesFieldSchema,
  // camelCase in 2026 live responses, snake_case in client libraries: accept both.
  largeCommunity: CommunitiesFieldSchema,
  large_community: CommunitiesFieldSchema,
  origin: z.string().nullish(),
  next_hop: z.string().nullish(),
  last_updated: TimeFieldSchema,
  latest_time: TimeFieldSchema,
})

export const LookingGlassDataSchema = z.looseObject({
  rrcs: z.array(
    z.looseObject({
      rrc: z.string(),
      location: z.string().nullish(),
      peers: z.array(LookingGlassPeerSchema),
    }),
  ),
  query_time: TimeFieldSchema,
  latest_time: TimeFieldSchema,
})

const RisPeerCountsSchema = z.looseObject({ ris_peers_seeing: z.number().int(), total_ris_peers: z.number().int() })
const SeenSchema = z.looseObject({ prefix: z.string().nullish(), origin: AsnFieldSchema, time: TimeFieldSchema })
const PrefixOriginSchema = z.looseObject({ prefix: z.string(), origin: AsnFieldSchema })

/** routing-status for a prefix or an ASN: the fields differ, so everything but the visibility is optional. */
export const RoutingStatusDataSchema = z.looseObject({
  resource: z.union([z.string(), z.number()]).nullish(),
  query_time: TimeFieldSchema,
  first_seen: SeenSchema.nullish(),
  last_seen: SeenSchema.nullish(),
  visibility: z.looseObject({ v4: RisPeerCountsSchema.nullish(), v6: RisPeerCountsSchema.nullish() }).nullish(),
  origins: z.array(z.looseObject({ origin: AsnFieldSchema, route_objects: z.array(z.string()).nullish() })).nullish(),
  less_specifics: z.array(PrefixOriginSchema).nullish(),
  more_specifics: z.array(PrefixOriginSchema).nullish(),
})

export const BgpUpdatesDataSchema = z.looseObject({
  resource: z.string().nullish(),
  query_starttime: TimeFieldSchema,
  query_endtime: TimeFieldSchema,
  nr_updates: z.number().int().nullish(),
  updates: z.array(
    z.looseObject({
      seq: z.number().nullish(),
      timestamp: z.union([z.string(), z.number()]),
      type: z.string(),
      attrs: z.looseObject({
        source_id: z.string(),
        target_prefix: z.string(),
        path: AsPathFieldSchema,
        community: CommunitiesFieldSchema,
      }),
    }),
  ),
})

export const RpkiValidationDataSchema = z.looseObject({
  resource: AsnFieldSchema,
  prefix: z.string(),
  status: z.string(),
  validator: z.string().nullish(),
  validating_roas: z
    .array(
      z.looseObject({
        origin: AsnFieldSchema,
        prefix: z.string(),
        validity: z.string(),
        max_length: z.number().int().nullish(),
      }),
    )
    .nullish(),
})

/** ris-peers: per collector, its peers and how many routes each sends (the full-table denominator). */
export const RisPeersDataSchema = z.looseObject({
  peers: z.record(
    z.string(),
    z.array(z.looseObject({ asn: AsnFieldSchema, ip: z.string(), v4_prefix_count: z.number().int(), v6_prefix_count: z.number().int() })),
  ),
  latest_time: TimeFieldSchema,
  earliest_time: TimeFieldSchema,
})

export const AnnouncedPrefixesDataSchema = z.looseObject({
  resource: z.union([z.string(), z.number()]).nullish(),
  prefixes: z.array(
    z.looseObject({ prefix: z.string(), timelines: z.array(z.looseObject({ starttime: TimeFieldSchema, endtime: TimeFieldSchema })) }),
  ),
  query_starttime: TimeFieldSchema,
  query_endtime: TimeFieldSchema,
  latest_time: TimeFieldSchema,
})

const FullTablePeerSchema = z.looseObject({ asn: AsnFieldSchema, ip: z.string(), prefix_count: z.number().int().nullish() })

export const VisibilityDataSchema = z.looseObject({
  resource: z.string().nullish(),
  query_time: TimeFieldSchema,
  latest_time: TimeFieldSchema,
  visibilities: z.array(
    z.looseObject({
      probe: z.looseObject({ name: z.string(), city: z.string().nullish(), country: z.string().nullish() }),
      ipv4_full_table_peer_count: z.number().int().nullish(),
      ipv6_full_table_peer_count: z.number().int().nullish(),
      ipv4_full_table_peers_not_seeing: z.array(FullTablePeerSchema).nullish(),
      ipv6_full_table_peers_not_seeing: z.array(FullTablePeerSchema).nullish(),
      ipv4_full_table_peers_seeing: z.array(FullTablePeerSchema).nullish(),
      ipv6_full_table_peers_seeing: z.array(FullTablePeerSchema).nullish(),
    }),
  ),
})

export type RipestatEnvelope = z.output<typeof RipestatEnvelopeSchema>
export type LookingGlassData = z.output<typeof LookingGlassDataSchema>
export type RoutingStatusData = z.output<typeof RoutingStatusDataSchema>
export type BgpUpdatesData = z.output<typeof BgpUpdatesDataSchema>
export type RpkiValidationData = z.output<typeof RpkiValidationDataSchema>

/** The data schema of each data call, by its name in the URL. */
export const RIPESTAT_DATA_SCHEMAS = {
  'looking-glass': LookingGlassDataSchema,
  'routing-status': RoutingStatusDataSchema,
  'bgp-updates': BgpUpdatesDataSchema,
  'rpki-validation': RpkiValidationDataSchema,
  'ris-peers': RisPeersDataSchema,
  'announced-prefixes': AnnouncedPrefixesDataSchema,
  visibility: VisibilityDataSchema,
} as const

export type RipestatDataCall = keyof typeof RIPESTAT_DATA_SCHEMAS
