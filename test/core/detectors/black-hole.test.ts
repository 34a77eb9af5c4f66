import { describe, expect, it } from 'vitest'
import { blackHole } from '../../../src/core/detectors/black-hole.ts'
import { at, catchmentCycles, cycle, ok, repeat, runDetector, sequence, servfail, TARGET, timeout } from '../../support/cycles.ts'

const healthy = repeat(3, { par: ok('fra', 12), lon: ok('fra', 14), ber: ok('ber', 20) })
const fraStopsAnswering = sequence(healthy, [cycle(0, { par: timeout(), lon: timeout(), ber: ok('ber', 20) })])

describe('black-hole detector', () => {
  it('names the site the failing vantages answered from last, and the vantages', () => {
    const findings = runDetector(blackHole, fraStopsAnswering)
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({
      kind: 'black-hole',
      target: 'lab',
      scope: 'site:fra',
      severity: 'critical',
      at: at(3),
      evidence: { sites: ['fra'], vantages: ['lon', 'par'], details: { failingCycles: 1, outcomes: ['timeout'], answeringVantages: 1 } },
    })
    expect(findings[0]?.evidence.latest).toEqual([
      { vantage: 'lon', outcome: 'timeout', site: null, rttMs: null, transport: 'udp', address: '198.51.100.53' },
      { vantage: 'par', outcome: 'timeout', site: null, rttMs: null, transport: 'udp', address: '198.51.100.53' },
    ])
  })

  it('says "BGP not checked" when no BGP evidence was given', () => {
    const [finding] = runDetector(blackHole, fraStopsAnswering)
    expect(finding?.summary).toBe('suspected black hole at fra: lon and par get no answer (timeout) while 1 other vantage does; BGP not checked')
    expect(finding?.evidence.details).toMatchObject({ bgp: 'not checked', confirmed: false })
  })

  it('is confirmed when BGP still sees the site announced', () => {
    const [finding] = runDetector(blackHole, fraStopsAnswering, {}, { fra: 'announced', ber: 'announced' })
    expect(finding).toMatchObject({ kind: 'black-hole', evidence: { details: { bgp: 'announced', confirmed: true } } })
    expect(finding?.summary).toMatch(/^black hole at fra: .*its route is still announced$/)
  })

  it('turns into a failover finding when BGP shows the site withdrawn', () => {
    const findings = runDetector(blackHole, fraStopsAnswering, {}, { fra: 'withdrawn' })
    expect(findings.map((finding) => [finding.kind, finding.scope, finding.severity])).toEqual([['failover', 'site:fra', 'warning']])
  })

  it('carries the BGP evidence: the path and community naming the site and the peers routing to it', () => {
    const evidence = {
      text: 'named by community 64500:1',
      details: { bgpPaths: ['64496 64510 64500 (community 64500:1), 1 peer'], bgpCommunity: '64500:1', bgpPeersSeeing: 2, bgpPeersTotal: 4 },
    }
    const [finding] = blackHole.detect(
      { target: TARGET, cycles: catchmentCycles(fraStopsAnswering), bgp: { fra: 'announced' }, bgpEvidence: { fra: evidence } },
      blackHole.params.parse({}),
    )
    expect(finding?.summary).toMatch(/its route is still announced \(named by community 64500:1\)$/)
    expect(finding?.evidence.details).toMatchObject({ bgp: 'announced', confirmed: true, ...evidence.details })
  })

  it('carries the withdrawal on a failover finding', () => {
    const evidence = { text: 'no peer routes to it', details: { bgpCatchment: ['ams: 2 peers'], bgpPeersSeeing: 0 } }
    const [finding] = blackHole.detect(
      { target: TARGET, cycles: catchmentCycles(fraStopsAnswering), bgp: { fra: 'withdrawn' }, bgpEvidence: { fra: evidence } },
      blackHole.params.parse({}),
    )
    expect(finding?.summary).toMatch(/^fra is withdrawn from BGP \(no peer routes to it\) and /)
    expect(finding?.evidence.details).toMatchObject({ bgp: 'withdrawn', bgpCatchment: ['ams: 2 peers'] })
  })

  it('stays a suspicion when BGP could not tell', () => {
    const [finding] = runDetector(blackHole, fraStopsAnswering, {}, { fra: 'unknown' })
    expect(finding).toMatchObject({ kind: 'black-hole', evidence: { details: { bgp: 'unknown', confirmed: false } } })
  })

  it('counts the failing cycles in a row, skipping cycles the vantage did not report in', () => {
    const history = sequence(healthy, [
      cycle(0, { par: timeout(), ber: ok('ber') }),
      cycle(0, { ber: ok('ber') }, { missing: ['par'] }),
      cycle(0, { par: timeout(), ber: ok('ber') }),
    ])
    expect(runDetector(blackHole, history)[0]?.evidence.details.failingCycles).toBe(2)
  })

  it('blames the site named by a failing answer (a SERVFAIL with NSID) over the last known site', () => {
    const history = sequence(healthy, [cycle(0, { par: servfail('ams'), ber: ok('ber') })])
    expect(runDetector(blackHole, history).map((finding) => finding.scope)).toEqual(['site:ams'])
  })

  it('reports a vantage that never answered within the lookback against site "unknown"', () => {
    const history = repeat(2, { par: timeout(), ber: ok('ber') })
    expect(runDetector(blackHole, history).map((finding) => finding.scope)).toEqual(['site:unknown'])
  })

  it('makes no finding when no vantage gets an answer: that is an outage', () => {
    const history = sequence(healthy, [cycle(0, { par: timeout(), lon: timeout(), ber: timeout() })])
    expect(runDetector(blackHole, history)).toEqual([])
  })

  it('does not treat a vantage that did not report as failing', () => {
    const history = sequence(healthy, [cycle(0, { lon: ok('fra'), ber: ok('ber') }, { missing: ['par'] })])
    expect(runDetector(blackHole, history)).toEqual([])
  })

  it('does not call a vantage that moved to another site a black hole', () => {
    const history = sequence(healthy, [cycle(0, { par: ok('ams', 30), lon: ok('fra'), ber: ok('ber') })])
    expect(runDetector(blackHole, history)).toEqual([])
  })
})
