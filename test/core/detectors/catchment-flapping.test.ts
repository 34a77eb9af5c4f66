import { describe, expect, it } from 'vitest'
import { catchmentFlapping } from '../../../src/core/detectors/catchment-flapping.ts'
import { ok, repeat, runDetector, sequence, series } from '../../support/cycles.ts'

describe('catchment-flapping detector', () => {
  it('reports a vantage that changed site minChanges times within the window (severity info)', () => {
    const history = series(4, (index) => ({ par: ok(index % 2 === 0 ? 'fra' : 'ams'), ber: ok('ber') }))
    expect(runDetector(catchmentFlapping, history.slice(0, 3))).toEqual([])
    expect(runDetector(catchmentFlapping, history)).toEqual([
      expect.objectContaining({
        kind: 'catchment-flapping',
        scope: 'vantage:par',
        severity: 'info',
        summary: 'par changed site 3 times in the last 10 cycles, between ams and fra',
        evidence: expect.objectContaining({ sites: ['ams', 'fra'], vantages: ['par'] }),
      }),
    ])
  })

  it('only counts changes within the window', () => {
    const history = sequence(
      series(4, (index) => ({ par: ok(index % 2 === 0 ? 'fra' : 'ams') })),
      repeat(8, { par: ok('fra') }),
    )
    expect(runDetector(catchmentFlapping, history, { windowCycles: 10 })).toEqual([])
    expect(runDetector(catchmentFlapping, history, { windowCycles: 11 })).toHaveLength(1)
  })

  it('makes one target-wide finding when vantages change site together cycle after cycle', () => {
    const history = series(4, (index) => {
      const fraSide = index % 2 === 0 ? 'fra' : 'ams'
      return { par: ok(fraSide), lon: ok(fraSide), ber: ok('ber') }
    })
    expect(runDetector(catchmentFlapping, history)).toEqual([
      expect.objectContaining({
        scope: 'target',
        severity: 'warning',
        summary: 'catchment flapping: vantages changed site together in 3 of the last 10 cycles, between ams and fra',
        evidence: expect.objectContaining({ vantages: ['lon', 'par'], details: { changeCycles: 3, changes: 6, windowCycles: 10 } }),
      }),
    ])
  })

  it('does not call one failover that moves every vantage once flapping', () => {
    const everyVantageOn = (site: string) => ({ par: ok(site), lon: ok(site), ams: ok(site) })
    const history = sequence(repeat(4, everyVantageOn('fra')), repeat(4, everyVantageOn('ber')))
    expect(runDetector(catchmentFlapping, history)).toEqual([])
  })

  it('says nothing about a flapping vantage in a cycle it did not report in', () => {
    const history = sequence(
      series(4, (index) => ({ par: ok(index % 2 === 0 ? 'fra' : 'ams'), ber: ok('ber') })),
      repeat(1, { ber: ok('ber') }),
    )
    expect(runDetector(catchmentFlapping, history)).toEqual([])
  })
})
