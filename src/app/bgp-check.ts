// The BGP check of a monitor cycle: every configured source is asked about every configured prefix
// within the cycle's deadline (a source that fails or answers late counts as 'unavailable': the cycle
// never fails for BGP), each source's recent results per prefix are kept, and each target's prefixes
// are joined into site statuses, evidence, BGP findings and what could not be checked (core/bgp/join.ts).
// Each source's latest result per prefix is also what the status page shows: bgpViewOf makes a
// target's stored view of it.
//
// The history lives in memory only: a restart resets the visibility detector's baseline, which then
// rebuilds over the next baselineResults cycles (until then a loss is judged against fewer results).
import { attributionRulesFor, type BgpSettings, type BgpTargetRef } from '../core/bgp/settings.ts'
import { appendBgpResult } from '../core/bgp/history.ts'
import { bgpNotChecked, joinBgp, type BgpJoin, type BgpSourceHistory } from '../core/bgp/join.ts'
import type { BgpSourceResult } from '../core/bgp/model.ts'
import { storedBgpView, type StoredBgpView } from '../core/bgp/source-view.ts'
import type { BgpSiteEvidence, BgpSiteStatus } from '../core/detectors/index.ts'
import type { AddressFamily } from '../core/paths.ts'
import type { Finding } from '../core/findings.ts'
import type { UncheckedScope } from '../core/incident-policy.ts'
import type { BgpSource } from '../ports/bgp-source.ts'

export interface BgpHistory {
  /** The source's results for the prefix with `result` appended, oldest first, bounded. */
  append(source: string, prefix: string, result: BgpSourceResult): BgpSourceResult[]
}

/** maxResults: requiredBgpHistory(settings.detection). */
export function createBgpHistory(maxResults: number): BgpHistory {
  const resultsByKey = new Map<string, BgpSourceResult[]>()
  return {
    append(source, prefix, result) {
      const key = `${source}|${prefix}`
      const results = appendBgpResult(resultsByKey.get(key) ?? [], result, maxResults)
      resultsByKey.set(key, results)
      return results
    },
  }
}

export interface BgpCheckDeps {
  settings: BgpSettings
  /** Created once per process: each keeps its cache, its request budget or its live feed. */
  sources: readonly BgpSource[]
  history: BgpHistory
}

export interface BgpCheck {
  /** Per target id of the `bgp` block, its join. */
  joins: Map<string, BgpJoin>
  /** Per prefix, each source's recent results, the current one last. */
  resultsByPrefix: Map<string, BgpSourceHistory[]>
}

/** Asks the sources and joins each target's prefixes; never rejects. */
export async function checkBgp(deps: BgpCheckDeps, targets: readonly BgpTargetRef[], at: number, signal: AbortSignal): Promise<BgpCheck> {
  const prefixes = [...new Set(deps.settings.targets.flatMap((entry) => entry.prefixes.map((prefix) => prefix.prefix)))]
  const answered = await Promise.all(prefixes.map(async (prefix): Promise<[string, BgpSourceHistory[]]> => [prefix, await askSources(deps, prefix, signal)]))
  const resultsByPrefix = new Map(answered)
  const joins = new Map(
    deps.settings.targets.map((entry): [string, BgpJoin] => {
      const target = targets.find((candidate) => candidate.id === entry.target)
      const rules = target === undefined ? [] : attributionRulesFor(target, entry)
      try {
        const joinPrefixes = entry.prefixes.map((prefix) => ({
          prefix: prefix.prefix,
          expectedOriginAsns: prefix.originAsns,
          sources: resultsByPrefix.get(prefix.prefix) ?? [],
        }))
        return [entry.target, joinBgp({ target: entry.target, at, rules, prefixes: joinPrefixes, detection: deps.settings.detection })]
      } catch (error) {
        return [entry.target, bgpNotChecked(rules, entry.prefixes.map((prefix) => prefix.prefix), `BGP join failed: ${errorText(error)}`)]
      }
    }),
  )
  return { joins, resultsByPrefix }
}

/**
 * The target's view of the check for the status page: each source's current result for each of its
 * prefixes; null when the `bgp` block has no entry for the target. `at` is the cycle's startedAt.
 */
export function bgpViewOf(settings: BgpSettings, target: BgpTargetRef, check: BgpCheck, at: number): StoredBgpView | null {
  const entry = settings.targets.find((candidate) => candidate.target === target.id)
  if (entry === undefined) return null
  const prefixes = entry.prefixes.map((prefix) => ({
    prefix: prefix.prefix,
    expectedOriginAsns: prefix.originAsns,
    results: (check.resultsByPrefix.get(prefix.prefix) ?? []).flatMap((history) => history.results.slice(-1)),
  }))
  return storedBgpView(at, attributionRulesFor(target, entry), prefixes)
}

/** Ends the sources that hold a connection (RIS Live); for a clean shutdown of `serve`. */
export async function closeBgpSources(deps: BgpCheckDeps | undefined): Promise<void> {
  await Promise.allSettled((deps?.sources ?? []).map((source) => source.close?.()))
}

/** What the evaluation of one target takes from the BGP check (the names evaluateCycle takes). */
export interface BgpEvaluationInput {
  bgp?: BgpSiteStatus
  bgpByFamily?: Partial<Record<AddressFamily, BgpSiteStatus>>
  bgpEvidence?: Readonly<Record<string, BgpSiteEvidence>>
  bgpFindings?: readonly Finding[]
  unchecked?: readonly UncheckedScope[]
}

/** The evaluation's BGP inputs for a target; none when the target has no `bgp` entry. */
export function bgpEvaluationInput(join: BgpJoin | undefined): BgpEvaluationInput {
  if (join === undefined) return {}
  return { bgp: join.sites, bgpByFamily: join.sitesByFamily, bgpEvidence: join.evidence, bgpFindings: join.findings, unchecked: join.unchecked }
}

async function askSources(deps: BgpCheckDeps, prefix: string, signal: AbortSignal): Promise<BgpSourceHistory[]> {
  const results = await Promise.all(deps.sources.map((source) => askBounded(source, prefix, signal)))
  return deps.sources.map((source, index) => ({
    source: source.name,
    results: deps.history.append(source.name, prefix, results[index] ?? unavailable(source, prefix, 'no answer')),
  }))
}

/** The source's answer, or 'unavailable' once the signal aborts or if the source breaks its promise not to reject. */
function askBounded(source: BgpSource, prefix: string, signal: AbortSignal): Promise<BgpSourceResult> {
  const late = () => unavailable(source, prefix, 'no answer before the cycle deadline')
  if (signal.aborted) return Promise.resolve(late())
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(late())
    signal.addEventListener('abort', onAbort, { once: true })
    source
      .snapshot(prefix, signal)
      .then(resolve, (error: unknown) => resolve(unavailable(source, prefix, `source failed: ${errorText(error)}`)))
      .finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function unavailable(source: BgpSource, prefix: string, reason: string): BgpSourceResult {
  return { kind: 'unavailable', source: source.name, prefix, reason }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
