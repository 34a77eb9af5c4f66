// Which adapter serves each configured BGP source, on Node. Create the sources once per process: each
// keeps its cache, its request budget or (RIS Live) its live feed.
import { createRisLiveSource, RIS_LIVE_DEFAULTS } from '../adapters/bgp/ris-live.ts'
import type { BgpCheckDeps } from '../app/bgp-check.ts'
import { risLiveUrl } from '../core/bgp/ris-live.ts'
import type { BgpSettings } from '../core/bgp/settings.ts'
import type { BgpSource } from '../ports/bgp-source.ts'
import { bgpCheckDepsOf, createPollingBgpSources } from '../wiring/bgp.ts'

const MS_PER_MINUTE = 60_000

export interface BgpSourceOptions {
  /**
   * Also the streaming sources (RIS Live), which pay off only in a long-running process: `serve`, and
   * `run`, whose cycle gives the feed until its deadline. The one-shot `bgp` command leaves them out.
   */
  streaming: boolean
}

export function createBgpSources(bgp: BgpSettings, options: BgpSourceOptions = { streaming: false }): BgpSource[] {
  const { ripestat: ripestatSource, birdwatcher: birdwatcherSource } = createPollingBgpSources(bgp)
  const { ripestat, risLive } = bgp.sources
  // The schema makes risLive require ripestat: RIS Live's starting routes come from its looking glass.
  const risLiveSource =
    !options.streaming || risLive === undefined || ripestat === undefined || ripestatSource === undefined
      ? undefined
      : createRisLiveSource({
          url: risLive.url ?? risLiveUrl(ripestat.sourceapp),
          prefixes: bgp.targets.flatMap((entry) => entry.prefixes.map((prefix) => prefix.prefix)),
          seed: ripestatSource,
          silenceMs: risLive.silenceMs,
          updatesWindowMs: Math.max(RIS_LIVE_DEFAULTS.updatesWindowMs, bgp.detection['bgp-flapping'].windowMinutes * MS_PER_MINUTE),
        })
  return [ripestatSource, birdwatcherSource, risLiveSource].filter((source): source is BgpSource => source !== undefined)
}

/** What a monitor cycle needs for its BGP check; the history is in memory (a restart resets it). */
export function bgpCheckDeps(bgp: BgpSettings): BgpCheckDeps {
  return bgpCheckDepsOf(bgp, createBgpSources(bgp, { streaming: true }))
}
