import type { IdentitySource } from '../model.ts'
import { encodeQuery, type WireQuestion } from './wire.ts'

/** Fits an IPv6 minimum MTU path without fragmentation (DNS flag day 2020). */
export const DEFAULT_UDP_PAYLOAD_BYTES = 1232

export type ChaosIdentityName = Exclude<IdentitySource, 'nsid'>
/** CHAOS names asked when NSID is absent, in this order. */
export const CHAOS_IDENTITY_NAMES: readonly ChaosIdentityName[] = ['hostname.bind', 'id.server']

export interface BuiltQuery {
  id: number
  question: WireQuestion
  bytes: Uint8Array
}

/** An ordinary IN query carrying an empty NSID option: the identity rides on a real answer. */
export function buildIdentityQuery(params: {
  id: number
  qname: string
  qtype?: string
  udpPayloadBytes?: number
}): BuiltQuery {
  const question = { name: normalizeName(params.qname), type: params.qtype ?? 'SOA', class: 'IN' }
  const edns = { udpPayloadBytes: params.udpPayloadBytes ?? DEFAULT_UDP_PAYLOAD_BYTES, requestNsid: true }
  return { id: params.id, question, bytes: encodeQuery({ id: params.id, question, edns }) }
}

/** CHAOS TXT hostname.bind / id.server, plain (no EDNS) so that the oldest servers answer it too. */
export function buildChaosQuery(params: { id: number; name: ChaosIdentityName }): BuiltQuery {
  const question = { name: params.name, type: 'TXT', class: 'CH' }
  return { id: params.id, question, bytes: encodeQuery({ id: params.id, question }) }
}

/** A 16-bit transaction id from injected randomness (a number in [0, 1)). */
export function transactionId(random: () => number): number {
  return Math.floor(random() * 0x10000) & 0xffff
}

/** dns-packet wants names without the trailing dot; the root stays '.'. */
export function normalizeName(name: string): string {
  if (name === '.' || name === '') return '.'
  return name.endsWith('.') ? name.slice(0, -1) : name
}
