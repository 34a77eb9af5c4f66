// RIS Live frames in and out, and the per-prefix state a RIS Live source keeps.
import { describe, expect, it } from 'vitest'
import { recentEvents, risLiveSnapshot, seededRoutes } from '../../../src/core/bgp/ris-live-state.ts'
import { parseRisLiveFrame, routeChangesOfRisMessage, RisLiveMessageSchema, type RisRouteChange } from '../../../src/core/bgp/ris-live.ts'
import { PREFIX, route, T0, update } from '../../support/bgp.ts'

function message(data: Record<string, unknown>) {
  return RisLiveMessageSchema.parse({
    type: 'ris_message',
    data: { timestamp: T0 / 1000, peer: '10.0.0.1', peer_asn: '64496', host: 'rrc25.ripe.net', type: 'UPDATE', ...data },
  })
}

describe('RIS Live frames', () => {
  it('tells messages, pongs, acknowledgements and errors apart, and calls anything else malformed or other', () => {
    expect(parseRisLiveFrame('{"type":"pong","data":null}')).toEqual({ kind: 'pong' })
    expect(parseRisLiveFrame('{"type":"ris_subscribe_ok","data":{}}')).toEqual({ kind: 'subscribed' })
    expect(parseRisLiveFrame('{"type":"ris_error","data":{"message":"Unknown filter"}}')).toEqual({ kind: 'error', message: 'Unknown filter' })
    expect(parseRisLiveFrame('{"type":"ris_rrc_list","data":[]}')).toEqual({ kind: 'other', type: 'ris_rrc_list' })
    expect(parseRisLiveFrame('{')).toEqual({ kind: 'malformed', reason: 'not JSON' })
    expect(parseRisLiveFrame('[1,2]')).toEqual({ kind: 'malformed', reason: 'no "type"' })
    expect(parseRisLiveFrame('{"type":"ris_message","data":{"timestamp":"soon"}}').kind).toBe('malformed')
  })

  it('turns an UPDATE into one change per prefix: the route after an announcement, none after a withdrawal', () => {
    const changes = routeChangesOfRisMessage(
      message({
        path: [64496, 64510, [64500, 64501]],
        community: [[64500, 1]],
        announcements: [{ next_hop: '10.0.0.1', prefixes: [PREFIX, 'eor'] }],
        withdrawals: ['198.51.100.0/24'],
      }),
    )
    expect(changes.map((change) => [change.event.type, change.event.prefix, change.event.collector])).toEqual([
      ['announce', PREFIX, 'rrc25'],
      ['withdraw', '198.51.100.0/24', 'rrc25'],
    ])
    expect(changes[0]?.route).toEqual({
      collector: 'rrc25',
      peerIp: '10.0.0.1',
      peerAsn: 64496,
      asPath: [64496, 64510, 64500, 64501],
      originAsn: null,
      communities: ['64500:1'],
      largeCommunities: [],
      changedAt: T0,
    })
    expect(changes[1]?.route).toBeNull()
    expect(routeChangesOfRisMessage(message({ type: 'KEEPALIVE' }))).toEqual([])
  })
})

describe('the RIS Live prefix state', () => {
  const seedRoute = route('64496 64510 64500', { peer: '10.9.0.1', changedAt: T0 - 120_000 })
  const change = (type: 'announce' | 'withdraw', peer: number, minutesAgo: number): RisRouteChange => {
    const event = update(type, peer, minutesAgo)
    return { event, route: type === 'withdraw' ? null : route(event.asPath.join(' '), { peer: event.peerIp, changedAt: event.at }) }
  }

  it('starts from the seed and replays only the changes not older than its data', () => {
    const routes = seededRoutes({ routes: [seedRoute], dataAt: T0 - 60_000 }, [change('withdraw', 1, 2), change('announce', 2, 0.5)])
    expect([...routes.values()].map((entry) => entry.peerIp)).toEqual(['10.9.0.1', '10.9.0.2'])
    const withdrawn = seededRoutes({ routes: [seedRoute], dataAt: T0 - 60_000 }, [change('withdraw', 1, 0.5)])
    expect(withdrawn.size).toBe(0)
  })

  it('keeps the newest events of the window', () => {
    const events = [update('withdraw', 1, 90), update('announce', 1, 30), update('withdraw', 1, 10), update('announce', 1, 5)]
    expect(recentEvents(events, T0 - 60 * 60_000, 2).map((event) => event.at)).toEqual([T0 - 10 * 60_000, T0 - 5 * 60_000])
  })

  it('is a snapshot with the update events of the prefix and an RPKI gap', () => {
    const snap = risLiveSnapshot({
      source: 'ris-live',
      prefix: PREFIX,
      fetchedAt: T0,
      dataAt: T0 - 1_000,
      seedCollectors: ['rrc00', 'rrc01'],
      routes: new Map([['rrc00|10.9.0.1', seedRoute]]),
      events: [update('withdraw', 1, 5)],
      eventsFrom: T0 - 60_000,
    })
    expect(snap).toMatchObject({ collectors: ['rrc00', 'rrc01'], totals: { peersSeeing: 1 }, rpki: null, gaps: [{ part: 'rpki' }] })
    expect(snap.updates?.events).toHaveLength(1)
  })
})
