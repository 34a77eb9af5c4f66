import { describe, expect, it } from 'vitest'
import { movesOf, renderCatchmentStrips, segmentsOf } from '../../../src/core/status/catchment-history.ts'
import type { AddressFamily } from '../../../src/core/paths.ts'
import type { CatchmentChange } from '../../../src/ports/store.ts'

const MINUTE_MS = 60_000
const T0 = Date.UTC(2026, 10, 22)
const change = (minute: number, from: string | null, to: string | null, vantage = 'par', family: AddressFamily = 'ipv4'): CatchmentChange => ({ target: 'k-root', vantage, family, at: T0 + minute * MINUTE_MS, from, to })

describe('segmentsOf', () => {
  it('covers the window: the first change\'s "from" before it, each change\'s "to" after it', () => {
    const segments = segmentsOf([change(10, 'fra', 'ams'), change(20, 'ams', 'fra')], undefined, T0, T0 + 30 * MINUTE_MS)
    expect(segments.map(({ site, start, end }) => [site, (start - T0) / MINUTE_MS, (end - T0) / MINUTE_MS])).toEqual([['fra', 0, 10], ['ams', 10, 20], ['fra', 20, 30]])
  })

  it('uses the current site from when it was first seen when nothing changed in the window', () => {
    const entry = { target: 'k-root', vantage: 'par', family: 'ipv4' as const, site: 'fra', since: T0 + 5 * MINUTE_MS, transports: null }
    expect(segmentsOf([], entry, T0, T0 + 30 * MINUTE_MS)).toEqual([{ site: 'fra', start: T0 + 5 * MINUTE_MS, end: T0 + 30 * MINUTE_MS }])
    expect(segmentsOf([], undefined, T0, T0 + 30 * MINUTE_MS)).toEqual([])
  })

  it('absorbs a short stretch without answer between two stretches on the same site, keeps a long one', () => {
    const changes = [change(10, 'fra', null), change(11, null, 'fra'), change(20, 'fra', null), change(29, null, 'fra')]
    const segments = segmentsOf(changes, undefined, T0, T0 + 40 * MINUTE_MS, 5 * MINUTE_MS)
    expect(segments.map(({ site, start }) => [site, (start - T0) / MINUTE_MS])).toEqual([['fra', 0], [null, 20], ['fra', 29]])
  })
})

describe('movesOf', () => {
  it('lists a move and when the vantage came back, ignoring stretches without answer', () => {
    const moves = movesOf([change(10, 'fra', null), change(11, null, 'fra'), change(20, 'fra', 'ams'), change(50, 'ams', null), change(51, null, 'fra')])
    expect(moves).toEqual([{ vantage: 'par', family: 'ipv4', at: T0 + 20 * MINUTE_MS, from: 'fra', to: 'ams', next: { kind: 'back', at: T0 + 51 * MINUTE_MS } }])
  })

  it('lists a second trip to the same site as a move of its own', () => {
    const moves = movesOf([change(10, 'fra', 'ams'), change(20, 'ams', 'fra'), change(30, 'fra', 'ams')])
    expect(moves.map((move) => [(move.at - T0) / MINUTE_MS, move.next.kind])).toEqual([[10, 'back'], [30, 'none']])
  })

  it('follows each address family of a vantage apart: an IPv6 trip is not a return of IPv4', () => {
    const moves = movesOf([change(10, 'fra', 'ams'), change(12, 'fra', 'lhr', 'par', 'ipv6'), change(20, 'ams', 'fra'), change(30, 'lhr', 'fra', 'par', 'ipv6')])
    expect(moves.map((move) => [move.family, move.from, move.to, move.next])).toEqual([
      ['ipv4', 'fra', 'ams', { kind: 'back', at: T0 + 20 * MINUTE_MS }],
      ['ipv6', 'fra', 'lhr', { kind: 'back', at: T0 + 30 * MINUTE_MS }],
    ])
  })

  it('says when a vantage moved on to a third site, and when it is still away', () => {
    const moves = movesOf([change(10, 'fra', 'ams'), change(20, 'ams', 'lhr'), change(15, 'fra', 'ams', 'ber')].sort((a, b) => a.at - b.at))
    expect(moves.map((move) => [move.vantage, move.from, move.to, move.next.kind])).toEqual([['par', 'fra', 'ams', 'onward'], ['ber', 'fra', 'ams', 'none'], ['par', 'ams', 'lhr', 'none']])
  })
})

describe('renderCatchmentStrips', () => {
  it('draws one strip per vantage with a title and a description counting the moves', () => {
    const svg = renderCatchmentStrips({
      id: 'strips', targetLabel: 'K-root', sites: [{ id: 'fra', label: 'Frankfurt', latitude: 50, longitude: 8 }],
      strips: [{ label: 'par', name: 'par', segments: [{ site: 'fra', start: T0, end: T0 + 10 * MINUTE_MS }] }],
      windowStart: T0, windowEnd: T0 + 20 * MINUTE_MS, ticks: [], tickLabel: String, moveCount: 3,
    }).markup
    expect(svg).toContain('role="img"')
    expect(svg).toContain('<title id="strips-title">Catchment history of K-root</title>')
    expect(svg).toContain('3 moves between sites')
    expect(svg).toContain('<title>par on Frankfurt: 2026-11-22 00:00 UTC to 2026-11-22 00:10 UTC (10 min)</title>')
  })
})
