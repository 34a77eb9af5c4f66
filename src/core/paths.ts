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
