// BGP flapping: the prefix, or one site's route to it, comes and goes again and again, seen in the
// update stream (RIPEstat bgp-updates, RIS Live) within a window ending now.
// For anycast, one site's route flapping rarely shows as withdrawals: while the site's route comes and
// goes, the other sites keep the prefix announced, so a collector's peer sees its route replaced by
// one via another site and back (path changes), not the prefix withdrawn. So per peer two things are
// counted: withdrawals, and site moves, an announcement naming a site B (by community or upstream, as
// in ../attribution.ts) when the peer's previous event in the window was an announcement naming
// another site A. A move off a site is that site's route being withdrawn for this peer. Path changes
// within one site, announcements naming no site, and the window's first event of a peer (it has no
// previous) are no move. A peer flaps when withdrawals + site moves >= minWithdrawalsPerPeer; one
// peer's session resets are noise, so a finding needs minFlappingPeers flapping peers. Announcements
// are counted for context. Not checked when the source has no update history.
// Recovery: the finding stops once fewer than minFlappingPeers peers flap within the sliding window.
import { z } from 'zod'
import { compareText, uniqueSorted } from '../../catchment.ts'
import { siteOf, type SiteAttributionRule } from '../attribution.ts'
import { peerKey, type BgpUpdateEvent } from '../model.ts'
import { bgpFindingOf, currentSnapshot, prefixScope, type BgpDetector, type BgpDetectorInput, type BgpFinding } from './bgp-detector.ts'

const MS_PER_MINUTE = 60_000
const MINUTES_PER_HOUR = 60
const MAX_LISTED_PEERS = 20

export const BgpFlappingParamsSchema = z
  .strictObject({
    windowMinutes: z.number().int().min(1).max(2_880).default(60).describe('Minutes, ending at the evaluation, in which withdrawals and site moves are counted (a flap resolves this long after it stopped).'),
    minWithdrawalsPerPeer: z
      .number()
      .int()
      .min(2)
      .default(3)
      .describe(
        "Withdrawals of the prefix by one peer within the window that make the peer flapping. A move of the peer's route " +
          "off a site (an announcement via another site replacing it) counts as the site's route being withdrawn.",
      ),
    minFlappingPeers: z.number().int().min(1).default(3).describe('Flapping peers needed for a finding.'),
  })
  .describe(
    "BGP flapping: repeated withdrawals and re-announcements of the prefix, or of one site's route (peers' routes moving " +
      'off a site and back), from the update stream.',
  )

export type BgpFlappingParams = z.output<typeof BgpFlappingParamsSchema>

interface PeerActivity {
  peer: string
  withdrawals: number
  siteMoves: number
  announcements: number
  /** The sites its announcements named. */
  sites: string[]
  /** The site its previous event named when that was an announcement naming one; null otherwise. */
  lastSite: string | null
}

function activityByPeer(events: readonly BgpUpdateEvent[], rules: readonly SiteAttributionRule[]): PeerActivity[] {
  const byPeer = new Map<string, PeerActivity>()
  for (const event of [...events].sort((a, b) => a.at - b.at)) {
    const peer = peerKey(event)
    const activity = byPeer.get(peer) ?? { peer, withdrawals: 0, siteMoves: 0, announcements: 0, sites: [], lastSite: null }
    byPeer.set(peer, withEvent(activity, event, rules))
  }
  return [...byPeer.values()]
}

function withEvent(activity: PeerActivity, event: BgpUpdateEvent, rules: readonly SiteAttributionRule[]): PeerActivity {
  if (event.type === 'withdraw') return { ...activity, withdrawals: activity.withdrawals + 1, lastSite: null }
  const site = siteOf(event, rules)
  const moved = site !== null && activity.lastSite !== null && site !== activity.lastSite
  return {
    ...activity,
    announcements: activity.announcements + 1,
    siteMoves: activity.siteMoves + (moved ? 1 : 0),
    sites: site === null ? activity.sites : [...activity.sites, site],
    lastSite: site,
  }
}

const flapsOf = (peer: PeerActivity): number => peer.withdrawals + peer.siteMoves
const sumOf = (peers: readonly PeerActivity[], count: (peer: PeerActivity) => number): number => peers.reduce((sum, peer) => sum + count(peer), 0)

function detectBgpFlapping(input: BgpDetectorInput, params: BgpFlappingParams): BgpFinding[] {
  const snapshot = currentSnapshot(input)
  if (snapshot === null || snapshot.updates === null) return []
  const windowStart = input.at - params.windowMinutes * MS_PER_MINUTE
  const events = snapshot.updates.events.filter((event) => event.prefix === input.prefix && event.at >= windowStart && event.at <= input.at)
  const activity = activityByPeer(events, input.sites)
  const flapping = activity
    .filter((peer) => flapsOf(peer) >= params.minWithdrawalsPerPeer)
    .sort((a, b) => flapsOf(b) - flapsOf(a) || compareText(a.peer, b.peer))
  if (flapping.length < params.minFlappingPeers) return []
  const withdrawals = sumOf(activity, (peer) => peer.withdrawals)
  const siteMoves = sumOf(activity, (peer) => peer.siteMoves)
  const announcements = sumOf(activity, (peer) => peer.announcements)
  const withdrawalsPerHour = Math.round((withdrawals / params.windowMinutes) * MINUTES_PER_HOUR * 10) / 10
  return [
    bgpFindingOf(input, snapshot, {
      kind: 'bgp-flapping',
      scope: prefixScope(input.prefix),
      severity: 'warning',
      summary:
        `${input.prefix} flaps: ${counted(flapping.length, 'peer')} withdrew it or moved it off a site ${params.minWithdrawalsPerPeer} or more times ` +
        `in the last ${counted(params.windowMinutes, 'minute')} (${counted(withdrawals, 'withdrawal')}, ${counted(siteMoves, 'site move')}, ${counted(announcements, 'announcement')})`,
      sites: uniqueSorted(flapping.flatMap((peer) => peer.sites)),
      details: {
        flappingPeers: flapping.length,
        withdrawals,
        siteMoves,
        announcements,
        withdrawalsPerHour,
        windowMinutes: params.windowMinutes,
        peers: flapping.slice(0, MAX_LISTED_PEERS).map((peer) => `${peer.peer} (${peer.withdrawals} W, ${peer.siteMoves} moves, ${peer.announcements} A)`),
      },
    }),
  ]
}

function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

export const bgpFlapping = {
  kind: 'bgp-flapping',
  params: BgpFlappingParamsSchema,
  historyResults: () => 1,
  detect: detectBgpFlapping,
} satisfies BgpDetector<BgpFlappingParams>
