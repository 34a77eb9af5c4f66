import { describe, expect, it } from 'vitest'
import { appendBgpResult } from '../../../src/core/bgp/history.ts'
import type { BgpSourceResult } from '../../../src/core/bgp/model.ts'
import { fresh, peers, route, snapshot, unavailable, update } from '../../support/bgp.ts'

const withUpdates = (routes = peers(3, 64510)): BgpSourceResult =>
  fresh(snapshot(routes, { updates: { from: 0, until: 1, events: [update('withdraw', 1, 5)] } }))

describe('the BGP history of a source and prefix', () => {
  it('keeps at most maxResults, the newest last', () => {
    let history: BgpSourceResult[] = []
    for (let index = 0; index < 5; index += 1) history = appendBgpResult(history, unavailable(`failure ${index}`), 3)
    expect(history.map((result) => (result.kind === 'unavailable' ? result.reason : ''))).toEqual(['failure 2', 'failure 3', 'failure 4'])
  })

  it('keeps the update events of the current result only', () => {
    const history = appendBgpResult(appendBgpResult([], withUpdates(), 10), withUpdates(), 10)
    expect(history.map((result) => (result.kind === 'snapshot' ? result.snapshot.updates?.events.length ?? null : 'none'))).toEqual([null, 1])
  })

  it('shares the route objects that did not change with the previous result', () => {
    const first = peers(3, 64510)
    const second = [...peers(2, 64510), route('65003 64511 64500', { peer: '10.10.0.3' })]
    const history = appendBgpResult(appendBgpResult([], fresh(snapshot(first)), 10), fresh(snapshot(second.map((entry) => ({ ...entry })))), 10)
    const [older, newer] = history.map((result) => (result.kind === 'snapshot' ? result.snapshot.routes : []))
    expect(newer?.[0]).toBe(older?.[0])
    expect(newer?.[1]).toBe(older?.[1])
    expect(newer?.[2]).not.toBe(older?.[2])
    expect(newer).toEqual(second)
  })
})
