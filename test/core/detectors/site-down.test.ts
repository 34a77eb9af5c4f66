import { describe, expect, it } from 'vitest'
import { siteDown } from '../../../src/core/detectors/site-down.ts'
import type { BgpSiteEvidence, BgpSiteStatus } from '../../../src/core/detectors/index.ts'
import type { CycleRecord } from '../../../src/core/findings.ts'
import { at, catchmentCycles, cycle, ok, repeat, runDetector, sequence, TARGET, timeout } from '../../support/cycles.ts'

const healthy = repeat(3, { par: ok('fra'), lon: ok('fra'), ber: ok('ber') })
const fraLeft = sequence(healthy, [cycle(0, { par: ok('ams'), lon: ok('lon'), ber: ok('ber') })])
const withdrawal: BgpSiteEvidence = { text: 'no peer routes to it', details: { bgpPeersSeeing: 0, bgpCatchment: ['ams: 2 peers'] } }
const announcement: BgpSiteEvidence = { text: 'named by community 64500:1', details: { bgpPeersSeeing: 2, bgpCommunity: '64500:1' } }

function detect(history: readonly CycleRecord[], bgp: BgpSiteStatus, bgpEvidence: Record<string, BgpSiteEvidence> = {}) {
  return siteDown.detect({ target: TARGET, cycles: catchmentCycles(history), bgp, bgpEvidence }, siteDown.params.parse({}))
}

describe('site-down detector', () => {
  it('calls a site whose vantages all moved away a clean failover without BGP data, and says where they went', () => {
    const history = sequence(healthy, [cycle(0, { par: ok('ams'), lon: ok('lon'), ber: ok('ber') })])
    expect(runDetector(siteDown, history)).toEqual([
      expect.objectContaining({
        kind: 'failover',
        scope: 'site:fra',
        severity: 'warning',
        summary: 'fra answers none of the vantages it served and its vantages moved: lon and par to ams and lon: clean failover (BGP not checked)',
        evidence: expect.objectContaining({ sites: ['fra', 'ams', 'lon'], vantages: ['lon', 'par'], details: expect.objectContaining({ bgp: 'not checked', confirmed: true }) }),
      }),
    ])
  })

  it('is a site-down error when some former vantages moved and others fail', () => {
    const history = sequence(healthy, [cycle(0, { par: ok('ams'), lon: timeout(), ber: ok('ber') })])
    expect(runDetector(siteDown, history)).toEqual([
      expect.objectContaining({ kind: 'site-down', severity: 'error', summary: 'fra answers none of the vantages it served: par moved to ams; lon fails' }),
    ])
  })

  it('lists former vantages that now fail beside the ones that moved', () => {
    const history = sequence(healthy, [cycle(0, { par: ok('ams'), lon: timeout(), ber: ok('ber') })])
    const [finding] = runDetector(siteDown, history)
    expect(finding?.evidence.details).toMatchObject({ movedVantages: ['par'], failingVantages: ['lon'], movedToSites: ['ams'] })
  })

  it('makes no finding while the site still answers one of its vantages', () => {
    expect(runDetector(siteDown, sequence(healthy, [cycle(0, { par: ok('ams'), lon: ok('fra'), ber: ok('ber') })]))).toEqual([])
  })

  it('leaves a site whose vantages all fail to the black-hole and outage detectors', () => {
    expect(runDetector(siteDown, sequence(healthy, [cycle(0, { par: timeout(), lon: timeout(), ber: ok('ber') })]))).toEqual([])
  })

  it('calls a site BGP shows withdrawn whose vantages all moved a clean failover, with the withdrawal in summary and details', () => {
    const findings = detect(fraLeft, { fra: 'withdrawn', ber: 'announced' }, { fra: withdrawal })
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({
      kind: 'failover',
      scope: 'site:fra',
      severity: 'warning',
      summary: 'fra is withdrawn from BGP (no peer routes to it) and its vantages moved: lon and par to ams and lon: clean failover',
      evidence: { sites: ['fra', 'ams', 'lon'], vantages: ['lon', 'par'] },
    })
    expect(findings[0]?.evidence.details).toEqual({
      movedVantages: ['lon', 'par'],
      failingVantages: [],
      movedToSites: ['ams', 'lon'],
      lastServedAt: at(2),
      bgp: 'withdrawn',
      confirmed: true,
      bgpPeersSeeing: 0,
      bgpCatchment: ['ams: 2 peers'],
    })
  })

  it("leaves a withdrawn site with a failing former vantage to the black-hole detector's failover finding", () => {
    const history = sequence(healthy, [cycle(0, { par: ok('ams'), lon: timeout(), ber: ok('ber') })])
    expect(detect(history, { fra: 'withdrawn' }, { fra: withdrawal })).toEqual([])
  })

  it('stays a site-down error when BGP still shows the route announced, carrying the BGP status and evidence', () => {
    const [announced] = detect(fraLeft, { fra: 'announced' }, { fra: announcement })
    expect(announced).toMatchObject({ kind: 'site-down', severity: 'error' })
    expect(announced?.summary).toBe('fra answers none of the vantages it served although its route is still announced: lon and par moved to ams and lon')
    expect(announced?.evidence.details).toMatchObject({ bgp: 'announced', bgpPeersSeeing: 2, bgpCommunity: '64500:1', movedVantages: ['lon', 'par'] })
  })

  it('is a clean failover when BGP cannot tell, carrying what BGP showed', () => {
    const [unknown] = detect(fraLeft, { fra: 'unknown' }, { fra: { text: 'no route names any site', details: { bgpPeersSeeing: 0 } } })
    expect(unknown).toMatchObject({ kind: 'failover', severity: 'warning', evidence: { details: { bgp: 'unknown', bgpPeersSeeing: 0 } } })
    expect(unknown?.summary).toMatch(/clean failover \(BGP state unknown\)$/)
  })

  it('does not call a site down when a vantage that failed over to it goes back home while its own vantage is silent', () => {
    // ber normally answers from ber; fra's failover sent it to lon for a while; lon's own vantage (par) is now unheard.
    const history = sequence(
      repeat(3, { par: ok('lon'), ber: ok('ber') }),
      repeat(3, { par: ok('lon'), ber: ok('lon') }),
      [{ ...cycle(0, { ber: ok('ber') }), missingVantages: [{ vantage: 'par', reason: 'runner failed' }] }],
    )
    expect(runDetector(siteDown, history)).toEqual([])
  })

  it('still calls a site down when its own vantage moved away, even after others came and went', () => {
    const history = sequence(
      repeat(3, { par: ok('lon'), ber: ok('ber') }),
      repeat(3, { par: ok('lon'), ber: ok('lon') }),
      [cycle(0, { par: ok('ams'), ber: ok('ber') })],
    )
    expect(runDetector(siteDown, history).map((finding) => [finding.kind, finding.scope, finding.evidence.vantages])).toEqual([['failover', 'site:lon', ['par']]])
  })

  it('forgets a site that served nobody within lookbackCycles', () => {
    const history = sequence(healthy, repeat(5, { par: ok('ams'), lon: ok('ams'), ber: ok('ber') }))
    expect(runDetector(siteDown, history, { lookbackCycles: 5 })).toEqual([])
    expect(runDetector(siteDown, history, { lookbackCycles: 6 }).map((finding) => finding.scope)).toEqual(['site:fra'])
  })
})
