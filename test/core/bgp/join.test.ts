// The BGP join of one target: site statuses from fresh results only, the evidence a black hole or a
// failover carries, the BGP findings, and what could not be checked (so its incidents are held).
import { describe, expect, it } from 'vitest'
import { BgpDetectionSettingsSchema } from '../../../src/core/bgp/detectors/index.ts'
import { bgpNotChecked, joinBgp, type BgpJoinInput } from '../../../src/core/bgp/join.ts'
import type { BgpSourceResult } from '../../../src/core/bgp/model.ts'
import { fresh, MINUTE_MS, ORIGIN, PREFIX, route, RULES, snapshot, stale, T0, unavailable } from '../../support/bgp.ts'

const DETECTION = BgpDetectionSettingsSchema.parse({})
const BGP_KINDS = ['bgp-visibility-loss', 'bgp-unexpected-origin', 'bgp-flapping', 'bgp-rpki-invalid']

/** fra by its community (two peers, one path), ams by community and upstream AS64513 (two peers). */
const fraRoutes = [
  route(`64496 64510 ${ORIGIN}`, { peer: '10.0.0.1', communities: ['64500:1'] }),
  route(`64497 64510 ${ORIGIN}`, { peer: '10.0.0.2', communities: ['64500:1'] }),
]
const amsRoutes = [
  route(`64498 64513 ${ORIGIN}`, { peer: '10.0.0.3', communities: ['64500:3'] }),
  route(`64499 64513 ${ORIGIN}`, { peer: '10.0.0.4' }),
]

function join(sources: Record<string, BgpSourceResult[]>, fields: Partial<BgpJoinInput> = {}) {
  return joinBgp({
    target: 'lab',
    at: T0,
    rules: RULES,
    prefixes: [{ prefix: PREFIX, expectedOriginAsns: [ORIGIN], sources: Object.entries(sources).map(([source, results]) => ({ source, results })) }],
    detection: DETECTION,
    ...fields,
  })
}

