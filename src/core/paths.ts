// Paths: the unit the monitor measures. A path is (vantage, address, transport): one vantage asking one
// of a target's addresses over one transport. IPv4 and IPv6 are routed apart (their own BGP sessions,
// their own best paths), so catchment and failures are kept per address family, and a failure of one
// family, one address or one transport is a failure of those paths only.
import type { TransportName } from './model.ts'

export type AddressFamily = 'ipv4' | 'ipv6'

export const ADDRESS_FAMILIES: readonly AddressFamily[] = ['ipv4', 'ipv6']

/** The family of an address literal (the config only admits IPv4 and IPv6 literals). */
export function addressFamilyOf(address: string): AddressFamily {
  return address.includes(':') ? 'ipv6' : 'ipv4'
}

export function familyLabel(family: AddressFamily): string {
  return family === 'ipv4' ? 'IPv4' : 'IPv6'
}

export function transportLabel(transport: TransportName): string {
  return transport.toUpperCase()
}

/** The families of the addresses, in ADDRESS_FAMILIES order, each once. */
export function familiesOf(addresses: readonly string[]): AddressFamily[] {
  const present = new Set(addresses.map(addressFamilyOf))
  return ADDRESS_FAMILIES.filter((family) => present.has(family))
}

/**
 * A part of a target's paths that detectors look at on its own: every path, one address family (when
 * the target has both), or one address (when its family has several, as ns1 and ns2 VIPs do). A vantage
 * that fails over IPv6 and answers over IPv4 is failing in the IPv6 slice, which is how a partial black
 * hole is seen at all; in the slice of every path it is 'partial'.
 */
export interface PathSlice {
  /** 'all', 'ipv4', 'ipv6' or 'address:<address>'. */
  id: string
  /** 0 for every path, 1 for a family, 2 for one address: a finding made in a wider slice explains the same finding in a narrower one. */
  level: 0 | 1 | 2
  /** Words for summaries: '' for every path, 'over IPv6', 'on 198.51.100.54'. */
  text: string
  addresses: string[]
}

export const ALL_PATHS_ID = 'all'

export function pathSlicesOf(target: { addresses: readonly string[] }): PathSlice[] {
  const slices: PathSlice[] = [{ id: ALL_PATHS_ID, level: 0, text: '', addresses: [...target.addresses] }]
  const families = familiesOf(target.addresses)
  for (const family of families) {
    const inFamily = target.addresses.filter((address) => addressFamilyOf(address) === family)
    if (families.length > 1) slices.push({ id: family, level: 1, text: `over ${familyLabel(family)}`, addresses: inFamily })
    if (inFamily.length > 1) {
      for (const address of inFamily) slices.push({ id: `address:${address}`, level: 2, text: `on ${address}`, addresses: [address] })
    }
  }
  return slices
}

/**
 * Words for a part of the target's addresses: '' for all of them, 'over IPv6' for every address of a
 * family, otherwise 'on' and the addresses.
 */
export function addressesText(all: readonly string[], part: readonly string[]): string {
  const chosen = new Set(part)
  if (all.every((address) => chosen.has(address))) return ''
  const wholeFamilies = familiesOf(part).filter((family) =>
    all.filter((address) => addressFamilyOf(address) === family).every((address) => chosen.has(address)),
  )
  const coveredByFamilies = part.every((address) => wholeFamilies.includes(addressFamilyOf(address)))
  if (coveredByFamilies) return `over ${wholeFamilies.map(familyLabel).join(' and ')}`
  return `on ${all.filter((address) => chosen.has(address)).join(', ')}`
}
