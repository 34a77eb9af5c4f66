// The stored BGP view of a target: each source's latest result per prefix as the status page reads it,
// peers capped with the count left out, stale data kept for context, no credentials of a URL.
import { describe, expect, it } from 'vitest'
import { redactUrlCredentials, storedBgpView } from '../../../src/core/bgp/source-view.ts'
import { fresh, ORIGIN, peers, PREFIX, RULES, snapshot, stale, T0, unavailable } from '../../support/bgp.ts'

const prefixOf = (results: Parameters<typeof storedBgpView>[2][number]['results']) => [{ prefix: PREFIX, expectedOriginAsns: [ORIGIN], results }]

describe('the stored BGP view', () => {
  it('lists at most the given number of peers per source and counts the others', () => {
    const routes = [...peers(3, 64511), ...peers(2, 64513, { communities: ['64500:3'] })]
    const view = storedBgpView(T0, RULES, prefixOf([fresh(snapshot(routes))]), 4)
    const [source] = view.prefixes[0]?.sources ?? []
    expect(view.checkedAt).toBe(T0)
    expect(source?.peers).toHaveLength(4)
    expect(source?.peersLeftOut).toBe(1)
    expect(source?.catchment).toEqual({ ber: 3, ams: 2 })
    expect(source?.totals?.peersSeeing).toBe(5)
  })

  it('keeps a stale source with its reason and its old data, an unavailable one with its reason only', () => {
    const view = storedBgpView(T0, RULES, prefixOf([stale(snapshot(peers(2, 64511))), unavailable()]))
    expect(view.prefixes[0]?.sources.map((source) => [source.result, source.reason, source.dataAt, source.catchment, source.peersLeftOut])).toEqual([
      ['stale', 'RIS data is 40 min old', new Date(T0 - 30_000).toISOString(), { ber: 2 }, 0],
      ['unavailable', 'looking-glass: HTTP 500 (after 3 attempts)', null, {}, 0],
    ])
  })

  it('redacts the credentials of any URL a reason or a gap quotes', () => {
    const leaky = 'network error: Request cannot be constructed from a URL that includes credentials: https://monitor:s3cret@lg.example/routes/prefix?prefix=x'
    const withGap = snapshot(peers(1, 64511), { gaps: [{ part: 'totals', reason: `${leaky} (and http://a@b.example too)` }] })
    const view = storedBgpView(T0, RULES, prefixOf([unavailable(leaky), fresh(withGap)]))
    const text = JSON.stringify(view)
    expect(text).not.toContain('s3cret')
    expect(text).not.toContain('monitor:')
    expect(view.prefixes[0]?.sources[0]?.reason).toBe(
      'network error: Request cannot be constructed from a URL that includes credentials: https://[redacted]@lg.example/routes/prefix?prefix=x',
    )
    expect(view.prefixes[0]?.sources[1]?.gaps[0]?.reason).toContain('http://[redacted]@b.example too')
  })

  it('leaves text without URL credentials alone', () => {
    const text = 'HTTP 500: see https://lg.example/status?user=a@b for details; mail ops@example.net'
    expect(redactUrlCredentials(text)).toBe(text)
  })
})