describe('the BGP join of a target', () => {
  it('shows an announced site with the paths and community naming it and the peers routing to it', () => {
    const result = join({ ripestat: [fresh(snapshot([...fraRoutes, ...amsRoutes]))] })
    expect(result.sites).toEqual({ fra: 'announced', ber: 'withdrawn', ams: 'announced' })
    expect(result.evidence['fra']).toEqual({
      text: 'named by community 64500:1',
      details: {
        bgpSources: [`ripestat ${PREFIX}: 2 of 4 peers route to fra`],
        bgpPeersSeeing: 2,
        bgpPeersTotal: 4,
        bgpPaths: ['64496 64510 64500 (community 64500:1), 1 peer', '64497 64510 64500 (community 64500:1), 1 peer'],
        bgpCommunity: '64500:1',
        bgpUpstream: null,
      },
    })
    expect(result.evidence['ams']?.text).toBe('named by community 64500:3 and upstream AS64513')
    expect(result.evidence['ams']?.details['bgpPaths']).toEqual(['64498 64513 64500 (community 64500:3), 1 peer', '64499 64513 64500 (upstream AS64513), 1 peer'])
  })

  it('keeps each address family apart: fra withdrawn over IPv6 while its IPv4 route stays', () => {
    const PREFIX_V6 = '2001:db8::/32'
    const source = (prefix: string, routes: Parameters<typeof snapshot>[0]) => ({ source: 'ripestat', results: [fresh(snapshot(routes, { prefix }))] })
    const result = joinBgp({
      target: 'lab',
      at: T0,
      rules: RULES,
      prefixes: [
        { prefix: PREFIX, expectedOriginAsns: [ORIGIN], sources: [source(PREFIX, [...fraRoutes, ...amsRoutes])] },
        { prefix: PREFIX_V6, expectedOriginAsns: [ORIGIN], sources: [source(PREFIX_V6, amsRoutes)] },
      ],
      detection: DETECTION,
    })
    expect(result.sites['fra']).toBe('announced')
    expect(result.sitesByFamily).toEqual({
      ipv4: { fra: 'announced', ber: 'withdrawn', ams: 'announced' },
      ipv6: { fra: 'withdrawn', ber: 'withdrawn', ams: 'announced' },
    })
  })

  it('shows a withdrawn site with where its peers route now and when its route was last seen', () => {
    const before = fresh(snapshot([...fraRoutes, ...amsRoutes], { dataAt: T0 - 10 * MINUTE_MS }))
    const now = fresh(snapshot(amsRoutes))
    const result = join({ ripestat: [before, now] })
    expect(result.sites['fra']).toBe('withdrawn')
    expect(result.evidence['fra']?.text).toBe('no peer routes to it; last seen announced in data of 2026-01-05T11:50:00.000Z')
    expect(result.evidence['fra']?.details).toMatchObject({ bgpPeersSeeing: 0, bgpCatchment: ['ams: 2 peers'], bgpLastAnnouncedAt: '2026-01-05T11:50:00.000Z' })
  })

  it('leaves every site out (not checked) when no source is fresh, says why, and holds every BGP kind and the failovers', () => {
    const result = join({ ripestat: [stale(snapshot(fraRoutes))], lg: [unavailable('HTTP 500')] })
    expect(result.sites).toEqual({})
    expect(result.findings).toEqual([])
    expect(result.evidence['fra']?.text).toBe('ripestat stale: RIS data is 40 min old; lg unavailable: HTTP 500')
    expect(result.evidence['fra']?.details['bgpSources']).toEqual([
      `ripestat ${PREFIX}: stale (RIS data is 40 min old)`,
      `lg ${PREFIX}: unavailable (HTTP 500)`,
    ])
    const held = result.unchecked.map((entry) => [entry.kind, entry.scope, entry.source ?? null])
    for (const source of ['ripestat', 'lg']) for (const kind of BGP_KINDS) expect(held).toContainEqual([kind, `prefix:${PREFIX}`, source])
    expect(held.filter(([kind]) => kind === 'failover')).toEqual([
      ['failover', 'site:fra', null],
      ['failover', 'site:ber', null],
      ['failover', 'site:ams', null],
    ])
  })

  it('decides from the fresh source when another one is down, and holds only what the down one would have found', () => {
    const result = join({ ripestat: [fresh(snapshot([...fraRoutes, ...amsRoutes]))], lg: [unavailable('HTTP 500')] })
    expect(result.sites).toEqual({ fra: 'announced', ber: 'withdrawn', ams: 'announced' })
    expect(result.unchecked.filter((entry) => entry.source === 'lg').map((entry) => entry.kind)).toEqual(BGP_KINDS)
    expect(result.unchecked.filter((entry) => entry.source === 'ripestat').map((entry) => entry.kind)).toEqual(['bgp-flapping', 'bgp-rpki-invalid'])
    expect(result.unchecked.some((entry) => entry.kind === 'failover')).toBe(false)
  })

  it('makes the BGP detectors findings over the source history', () => {
    const many = [...fraRoutes, ...amsRoutes, route(`64490 64510 ${ORIGIN}`, { peer: '10.0.0.5', communities: ['64500:1'] })]
    const result = join({ ripestat: [fresh(snapshot(many)), fresh(snapshot(amsRoutes))] })
    expect(result.findings.map((finding) => [finding.kind, finding.scope, finding.evidence.details['source']])).toContainEqual([
      'bgp-visibility-loss',
      `prefix:${PREFIX}`,
      'ripestat',
    ])
  })

  it('holds a failover while fresh data cannot name any site', () => {
    const stripped = [route(`64496 64999 ${ORIGIN}`, { peer: '10.0.0.1' })]
    const result = join({ ripestat: [fresh(snapshot(stripped))] })
    expect(result.sites).toEqual({ fra: 'unknown', ber: 'unknown', ams: 'unknown' })
    expect(result.evidence['fra']?.text).toBe('no route names any site')
    expect(result.unchecked.filter((entry) => entry.kind === 'failover')).toHaveLength(3)
  })

  it("lets newer data of the same collectors supersede older data: RIS Live's withdrawal wins over the lagging looking glass", () => {
    const risLiveBefore = fresh(snapshot([...fraRoutes, ...amsRoutes], { source: 'ris-live', dataAt: T0 - 3 * MINUTE_MS }))
    const risLiveNow = fresh(snapshot(amsRoutes, { source: 'ris-live', dataAt: T0 - 5_000 }))
    const lookingGlass = fresh(snapshot([...fraRoutes, ...amsRoutes], { dataAt: T0 - MINUTE_MS }))
    const result = join({ 'ris-live': [risLiveBefore, risLiveNow], ripestat: [lookingGlass] })
    expect(result.sites).toEqual({ fra: 'withdrawn', ber: 'withdrawn', ams: 'announced' })
    expect(result.evidence['fra']?.text).toBe('no peer routes to it; last seen announced in data of 2026-01-05T11:57:00.000Z')
    expect(result.evidence['fra']?.details).toMatchObject({
      bgpSources: [`ris-live ${PREFIX}: 0 of 2 peers route to fra`, `ripestat ${PREFIX}: superseded by ris-live's newer data of the same collectors`],
      bgpPeersSeeing: 0,
      bgpPeersTotal: 2,
      bgpPaths: [],
      bgpCatchment: ['ams: 2 peers'],
    })
    expect(result.unchecked.some((entry) => entry.kind === 'failover')).toBe(false)
  })

  it('lets the looking glass supersede RIS Live when the feed has been quiet for longer than the looking glass lags', () => {
    const quietFeed = fresh(snapshot([...fraRoutes, ...amsRoutes], { source: 'ris-live', dataAt: T0 - 10 * MINUTE_MS }))
    const lookingGlass = fresh(snapshot(amsRoutes, { dataAt: T0 - MINUTE_MS }))
    const result = join({ 'ris-live': [quietFeed], ripestat: [lookingGlass] })
    expect(result.sites['fra']).toBe('withdrawn')
    expect(result.evidence['ams']?.details).toMatchObject({
      bgpSources: [`ris-live ${PREFIX}: superseded by ripestat's newer data of the same collectors`, `ripestat ${PREFIX}: 2 of 2 peers route to ams`],
      bgpPeersSeeing: 2,
      bgpPeersTotal: 2,
    })
  })

  it('still merges sources of different collectors: a route a private looking glass misses, RIS still sees', () => {
    const privateRoutes = amsRoutes.map((entry) => ({ ...entry, collector: 'lg-fra' }))
    const privateGlass = fresh(snapshot(privateRoutes, { source: 'lg', dataAt: T0 - 5_000 }))
    const ris = fresh(snapshot([...fraRoutes, ...amsRoutes], { dataAt: T0 - MINUTE_MS }))
    const result = join({ lg: [privateGlass], ripestat: [ris] })
    expect(result.sites['fra']).toBe('announced')
    expect(result.evidence['fra']?.details).toMatchObject({
      bgpSources: [`lg ${PREFIX}: 0 of 2 peers route to fra`, `ripestat ${PREFIX}: 2 of 4 peers route to fra`],
      bgpPeersSeeing: 2,
      bgpPeersTotal: 6,
    })
  })

  it('counts snapshots of the same collectors with the same data time both', () => {
    const risLive = fresh(snapshot(amsRoutes, { source: 'ris-live', dataAt: T0 - MINUTE_MS }))
    const lookingGlass = fresh(snapshot([...fraRoutes, ...amsRoutes], { dataAt: T0 - MINUTE_MS }))
    expect(join({ 'ris-live': [risLive], ripestat: [lookingGlass] }).sites['fra']).toBe('announced')
  })

  it('holds everything of the target when the check itself failed', () => {
    const result = bgpNotChecked(RULES, [PREFIX], 'BGP join failed: boom')
    expect(result.unchecked.map((entry) => entry.kind)).toEqual([...BGP_KINDS, 'failover', 'failover', 'failover'])
    expect(result.sites).toEqual({})
  })
})
