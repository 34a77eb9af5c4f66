import { describe, expect, it } from 'vitest'
import { attributeRoute, attributionRulesOf, bgpCatchment, bgpSiteStatus, mergeBgpSiteStatuses } from '../../../src/core/bgp/attribution.ts'
import { fresh, route, RULES, snapshot, stale, unavailable } from '../../support/bgp.ts'

// RULES: fra by community 64500:1, ber by upstream AS64511, ams by community 64500:3 or upstream AS64513.
const toFra = route('65001 64510 64500', { communities: ['65001:100', '64500:1'] })
const toBer = route('65002 64511 64500 64500')
const toAms = route('65003 64513 64500')
const everySite = snapshot([toFra, toBer, toAms])

describe('BGP site attribution', () => {
  it('names the site of each peer by community, else by the upstream next to the origin', () => {
    expect(bgpCatchment(everySite, RULES).map(({ route: r, siteId, matchedBy }) => [r.peerIp, siteId, matchedBy])).toEqual([
      ['10.0.0.65001', 'fra', 'community'],
      ['10.0.0.65002', 'ber', 'upstream'],
      ['10.0.0.65003', 'ams', 'upstream'],
    ])
  })

  it('prefers a community over an upstream, since two sites can share a transit', () => {
    const viaBerTransitTaggedFra = route('65001 64511 64500', { communities: ['64500:1'] })
    expect(attributeRoute(viaBerTransitTaggedFra, RULES)).toMatchObject({ siteId: 'fra', matchedBy: 'community' })
  })

  it('does not take an upstream AS seen elsewhere in the path for the site', () => {
    expect(attributeRoute(route('64511 3356 64500'), RULES)).toMatchObject({ siteId: null, matchedBy: null })
  })

  it('says every site with a rule is announced when some peer routes to it', () => {
    expect(bgpSiteStatus(fresh(everySite), RULES)).toEqual({ fra: 'announced', ber: 'announced', ams: 'announced' })
  })

  it('says a site is withdrawn when the source is fresh, peers see the prefix, and none routes to that site', () => {
    expect(bgpSiteStatus(fresh(snapshot([toFra, toAms])), RULES)).toEqual({ fra: 'announced', ber: 'withdrawn', ams: 'announced' })
  })

  it('says unknown, never withdrawn, when the source is stale', () => {
    expect(bgpSiteStatus(stale(snapshot([toFra])), RULES)).toEqual({ fra: 'unknown', ber: 'unknown', ams: 'unknown' })
  })

  it('says unknown when the source is unavailable', () => {
    expect(bgpSiteStatus(unavailable(), RULES)).toEqual({ fra: 'unknown', ber: 'unknown', ams: 'unknown' })
  })

  it('says unknown when no peer sees the prefix at all: an outage or a feed problem, not a site withdrawal', () => {
    expect(bgpSiteStatus(fresh(snapshot([])), RULES)).toEqual({ fra: 'unknown', ber: 'unknown', ams: 'unknown' })
  })

  it('says unknown when no route names any site, as when communities are stripped in transit', () => {
    const stripped = snapshot([route('65001 3356 64500'), route('65002 1299 64500')])
    expect(bgpSiteStatus(fresh(stripped), RULES)).toEqual({ fra: 'unknown', ber: 'unknown', ams: 'unknown' })
  })

  it('leaves out sites that have neither a community nor an upstream: not checked', () => {
    const rules = attributionRulesOf([{ id: 'fra', community: '64500:1' }, { id: 'lon' }, { id: 'ber', upstreamAsn: 64511 }])
    expect(rules).toEqual([
      { siteId: 'fra', community: '64500:1' },
      { siteId: 'ber', upstreamAsn: 64511 },
    ])
    expect(Object.keys(bgpSiteStatus(fresh(everySite), rules))).toEqual(['fra', 'ber'])
  })

  it('merges sources: announced if any source sees the route, withdrawn only if every source that could tell agrees', () => {
    expect(
      mergeBgpSiteStatuses([
        { fra: 'withdrawn', ber: 'withdrawn', ams: 'unknown' },
        { fra: 'announced', ber: 'unknown', ams: 'unknown' },
      ]),
    ).toEqual({ fra: 'announced', ber: 'withdrawn', ams: 'unknown' })
  })
})
