import { describe, expect, it } from 'vitest'
import { outage } from '../../../src/core/detectors/outage.ts'
import { cycle, networkError, ok, okAnonymous, repeat, runDetector, sequence, servfail, timeout } from '../../support/cycles.ts'

const healthy = repeat(2, { par: ok('fra'), ber: ok('ber') })

describe('outage detector', () => {
  it('reports an outage when every reporting vantage fails, with their outcomes and last sites', () => {
    const history = sequence(healthy, [cycle(0, { par: timeout(), ber: [networkError(), servfail()] })])
    expect(runDetector(outage, history)).toEqual([
      expect.objectContaining({
        kind: 'outage',
        scope: 'target',
        severity: 'critical',
        summary: 'no answer from any site: all 2 reporting vantages fail (network-error, servfail, timeout)',
        evidence: expect.objectContaining({ sites: ['ber', 'fra'], vantages: ['ber', 'par'] }),
      }),
    ])
  })

  it('makes no finding while one vantage still gets an answer', () => {
    expect(runDetector(outage, sequence(healthy, [cycle(0, { par: timeout(), ber: ok('ber') })]))).toEqual([])
  })

  it('counts an answer without identity as an answer', () => {
    expect(runDetector(outage, sequence(healthy, [cycle(0, { par: timeout(), ber: okAnonymous() })]))).toEqual([])
  })

  it('leaves vantages that did not report out: all failing among those that did is still an outage', () => {
    const [finding] = runDetector(outage, sequence(healthy, [cycle(0, { par: timeout() }, { missing: ['ber'] })]))
    expect(finding?.evidence.vantages).toEqual(['par'])
  })

  it('makes no finding when no vantage reported at all: no data is not an outage', () => {
    expect(runDetector(outage, sequence(healthy, [cycle(0, {}, { missing: ['par', 'ber'] })]))).toEqual([])
  })

  it('needs minReportingVantages reports before calling it an outage', () => {
    const history = sequence(healthy, [cycle(0, { par: timeout() }, { missing: ['ber'] })])
    expect(runDetector(outage, history, { minReportingVantages: 2 })).toEqual([])
  })
})
