// The BGP part of a finding's details, for the alert renderers: the route status, the AS paths, the
// peer counts and the sources, under readable names, in a fixed order. Details that are not BGP's stay
// with the renderers' generic list.
import type { FindingEvidence } from '../findings.ts'

interface BgpDetailField {
  key: string
  /** For people (Slack). */
  label: string
  /** For machines (PagerDuty custom_details). */
  field: string
}

const BGP_DETAIL_FIELDS: readonly BgpDetailField[] = [
  { key: 'bgp', label: 'route', field: 'route' },
  { key: 'bgpPeersSeeing', label: 'peers routing to the site', field: 'peers_routing_to_site' },
  { key: 'bgpPeersTotal', label: 'peers seeing the prefix', field: 'peers_seeing_prefix' },
  { key: 'peersSeeing', label: 'peers seeing the prefix', field: 'peers_seeing_prefix' },
  { key: 'baselinePeers', label: 'peers seeing it before', field: 'baseline_peers' },
  { key: 'bgpPaths', label: 'AS path', field: 'as_paths' },
  { key: 'paths', label: 'AS path', field: 'as_paths' },
  { key: 'bgpCommunity', label: 'community', field: 'community' },
  { key: 'bgpUpstream', label: 'upstream', field: 'upstream' },
  { key: 'bgpCatchment', label: 'peers now route to', field: 'now_routing_to' },
  { key: 'bgpLastAnnouncedAt', label: 'last seen announced', field: 'last_announced_at' },
  { key: 'bgpSources', label: 'source', field: 'sources' },
]

type DetailValue = FindingEvidence['details'][string]

export interface BgpDetail extends BgpDetailField {
  value: DetailValue
}

/** The BGP details present (null values left out), in the order above. */
export function bgpDetailsOf(details: FindingEvidence['details']): BgpDetail[] {
  return BGP_DETAIL_FIELDS.flatMap((field) => {
    const value = details[field.key]
    return value === undefined || value === null ? [] : [{ ...field, value }]
  })
}

export function isBgpDetail(key: string): boolean {
  return BGP_DETAIL_FIELDS.some((field) => field.key === key)
}

/** The BGP details as one object for machines; null when the finding has none. */
export function bgpDetailsObject(details: FindingEvidence['details']): Record<string, DetailValue> | null {
  const present = bgpDetailsOf(details)
  return present.length === 0 ? null : Object.fromEntries(present.map((detail) => [detail.field, detail.value]))
}
