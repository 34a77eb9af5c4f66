// Text tables of the lab topology (for `npm run lab -- topology` and lab/README.md), derived
// from lab/topology.ts. Pure.
import {
  BGP_TIMERS,
  COLLECTOR,
  LINKS,
  ROUTERS,
  SITES,
  VANTAGES,
  VIP4_PREFIX,
  VIP6_PREFIX,
  failoverCatchment,
  failoverRouter,
  interfaceName,
  steadyCatchment,
} from './topology.ts'

export function describeTopology(): string[] {
  const lines: string[] = []
  lines.push(`VIP ${VIP4_PREFIX} and ${VIP6_PREFIX} on the loopback of every site; BGP hold ${BGP_TIMERS.holdSeconds} s, keepalive ${BGP_TIMERS.keepaliveSeconds} s.`)
  lines.push('', '| site | namespace | AS | community | DNS (NSID) | BGP speaker | router |', '|---|---|---|---|---|---|---|')
  for (const site of SITES) {
    lines.push(`| ${site.id} | ${site.namespace} | ${site.asn} | ${site.community.join(':')} | ${site.dns} (${site.nsid}) | ${site.bgp} | ${site.router} |`)
  }
  lines.push('', '| router | namespace | AS | site | vantage | failover to (local-pref) |', '|---|---|---|---|---|---|')
  for (const router of ROUTERS) {
    const prefs = Object.entries(router.routerPreference).map(([id, pref]) => `${id} (${pref})`).join(', ')
    lines.push(`| ${router.id} | ${router.namespace} | ${router.asn} | ${router.site} | ${router.vantage} | ${failoverRouter(router)}; prefs ${prefs} |`)
  }
  lines.push(`| collector | ${COLLECTOR.namespace} | ${COLLECTOR.asn} | passive sessions to r1, r2, r3 | | |`)
  lines.push('', '| link | A | B | IPv4 (A, B) | IPv6 (A, B) | interfaces | one-way delay |', '|---|---|---|---|---|---|---|')
  for (const link of LINKS) {
    lines.push(
      `| ${link.name} | ${link.a} | ${link.b} | ${link.ipv4.join(', ')} | ${link.ipv6.join(', ')} | ${interfaceName(link, link.a)}, ${interfaceName(link, link.b)} | ${link.delayMs === undefined ? 'veth, none' : `relay, ${link.delayMs} ms`} |`,
    )
  }
  lines.push('', '| vantage | steady-state site | expected RTT | when that site is withdrawn | expected RTT |', '|---|---|---|---|---|')
  for (const vantage of VANTAGES) {
    const steady = steadyCatchment(vantage)
    const failover = failoverCatchment(vantage)
    lines.push(`| ${vantage.id} | ${steady.site} | ${steady.rttMs} ms | ${failover.site} via ${failover.routers.join('→')} | ${failover.rttMs} ms |`)
  }
  return lines
}
