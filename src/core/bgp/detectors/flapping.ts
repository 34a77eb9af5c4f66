// BGP flapping: the prefix is withdrawn and re-announced again and again, seen in the update stream
// (RIPEstat bgp-updates) within a window ending now. A peer flaps when it withdrew the prefix at least
// minWithdrawalsPerPeer times in the window; one peer's session resets are noise, so a finding needs
// minFlappingPeers flapping peers. Announcements alone (path changes) are counted for context only.
// Not checked when the source has no update history.
// Recovery: the finding stops once fewer than minFlappingPeers peers flap within the sliding window.
import { z } from 'zod'
import { compareText } from '../../catchment.ts'
import { peerKey, type BgpUpdateEvent } from '../model.ts'
import { bgpFindingOf, currentSnapshot, prefixScope, type BgpDetector, type BgpDetectorInput, type BgpFinding } from './bgp-detector.ts'

const MS_PER_MINUTE = 60_000
const MINUTES_PER_HOUR = 60
const MAX_LISTED_PEERS = 20

export const BgpFlappingParamsSchema = z
  .strictObject({
    windowMinutes: z.number().int().min(5).max(2_880).default(60).describe('Minutes, ending at the evaluation, in which withdrawals are counted.'),
    minWithdrawalsPerPeer: z
      .number()
      .int()
      .min(2)
      .default(3)
      .describe('Withdrawals of the prefix by one peer within the window that make the peer flapping.'),
    minFlappingPeers: z.number().int().min(1).default(3).describe('Flapping peers needed for a finding.'),
  })
  .describe('BGP flapping: repeated withdrawals and re-announcements of the prefix, from the update stream.')

export type BgpFlappingParams = z.output<typeof BgpFlappingParamsSchema>

interface PeerActivity {
  peer: string
  withdrawals: number
  announcements: number
}

function activityByPeer(events: readonly BgpUpdateEvent[]): PeerActivity[] {
  const byPeer = new Map<string, PeerActivity>()
  for (const event of events) {
    const peer = peerKey(event)
    const activity = byPeer.get(peer) ?? { peer, withdrawals: 0, announcements: 0 }
    if (event.type === 'withdraw') activity.withdrawals += 1
    else activity.announcements += 1
    byPeer.set(peer, activity)
  }
  return [...byPeer.values()]
}

function detectBgpFlapping(input: BgpDetectorInput, params: BgpFlappingParams): BgpFinding[] {
  const snapshot = currentSnapshot(input)
  if (snapshot === null || snapshot.updates === null) return []
  const windowStart = input.at - params.windowMinutes * MS_PER_MINUTE
  const events = snapshot.updates.events.filter((event) => event.prefix === input.prefix && event.at >= windowStart && event.at <= input.at)
  const activity = activityByPeer(events)
  const flapping = activity
    .filter((peer) => peer.withdrawals >= params.minWithdrawalsPerPeer)
    .sort((a, b) => b.withdrawals - a.withdrawals || compareText(a.peer, b.peer))
  if (flapping.length < params.minFlappingPeers) return []
  const withdrawals = activity.reduce((sum, peer) => sum + peer.withdrawals, 0)
  const announcements = activity.reduce((sum, peer) => sum + peer.announcements, 0)
  const withdrawalsPerHour = Math.round((withdrawals / params.windowMinutes) * MINUTES_PER_HOUR * 10) / 10
  return [
    bgpFindingOf(input, snapshot, {
      kind: 'bgp-flapping',
      scope: prefixScope(input.prefix),
      severity: 'warning',
      summary:
        `${input.prefix} flaps: ${flapping.length} peers withdrew it ${params.minWithdrawalsPerPeer} or more times ` +
        `in the last ${params.windowMinutes} minutes (${withdrawals} withdrawals, ${announcements} announcements)`,
      sites: [],
      details: {
        flappingPeers: flapping.length,
        withdrawals,
        announcements,
        withdrawalsPerHour,
        windowMinutes: params.windowMinutes,
        peers: flapping.slice(0, MAX_LISTED_PEERS).map((peer) => `${peer.peer} (${peer.withdrawals} W, ${peer.announcements} A)`),
      },
    }),
  ]
}

export const bgpFlapping = {
  kind: 'bgp-flapping',
  params: BgpFlappingParamsSchema,
  historyResults: () => 1,
  detect: detectBgpFlapping,
} satisfies BgpDetector<BgpFlappingParams>
