// The public projection of the config: what the JSON API and the status page may show. Built field by
// field (never by spreading), so a field added to the config later stays private until listed here.
import type { Config, Target, Vantage } from './config.ts'
import type { PublicConfig, PublicTarget, PublicVantage } from './status/public-view.ts'

export function publicConfigOf(config: Config): PublicConfig {
  return {
    targets: config.targets.map((target) => publicTargetOf(target, config.bgp)),
    vantages: config.vantages.map(publicVantageOf),
    statusPageUrl: config.alerts.statusPageUrl,
  }
}

/** `bgp`: the config's `bgp` block, of which only whether it lists the target is public (never a source URL). */
export function publicTargetOf(target: Target, bgp: Config['bgp']): PublicTarget {
  return {
    id: target.id,
    label: target.label,
    addresses: [...target.addresses],
    port: target.port,
    sites: target.sites.map(({ id, label, latitude, longitude }) => ({ id, label, latitude, longitude })),
    bgpConfigured: bgp?.targets.some((entry) => entry.target === target.id) ?? false,
  }
}

export function publicVantageOf(vantage: Vantage): PublicVantage {
  return { id: vantage.id, label: vantage.label, region: vantage.region, latitude: vantage.latitude ?? null, longitude: vantage.longitude ?? null }
}
