// IP prefixes as numbers, for "is this route inside what was asked for": RIPEstat's resource and
// RIS Live's subscription both include more-specifics, and a ROA covers the routes inside it.
import { isIP } from 'node:net'

export interface ParsedPrefix {
  family: 4 | 6
  /** The network address as an unsigned integer of 32 or 128 bits. */
  network: bigint
  length: number
}

/** '198.51.100.0/24', '2001:db8::/32'; an address alone is a host prefix. null when unreadable. */
export function parsePrefix(text: string): ParsedPrefix | null {
  const [address = '', lengthText] = text.trim().split('/')
  const family = isIP(address)
  if (family !== 4 && family !== 6) return null
  const bits = family === 4 ? 32 : 128
  const length = lengthText === undefined ? bits : /^\d{1,3}$/.test(lengthText) ? Number(lengthText) : NaN
  if (!(length >= 0 && length <= bits)) return null
  const value = family === 4 ? ipv4Value(address) : ipv6Value(address)
  const hostBits = BigInt(bits - length)
  return { family, network: (value >> hostBits) << hostBits, length }
}

/** Whether `inner` is `outer` or a more-specific of it (same family). */
export function covers(outer: ParsedPrefix, inner: ParsedPrefix): boolean {
  if (outer.family !== inner.family || inner.length < outer.length) return false
  const hostBits = BigInt((outer.family === 4 ? 32 : 128) - outer.length)
  return inner.network >> hostBits === outer.network >> hostBits
}

export function prefixCovers(outer: string, inner: string): boolean {
  const a = parsePrefix(outer)
  const b = parsePrefix(inner)
  return a !== null && b !== null && covers(a, b)
}

function ipv4Value(address: string): bigint {
  return address.split('.').reduce((value, octet) => (value << 8n) + BigInt(Number(octet)), 0n)
}

function ipv6Value(address: string): bigint {
  const [head = '', tail] = address.split('::')
  const groupsOf = (part: string): string[] => (part === '' ? [] : part.split(':'))
  const expand = (groups: string[]): string[] => groups.flatMap((group) => (group.includes('.') ? embeddedIpv4Groups(group) : [group]))
  const left = expand(groupsOf(head))
  const right = tail === undefined ? [] : expand(groupsOf(tail))
  const zeros = Array<string>(8 - left.length - right.length).fill('0')
  return [...left, ...(tail === undefined ? [] : zeros), ...right].reduce((value, group) => (value << 16n) + BigInt(parseInt(group, 16)), 0n)
}

function embeddedIpv4Groups(dotted: string): string[] {
  const value = Number(ipv4Value(dotted))
  return [((value >>> 16) & 0xffff).toString(16), (value & 0xffff).toString(16)]
}
