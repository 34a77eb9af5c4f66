import { describe, expect, it } from 'vitest'
import { catchmentOf, diffCatchments, medianMs, unheardVantages, type VantageState } from '../../src/core/catchment.ts'
import { compileSiteTable } from '../../src/core/config.ts'
import type { CycleRecord } from '../../src/core/findings.ts'
import {
  ADDRESS_V6,
  catchmentCycles,
  on,
  cycle,
  networkError,
  ok,
  okAnonymous,
  okBinary,
  okFrom,
  refused,
  servfail,
  TARGET,
  timeout,
} from '../support/cycles.ts'

const resolveSite = compileSiteTable(TARGET.sites)

function stateOf(record: CycleRecord, vantage: string): Omit<VantageState, 'observations'> {
  const state = catchmentOf(record, resolveSite).get(vantage)
  if (state === undefined) throw new Error(`no state for ${vantage}`)
  const { observations: _observations, ...rest } = state
  return rest
}

describe('catchmentOf', () => {
  it('says a vantage is answering site S when its ok answers name S', () => {
    expect(stateOf(cycle(0, { par: ok('fra', 12) }), 'par')).toEqual({
      vantage: 'par',
      status: 'answering',
      sites: ['fra'],
      failedSites: [],
      rttsMs: [12],
      missingReason: null,
    })
  })

  it('gives a vantage whose UDP and TCP answers come from two sites both sites, sorted', () => {
    const state = stateOf(cycle(0, { par: [ok('fra', 12, 'udp'), ok('ams', 15, 'tcp')] }), 'par')
    expect(state.sites).toEqual(['ams', 'fra'])
    expect(state.rttsMs).toEqual([12, 15])
  })

  it('calls a vantage failing when none of its observations is ok, whatever the outcomes', () => {
    const state = stateOf(cycle(0, { par: [timeout(), networkError(), servfail(), refused()] }), 'par')
    expect(state.status).toBe('failing')
    expect(state.sites).toEqual([])
  })

  it('keeps an address answering when one transport fails and another is ok (transport divergence speaks for that)', () => {
    expect(stateOf(cycle(0, { par: [ok('fra'), timeout('tcp')] }), 'par').status).toBe('answering')
  })

  it('calls a vantage that answers over IPv4 and fails over IPv6 partial: neither answering nor failing', () => {
    const state = stateOf(cycle(0, { par: [ok('fra'), on(ADDRESS_V6, timeout())] }), 'par')
    expect(state).toMatchObject({ status: 'partial', sites: ['fra'] })
  })

  it('calls a vantage whose IPv4 and IPv6 answers come from different sites split, not a "ber+fra" catchment', () => {
    const state = stateOf(cycle(0, { par: [ok('fra'), on(ADDRESS_V6, ok('ber'))] }), 'par')
    expect(state).toMatchObject({ status: 'split', sites: ['ber', 'fra'] })
  })

  it('keeps a vantage answering when both families answer from the same site, and one address names no node', () => {
    expect(stateOf(cycle(0, { par: [ok('fra'), on(ADDRESS_V6, ok('fra'))] }), 'par').status).toBe('answering')
    expect(stateOf(cycle(0, { par: [ok('fra'), on(ADDRESS_V6, okAnonymous())] }), 'par')).toMatchObject({ status: 'answering', sites: ['fra'] })
  })

  it('calls an ok answer without identity unidentified: reachable, but no catchment', () => {
    const state = stateOf(cycle(0, { par: okAnonymous(9) }), 'par')
    expect(state).toMatchObject({ status: 'unidentified', sites: [], rttsMs: [9] })
  })

  it('ignores answers without identity for the catchment when another answer names a site', () => {
    expect(stateOf(cycle(0, { par: [okAnonymous(), ok('ber')] }), 'par')).toMatchObject({ status: 'answering', sites: ['ber'] })
  })

  it('resolves an identity no site claims to "unknown"', () => {
    expect(stateOf(cycle(0, { par: okFrom('tyo1.ns.example') }), 'par').sites).toEqual(['unknown'])
  })

  it('looks binary NSIDs up by their hex, so a site table can name them', () => {
    const binaryAware = compileSiteTable([{ ...(TARGET.sites[0] as (typeof TARGET.sites)[number]), match: { exact: ['c0ffee'] } }])
    expect(catchmentOf(cycle(0, { par: okBinary('c0ffee') }), binaryAware).get('par')?.sites).toEqual(['fra'])
  })

  it('remembers which site sent a failing answer that carried an identity', () => {
    expect(stateOf(cycle(0, { par: servfail('fra') }), 'par')).toMatchObject({ status: 'failing', failedSites: ['fra'] })
  })

  it('marks a vantage listed in missingVantages as missing (no data), not failing', () => {
    const state = stateOf(cycle(0, { ber: ok('ber') }, { missing: ['par'] }), 'par')
    expect(state).toMatchObject({ status: 'missing', missingReason: 'runner did not report' })
  })

  it('keeps what a vantage reported even when it is also listed as missing', () => {
    expect(stateOf(cycle(0, { par: ok('fra') }, { missing: ['par'] }), 'par').status).toBe('answering')
  })
})

describe('diffCatchments', () => {
  it('lists vantages answering in both cycles whose sites changed, and nothing else', () => {
    const before = catchmentOf(cycle(0, { par: ok('fra'), ber: ok('ber'), lon: ok('lon'), nyc: ok('lon') }), resolveSite)
    const after = catchmentOf(cycle(1, { par: ok('ams'), ber: ok('ber'), lon: timeout(), sin: ok('fra') }, { missing: ['nyc'] }), resolveSite)
    expect(diffCatchments(before, after)).toEqual([{ vantage: 'par', fromSites: ['fra'], toSites: ['ams'] }])
  })
})

describe('unheardVantages', () => {
  it('names vantages seen before that did not report in the last cycle, listed as missing or absent', () => {
    const cycles = catchmentCycles([cycle(0, { par: ok('fra'), ber: ok('ber'), lon: ok('lon') }), cycle(1, { ber: ok('ber') }, { missing: ['par'] })])
    expect(unheardVantages(cycles)).toEqual(['lon', 'par'])
  })
})

describe('medianMs', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect([medianMs([3, 1, 2]), medianMs([4, 1, 3, 2]), medianMs([])]).toEqual([2, 2.5, null])
  })
})
