// IP prefixes as numbers, for "is this address or route inside that prefix": the lab's BGP feed
// (RIPEstat resources and RIS Live subscriptions include more-specifics, a ROA covers the routes
// inside it) and the Worker's check that no target sits in Cloudflare's own ranges. Pure.

export interface ParsedPrefix {
  family: 4 | 6
  /** The network address as an unsigned integer of 32 or 128 bits. */
  network: bigint
  length: number
}

/** '198.51.100.0/24', '2001:db8::/32'; an address alone is a host prefix. null when unreadable. */
export function parsePrefix(text: string): ParsedPrefix | null {
  const [address = '', lengthText] = text.trim().split('/')
  const family = isIpv4(address) ? 4 : isIpv6(address) ? 6 : null
  if (family === null) return null
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

function isIpv4(text: string): boolean {
  const octets = text.split('.')
  return octets.length === 4 && octets.every((octet) => /^(0|[1-9]\d{0,2})$/.test(octet) && Number(octet) <= 255)
}

/** Hex groups with at most one '::', or six groups and an embedded IPv4 address; no zone index. */
function isIpv6(text: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || (text.match(/::/g) ?? []).length > 1) return false
  const [head = '', tail] = text.split('::')
  const groups = [...(head === '' ? [] : head.split(':')), ...(tail === undefined || tail === '' ? [] : tail.split(':'))]
  const last = groups.at(-1) ?? ''
  const embedded = last.includes('.')
  if (embedded && !isIpv4(last)) return false
  const hexGroups = embedded ? groups.slice(0, -1) : groups
  if (!hexGroups.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group))) return false
  const width = hexGroups.length + (embedded ? 2 : 0)
  return tail === undefined ? width === 8 : width <= 7
}
