// RIPEstat-shaped answers for a loopback HTTP server (test/support/http-receiver.ts): envelopes around
// looking-glass, routing-status, bgp-updates and rpki-validation data, in the drifting shapes of the
// real API (ASNs as strings and integers, communities as a space-separated string, camelCase large
// communities, times without a zone).
import type { ReceivedRequest, ScriptedAnswer } from './http-receiver.ts'
import { ORIGIN, PREFIX, T0 } from './bgp.ts'

export const SOURCEAPP = 'anycast-monitor-test'

/** RIPEstat's time format: ISO 8601 without zone (UTC), no milliseconds. */
export const ripeTime = (ms: number): string => new Date(ms).toISOString().slice(0, 19)

export function envelope(call: string, data: unknown, fields: object = {}): ScriptedAnswer {
  const body = {
    messages: [['info', 'Results exclude routes with very low visibility (less than 10 RIS full-feed peers seeing).']],
    see_also: [],
    version: '2.1',
    data_call_name: call,
    data_call_status: 'supported',
    cached: false,
    query_id: '20260105120000-test',
    process_time: 12,
    server_id: 'app001',
    build_version: 'v0.10.14-2026.01.05',
    pipeline: '1',
    status: 'ok',
    status_code: 200,
    time: ripeTime(T0),
    data,
    ...fields,
  }
  return { status: 200, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }
}

/** Three peers at RRC00 through fra's transit (tagged 64500:1), two at RRC01 through ber's (AS64511). */
export function lookingGlassData(latestTime = T0 - 30_000) {
  const peer = (ip: string, path: string, community: string, extra: object = {}) => ({
    asn_origin: String(ORIGIN),
    as_path: path,
    community,
    last_updated: ripeTime(T0 - 3_600_000),
    prefix: PREFIX,
    peer: ip,
    origin: 'IGP',
    next_hop: ip,
    latest_time: ripeTime(latestTime),
    ...extra,
  })
  return {
    rrcs: [
      {
        rrc: 'RRC00',
        location: 'Amsterdam, Netherlands',
        peers: [
          peer('10.0.0.1', '65001 64510 64500', '65001:100 64500:1'),
          peer('10.0.0.2', '65002 64510 64500', '64500:1', { largeCommunity: '64500:1:1', extendedCommunity: '' }),
          peer('2001:db8::3', '65003 64510 64500 64500', '64500:1'),
        ],
      },
      {
        rrc: 'RRC01',
        location: 'London, United Kingdom',
        scope: 'LINX / LONAP',
        peers: [peer('10.1.0.1', '65011 64511 64500', ''), { ...peer('10.1.0.2', '65012 64511 64500', ''), asn_origin: ORIGIN }],
      },
    ],
    query_time: ripeTime(latestTime + 5_000),
    latest_time: ripeTime(latestTime),
    parameters: { resource: PREFIX, look_back_limit: 86400, cache: null },
  }
}

export const routingStatusData = () => ({
  resource: PREFIX,
  query_time: ripeTime(T0 - 4 * 3_600_000),
  first_seen: { prefix: PREFIX, origin: String(ORIGIN), time: '2020-01-01T00:00:00' },
  last_seen: { prefix: PREFIX, origin: String(ORIGIN), time: ripeTime(T0 - 4 * 3_600_000) },
  visibility: { v4: { ris_peers_seeing: 300, total_ris_peers: 320 }, v6: { ris_peers_seeing: 0, total_ris_peers: 330 } },
  origins: [{ origin: ORIGIN, route_objects: ['RIPE'] }],
  less_specifics: [],
  more_specifics: [],
})

export const bgpUpdatesData = () => ({
  resource: PREFIX,
  query_starttime: ripeTime(T0 - 2 * 3_600_000),
  query_endtime: ripeTime(T0 - 60_000),
  nr_updates: 2,
  updates: [
    { seq: 1, timestamp: ripeTime(T0 - 30 * 60_000), type: 'W', attrs: { source_id: '00-10.0.0.1', target_prefix: PREFIX } },
    {
      seq: 2,
      timestamp: ripeTime(T0 - 28 * 60_000),
      type: 'A',
      attrs: { source_id: '00-10.0.0.1', target_prefix: PREFIX, path: [65001, 64510, 64500], community: ['65001:100', '64500:1'] },
    },
  ],
})

export const rpkiData = (status = 'valid') => ({
  resource: String(ORIGIN),
  prefix: PREFIX,
  validating_roas: [{ origin: String(ORIGIN), prefix: PREFIX, validity: status, max_length: 24 }],
  status,
  validator: 'routinator',
})

export type DataCall = 'looking-glass' | 'routing-status' | 'bgp-updates' | 'rpki-validation'

export function dataCallOf(request: ReceivedRequest): DataCall {
  return new URL(request.path, 'http://127.0.0.1').pathname.split('/')[2] as DataCall
}

export function queryOf(request: ReceivedRequest): URLSearchParams {
  return new URL(request.path, 'http://127.0.0.1').searchParams
}

/** A healthy RIPEstat; `override` answers a data call differently (return undefined to keep the healthy answer). */
export function ripestatScript(override: (call: DataCall, request: ReceivedRequest, index: number) => ScriptedAnswer | undefined = () => undefined) {
  return (request: ReceivedRequest, index: number): ScriptedAnswer => {
    const call = dataCallOf(request)
    const answer = override(call, request, index)
    if (answer !== undefined) return answer
    if (call === 'looking-glass') return envelope(call, lookingGlassData())
    if (call === 'routing-status') return envelope(call, routingStatusData())
    if (call === 'bgp-updates') return envelope(call, bgpUpdatesData())
    if (call === 'rpki-validation') return envelope(call, rpkiData())
    return { status: 404, body: 'no such data call' }
  }
}
