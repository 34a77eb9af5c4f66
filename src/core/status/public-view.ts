// What the status page may know about the config: targets, sites and vantages with their labels and
// coordinates. Built from the config by core/public-config.ts; nothing under core/status imports the
// config itself, so no secret, route or runner can reach a page (the UptimeFlare CVE).

export interface PublicSite {
  id: string
  label: string
  latitude: number
  longitude: number
}

export interface PublicTarget {
  id: string
  label: string
  addresses: string[]
  port: number
  sites: PublicSite[]
  /** The config's `bgp` block lists the target: its BGP view is checked each cycle. */
  bgpConfigured: boolean
}

export interface PublicVantage {
  id: string
  label: string
  region: string
  latitude: number | null
  longitude: number | null
}

export interface PublicConfig {
  targets: PublicTarget[]
  vantages: PublicVantage[]
  /** Base URL of the status page: links in the Atom feed are absolute. */
  statusPageUrl: string
}
