// Cloudflare's own address ranges, which Workers cannot open sockets to ("proxy request failed, cannot
// connect to the specified address"): the list published at https://www.cloudflare.com/ips/ (ips-v4,
// ips-v6), plus the public resolver's 1.1.1.0/24 and 1.0.0.0/24 and their IPv6 prefixes. An anycast
// service announced by Cloudflare cannot be probed from the Worker; the Worker's config check says so.
import { parsePrefix, prefixCovers } from './prefix.ts'

export const CLOUDFLARE_RANGES: readonly string[] = [
  '173.245.48.0/20',
  '103.21.244.0/22',
  '103.22.200.0/22',
  '103.31.4.0/22',
  '141.101.64.0/18',
  '108.162.192.0/18',
  '190.93.240.0/20',
  '188.114.96.0/20',
  '197.234.240.0/22',
  '198.41.128.0/17',
  '162.158.0.0/15',
  '104.16.0.0/13',
  '104.24.0.0/14',
  '172.64.0.0/13',
  '131.0.72.0/22',
  '1.1.1.0/24',
  '1.0.0.0/24',
  '2400:cb00::/32',
  '2606:4700::/32',
  '2803:f800::/32',
  '2405:b500::/32',
  '2405:8100::/32',
  '2a06:98c0::/29',
  '2c0f:f248::/32',
]

/** The Cloudflare range holding the address, or null. */
export function cloudflareRangeOf(address: string): string | null {
  if (parsePrefix(address) === null) return null
  return CLOUDFLARE_RANGES.find((range) => prefixCovers(range, address)) ?? null
}
