// A bounded history of one source's results for one prefix: the visibility detector's baseline. The
// entries before the current one keep only what the baseline reads: their update events are dropped
// (only the current result's are read), and a route unchanged since the previous entry is that entry's
// object, so a day of snapshots of a stable prefix costs little more than one.
import { peerKey, type BgpPeerRoute, type BgpSnapshot, type BgpSourceResult } from './model.ts'

/** The history with `result` as its current (last) entry, at most maxResults long. */
export function appendBgpResult(history: readonly BgpSourceResult[], result: BgpSourceResult, maxResults: number): BgpSourceResult[] {
  const previous = history.at(-1)
  const kept = history.slice(Math.max(0, history.length - Math.max(0, maxResults - 1)))
  const older = kept.map((entry, index) => (index === kept.length - 1 ? withoutUpdates(entry) : entry))
  return [...older, previous === undefined ? result : withSharedRoutes(result, previous)]
}

function withoutUpdates(result: BgpSourceResult): BgpSourceResult {
  if (result.kind === 'unavailable' || result.snapshot.updates === null) return result
  return { ...result, snapshot: { ...result.snapshot, updates: null } }
}

function withSharedRoutes(result: BgpSourceResult, previous: BgpSourceResult): BgpSourceResult {
  if (result.kind === 'unavailable' || previous.kind === 'unavailable') return result
  const before = new Map(previous.snapshot.routes.map((route): [string, BgpPeerRoute] => [peerKey(route), route]))
  const routes = result.snapshot.routes.map((route) => {
    const old = before.get(peerKey(route))
    return old !== undefined && sameRoute(old, route) ? old : route
  })
  const snapshot: BgpSnapshot = { ...result.snapshot, routes }
  return { ...result, snapshot }
}

function sameRoute(a: BgpPeerRoute, b: BgpPeerRoute): boolean {
  return (
    a.collector === b.collector &&
    a.peerIp === b.peerIp &&
    a.peerAsn === b.peerAsn &&
    a.originAsn === b.originAsn &&
    a.changedAt === b.changedAt &&
    sameList(a.asPath, b.asPath) &&
    sameList(a.communities, b.communities) &&
    sameList(a.largeCommunities, b.largeCommunities)
  )
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index])
}
