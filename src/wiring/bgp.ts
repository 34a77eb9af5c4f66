// The BGP sources every platform can ask by polling (fetch only): the RIPEstat Data API and a private
// looking glass (birdwatcher). The Node CLI adds RIS Live, a long-lived websocket, on top
// (src/cli/bgp-wiring.ts); the Worker polls only. Create the sources once per process (or Durable
// Object): each keeps its cache and its request budget.
import { createBirdwatcherSource } from '../adapters/bgp/birdwatcher.ts'
import { createRipestatSource } from '../adapters/bgp/ripestat.ts'
import { createBgpHistory, type BgpCheckDeps } from '../app/bgp-check.ts'
import { requiredBgpHistory } from '../core/bgp/detectors/index.ts'
import type { BgpSettings } from '../core/bgp/settings.ts'
import type { BgpSource } from '../ports/bgp-source.ts'

const MS_PER_SECOND = 1000
const MS_PER_MINUTE = 60_000

export interface PollingBgpSources {
  ripestat?: BgpSource
  birdwatcher?: BgpSource
}

export function createPollingBgpSources(bgp: BgpSettings): PollingBgpSources {
  const { ripestat, birdwatcher } = bgp.sources
  return {
    ...(ripestat === undefined
      ? {}
      : {
          ripestat: createRipestatSource({
            baseUrl: ripestat.baseUrl,
            sourceapp: ripestat.sourceapp,
            requestTimeoutMs: ripestat.requestTimeoutMs,
            maxConcurrentRequests: ripestat.maxConcurrentRequests,
            maxDataAgeMs: ripestat.maxDataAgeSeconds * MS_PER_SECOND,
            updatesWindowMs: ripestat.updatesWindowMinutes * MS_PER_MINUTE,
          }),
        }),
    ...(birdwatcher === undefined
      ? {}
      : {
          birdwatcher: createBirdwatcherSource({
            name: birdwatcher.name,
            baseUrl: birdwatcher.baseUrl,
            requestTimeoutMs: birdwatcher.requestTimeoutMs,
            maxDataAgeMs: birdwatcher.maxDataAgeSeconds * MS_PER_SECOND,
          }),
        }),
  }
}

/** A cycle's BGP check over the given sources; its history is in memory (a restart resets it). */
export function bgpCheckDepsOf(bgp: BgpSettings, sources: readonly BgpSource[]): BgpCheckDeps {
  return { settings: bgp, sources, history: createBgpHistory(requiredBgpHistory(bgp.detection)) }
}
