import { describe, expect, it } from 'vitest'
import { bgpFlapping, BgpFlappingParamsSchema } from '../../../../src/core/bgp/detectors/flapping.ts'
import type { BgpUpdateEvent } from '../../../../src/core/bgp/model.ts'
import { fresh, input, MINUTE_MS, ORIGIN, peers, PREFIX, snapshot, stale, T0, update } from '../../../support/bgp.ts'

const run = (events: BgpUpdateEvent[], at = T0, params: Record<string, unknown> = {}) =>
  bgpFlapping.detect(
    input([fresh(snapshot(peers(5, 64510), { updates: { from: T0 - 120 * MINUTE_MS, until: T0, events } }))], { at }),
    BgpFlappingParamsSchema.parse(params),
  )

/** Peer `peer` withdraws and re-announces `times` times, the withdrawals `startMinutesAgo`, -10, -20 ... minutes before T0. */
function flaps(peer: number, times: number, startMinutesAgo = 50): BgpUpdateEvent[] {
  return Array.from({ length: times }, (_, index) => [
    update('withdraw', peer, startMinutesAgo - index * 10),
    update('announce', peer, startMinutesAgo - index * 10 - 2),
  ]).flat()
}

/** Peer `peer` announcing the prefix via `site` (fra by its community, ams by its upstream AS64513) `minutesAgo` before T0. */
function via(site: 'fra' | 'ams', peer: number, minutesAgo: number): BgpUpdateEvent {
  const announcement = update('announce', peer, minutesAgo)
  return site === 'fra' ? { ...announcement, communities: ['64500:1'] } : { ...announcement, asPath: [65001, 64513, ORIGIN] }
}

/** Peer `peer`'s route alternating fra, ams, fra ... `times` announcements, 55, 45, 35 ... minutes before T0. */
function betweenSites(peer: number, times: number): BgpUpdateEvent[] {
  return Array.from({ length: times }, (_, index) => via(index % 2 === 0 ? 'fra' : 'ams', peer, 55 - index * 10))
}

describe('BGP flapping', () => {
  it('reports the prefix when enough peers withdraw and re-announce it repeatedly within the window', () => {
    const findings = run([...flaps(1, 3), ...flaps(2, 3), ...flaps(3, 4)])
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({
      kind: 'bgp-flapping',
      scope: `prefix:${PREFIX}`,
      severity: 'warning',
      evidence: { details: { flappingPeers: 3, withdrawals: 10, announcements: 10, withdrawalsPerHour: 10, windowMinutes: 60 } },
    })
    expect(findings[0]?.evidence.details.peers).toEqual([
      'rrc00|10.9.0.3 (4 W, 0 moves, 4 A)',
      'rrc00|10.9.0.1 (3 W, 0 moves, 3 A)',
      'rrc00|10.9.0.2 (3 W, 0 moves, 3 A)',
    ])
  })

  it("counts a peer's route moving off a site and back as flapping, though the prefix is never withdrawn", () => {
    const findings = run([...betweenSites(1, 5), ...betweenSites(2, 5), ...betweenSites(3, 4)])
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({
      kind: 'bgp-flapping',
      summary: `${PREFIX} flaps: 3 peers withdrew it or moved it off a site 3 or more times in the last 60 minutes (0 withdrawals, 11 site moves, 14 announcements)`,
      evidence: { sites: ['ams', 'fra'], details: { flappingPeers: 3, withdrawals: 0, siteMoves: 11, announcements: 14 } },
    })
    expect(findings[0]?.evidence.details.peers).toEqual([
      'rrc00|10.9.0.1 (0 W, 4 moves, 5 A)',
      'rrc00|10.9.0.2 (0 W, 4 moves, 5 A)',
      'rrc00|10.9.0.3 (0 W, 3 moves, 4 A)',
    ])
  })

  it('adds up a peer\'s withdrawals and its moves off a site', () => {
    const withdrawThenMove = (peer: number) => [update('withdraw', peer, 58), ...betweenSites(peer, 3)]
    const findings = run([1, 2, 3].flatMap(withdrawThenMove))
    expect(findings[0]?.evidence.details).toMatchObject({ flappingPeers: 3, withdrawals: 3, siteMoves: 6 })
    expect(findings[0]?.evidence.details.peers).toContain('rrc00|10.9.0.1 (1 W, 2 moves, 3 A)')
  })

  it('counts no move for a path change within a site, after a route naming no site or a withdrawal, or for the first event in the window', () => {
    const noMoves = (peer: number) => [
      via('ams', peer, 70),
      via('fra', peer, 50),
      { ...via('fra', peer, 45), asPath: [65002, 64496, 64510, ORIGIN] },
      update('announce', peer, 40),
      via('ams', peer, 35),
      update('withdraw', peer, 30),
      via('fra', peer, 25),
    ]
    // One withdrawal each: a single move counted on top would make every peer flap.
    expect(run([1, 2, 3].flatMap(noMoves), T0, { minWithdrawalsPerPeer: 2 })).toEqual([])
  })

  it('stops reporting once the moves slide out of the window', () => {
    const events = [...betweenSites(1, 5), ...betweenSites(2, 5), ...betweenSites(3, 5)]
    expect(run(events)).toHaveLength(1)
    expect(run(events, T0 + 40 * MINUTE_MS)).toEqual([])
  })

  it('does not call one peer resetting its session flapping', () => {
    expect(run([...flaps(1, 6), ...flaps(2, 1), ...flaps(3, 2)])).toEqual([])
  })

  it('counts only the events inside the window ending at the evaluation', () => {
    const old = [...flaps(1, 3, 110), ...flaps(2, 3, 110), ...flaps(3, 3, 110)]
    expect(run(old)).toEqual([])
  })

  it('stops reporting once the flaps slide out of the window', () => {
    const events = [...flaps(1, 3), ...flaps(2, 3), ...flaps(3, 3)]
    expect(run(events)).toHaveLength(1)
    expect(run(events, T0 + 45 * MINUTE_MS)).toEqual([])
  })

  it('checks nothing without update history or a fresh snapshot', () => {
    const params = BgpFlappingParamsSchema.parse({})
    expect(bgpFlapping.detect(input([fresh(snapshot(peers(5, 64510)))]), params)).toEqual([])
    expect(bgpFlapping.detect(input([stale(snapshot(peers(5, 64510)))]), params)).toEqual([])
  })
})
