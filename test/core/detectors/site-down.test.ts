import { describe, expect, it } from 'vitest'
import { siteDown } from '../../../src/core/detectors/site-down.ts'
import { cycle, ok, repeat, runDetector, sequence, timeout } from '../../support/cycles.ts'

const healthy = repeat(3, { par: ok('fra'), lon: ok('fra'), ber: ok('ber') })

describe('site-down detector', () => {
  it('reports a site whose vantages all moved away, and where they went', () => {
    const history = sequence(healthy, [cycle(0, { par: ok('ams'), lon: ok('lon'), ber: ok('ber') })])
    expect(runDetector(siteDown, history)).toEqual([
      expect.objectContaining({
        kind: 'site-down',
        scope: 'site:fra',
        severity: 'error',
        summary: 'fra answers none of the vantages it served: lon and par moved to ams and lon',
        evidence: expect.objectContaining({ sites: ['fra', 'ams', 'lon'], vantages: ['lon', 'par'] }),
      }),
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

  it('forgets a site that served nobody within lookbackCycles', () => {
    const history = sequence(healthy, repeat(5, { par: ok('ams'), lon: ok('ams'), ber: ok('ber') }))
    expect(runDetector(siteDown, history, { lookbackCycles: 5 })).toEqual([])
    expect(runDetector(siteDown, history, { lookbackCycles: 6 }).map((finding) => finding.scope)).toEqual(['site:fra'])
  })
})
