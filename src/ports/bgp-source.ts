import type { BgpSourceResult } from '../core/bgp/model.ts'

export type { BgpSnapshot, BgpSourceResult } from '../core/bgp/model.ts'

/**
 * Where the monitor learns what BGP says about a prefix: RIPEstat, a private looking glass, ...
 * Never rejects: a source that fails, or only has old data, answers 'unavailable' or 'stale' with the
 * reason, so that a broken feed never reads as a withdrawn route.
 */
export interface BgpSource {
  /** 'ripestat', or the looking glass's configured name; used in views, findings and errors. */
  readonly name: string
  /** What the source says about exactly `prefix` now; `signal` cancels every request it makes. */
  snapshot(prefix: string, signal: AbortSignal): Promise<BgpSourceResult>
  /** Present on sources that hold a connection (RIS Live): ends it. */
  close?(): Promise<void>
}
