// The lab collector's updates in the shape of RIS Live (wss://ris-live.ripe.net/v1/ws/, the samples in
// shared/fixtures/ris-live): what a client may send (ris_subscribe, ris_unsubscribe, ping) and the
// frames the feed sends back (ris_subscribe_ok, pong, ris_error, one ris_message per update).
// Pure: lab/bgp-feed/server.ts holds the sockets and tails the collector's log.
import { collectorPeer, type CollectorEvent } from '../collector.ts'
import { COLLECTOR_ID } from './ripestat.ts'
import { parsePrefix, prefixCovers } from '../../src/core/net/prefix.ts'

export interface Subscription {
  /** null: every prefix (RIS Live's subscription without a prefix filter). */
  prefix: string | null
  moreSpecific: boolean
  lessSpecific: boolean
  acknowledge: boolean
}

export type ClientMessage =
  | { kind: 'subscribe'; subscription: Subscription }
  | { kind: 'unsubscribe'; prefix: string | null }
  | { kind: 'ping' }
  | { kind: 'invalid'; reason: string }

export function parseClientMessage(text: string): ClientMessage {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { kind: 'invalid', reason: 'not JSON' }
  }
  if (typeof json !== 'object' || json === null) return { kind: 'invalid', reason: 'not an object' }
  const { type, data } = json as { type?: unknown; data?: unknown }
  const fields = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>
  const prefix = typeof fields.prefix === 'string' ? fields.prefix : null
  if (type === 'ping') return { kind: 'ping' }
  if (type !== 'ris_subscribe' && type !== 'ris_unsubscribe') return { kind: 'invalid', reason: `unknown message type ${JSON.stringify(type)}` }
  if (prefix !== null && parsePrefix(prefix) === null) return { kind: 'invalid', reason: `invalid prefix ${JSON.stringify(prefix)}` }
  if (fields.type !== undefined && fields.type !== 'UPDATE') return { kind: 'invalid', reason: 'the lab feed has UPDATE messages only' }
  if (type === 'ris_unsubscribe') return { kind: 'unsubscribe', prefix }
  const options = (typeof fields.socketOptions === 'object' && fields.socketOptions !== null ? fields.socketOptions : {}) as Record<string, unknown>
  return {
    kind: 'subscribe',
    subscription: { prefix, moreSpecific: fields.moreSpecific !== false, lessSpecific: fields.lessSpecific === true, acknowledge: options.acknowledge === true },
  }
}

/** RIS Live's matching: the prefix itself, its more-specifics (default on), its less-specifics (default off). */
export function subscriptionMatches(subscription: Subscription, prefix: string): boolean {
  if (subscription.prefix === null) return true
  const same = parsePrefix(subscription.prefix)
  const other = parsePrefix(prefix)
  if (same === null || other === null) return false
  if (same.family === other.family && same.length === other.length && prefixCovers(subscription.prefix, prefix)) return true
  return (subscription.moreSpecific && prefixCovers(subscription.prefix, prefix)) || (subscription.lessSpecific && prefixCovers(prefix, subscription.prefix))
}

export function subscribeOkFrame(subscription: Subscription): Record<string, unknown> {
  return { type: 'ris_subscribe_ok', data: { subscription: { prefix: subscription.prefix, moreSpecific: subscription.moreSpecific, type: 'UPDATE' }, socketOptions: { acknowledge: true } } }
}

export const PONG_FRAME = { type: 'pong', data: null }

export function errorFrame(message: string): Record<string, unknown> {
  return { type: 'ris_error', data: { message } }
}

/** One UPDATE as RIS Live sends it; null for a session the lab does not know. */
export function risMessageOf(event: CollectorEvent, sequence: number): Record<string, unknown> | null {
  const peer = collectorPeer(event.protocol)
  if (peer === null || event.at === null) return null
  const common = { timestamp: event.at / 1000, peer: peer.ip, peer_asn: String(peer.asn), id: `${COLLECTOR_ID}-${sequence}`, host: COLLECTOR_ID, type: 'UPDATE' }
  if (event.kind === 'withdraw') return { type: 'ris_message', data: { ...common, path: [], community: [], announcements: [], withdrawals: [event.prefix] } }
  return {
    type: 'ris_message',
    data: {
      ...common,
      path: event.asPath,
      community: event.communities.map((community) => community.split(':').map(Number)),
      origin: 'igp',
      announcements: [{ next_hop: peer.ip, prefixes: [event.prefix] }],
      withdrawals: [],
    },
  }
}
