import { describe, expect, it } from 'vitest'
import { catchmentShift } from '../../../src/core/detectors/catchment-shift.ts'
import { at, ok, okAnonymous, repeat, runDetector, sequence, timeout } from '../../support/cycles.ts'

const onFra = (count: number) => repeat(count, { par: ok('fra', 12), ber: ok('ber', 20) })
const onAms = (count: number) => repeat(count, { par: ok('ams', 31), ber: ok('ber', 20) })
const onLon = (count: number) => repeat(count, { par: ok('lon', 40), ber: ok('ber', 20) })
/** The detector's findings after each cycle of the history, as 'from>to' per finding. */
const shiftsAfterEachCycle = (history: ReturnType<typeof sequence>, params: Record<string, number> = {}) =>
  history.map((_, index) =>
    runDetector(catchmentShift, history.slice(0, index + 1), params).map((finding) => `${finding.evidence.details.fromSites}>${finding.evidence.details.toSites}`),
  )

describe('catchment-shift detector', () => {
  it('reports a shift once the vantage has spent confirmCycles cycles on the new site, with RTT before and after', () => {
    const history = sequence(onFra(3), onAms(3))
    expect(runDetector(catchmentShift, history.slice(0, 5))).toEqual([])
    expect(runDetector(catchmentShift, history)).toEqual([
      expect.objectContaining({
        kind: 'catchment-shift',
        scope: 'vantage:par',
        severity: 'info',
        at: at(5),
        summary: 'par moved from fra to ams (RTT 12 ms → 31 ms), on ams for 3 cycles',
        evidence: expect.objectContaining({
          sites: ['fra', 'ams'],
          vantages: ['par'],
          details: { fromSites: ['fra'], toSites: ['ams'], rttBeforeMs: 12, rttAfterMs: 31, cyclesOnNewSite: 3, movedAt: at(3) },
        }),
      }),
    ])
  })

  it('never confirms a single flip', () => {
    const history = sequence(onFra(3), onAms(1), onFra(3))
    expect(history.map((_, index) => runDetector(catchmentShift, history.slice(0, index + 1)))).toEqual(history.map(() => []))
  })

  it('lets failing and unidentified cycles neither confirm nor break a run', () => {
    const gap = repeat(1, { par: timeout(), ber: ok('ber') })
    const anonymous = repeat(1, { par: okAnonymous(), ber: ok('ber') })
    const history = sequence(onFra(3), gap, onAms(2), anonymous, onAms(1))
    expect(runDetector(catchmentShift, history).map((finding) => finding.evidence.details.cyclesOnNewSite)).toEqual([3])
  })

  it('needs the old site confirmed too', () => {
    expect(runDetector(catchmentShift, sequence(onFra(2), onAms(3)))).toEqual([])
  })

  it('ends once the vantage has settled on the new site for settleCycles cycles', () => {
    const history = sequence(onFra(3), onAms(5))
    expect(runDetector(catchmentShift, history, { settleCycles: 6 })).toHaveLength(1)
    expect(runDetector(catchmentShift, history, { settleCycles: 5 })).toEqual([])
  })

  it('takes a move back before the shift settled (failover, then recovery) as its end, not as a new shift', () => {
    const history = sequence(onFra(5), onAms(4), onFra(8))
    const expected = [...Array<string[]>(7).fill([]), ['fra>ams'], ['fra>ams'], ...Array<string[]>(8).fill([])]
    expect(shiftsAfterEachCycle(history, { settleCycles: 6 })).toEqual(expected)
  })

  it('takes a move back after the shift settled as a shift of its own', () => {
    const history = sequence(onFra(3), onAms(6), onFra(3))
    expect(shiftsAfterEachCycle(history, { settleCycles: 6 }).at(-1)).toEqual(['ams>fra'])
  })

  it('reports a move on to a third site before the shift settled', () => {
    const history = sequence(onFra(3), onAms(4), onLon(3))
    expect(shiftsAfterEachCycle(history, { settleCycles: 6 }).at(-1)).toEqual(['ams>lon'])
  })

  it('rejects settleCycles not above confirmCycles', () => {
    expect(catchmentShift.params.safeParse({ confirmCycles: 5, settleCycles: 5 }).success).toBe(false)
  })
})
