import { describe, expect, it } from 'vitest'
import { bgpFlapping, BgpFlappingParamsSchema } from '../../../../src/core/bgp/detectors/flapping.ts'
import type { BgpUpdateEvent } from '../../../../src/core/bgp/model.ts'
import { fresh, input, MINUTE_MS, peers, PREFIX, snapshot, stale, T0, update } from '../../../support/bgp.ts'

const run = (events: BgpUpdateEvent[], at = T0) =>
  bgpFlapping.detect(
    input([fresh(snapshot(peers(5, 64510), { updates: { from: T0 - 120 * MINUTE_MS, until: T0, events } }))], { at }),
    BgpFlappingParamsSchema.parse({}),
  )

/** Peer `peer` withdraws and re-announces `times` times, the withdrawals `startMinutesAgo`, -10, -20 ... minutes before T0. */
function flaps(peer: number, times: number, startMinutesAgo = 50): BgpUpdateEvent[] {
  return Array.from({ length: times }, (_, index) => [
    update('withdraw', peer, startMinutesAgo - index * 10),
    update('announce', peer, startMinutesAgo - index * 10 - 2),
  ]).flat()
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
    expect(findings[0]?.evidence.details.peers).toEqual(['rrc00|10.9.0.3 (4 W, 4 A)', 'rrc00|10.9.0.1 (3 W, 3 A)', 'rrc00|10.9.0.2 (3 W, 3 A)'])
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
