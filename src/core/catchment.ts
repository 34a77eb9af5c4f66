// Catchment: which site each vantage reached in one cycle, and how that changed between cycles.
// Every detector reads cycles through this file, so the rules below are the one definition of a
// vantage's state in a cycle.
//
// A cycle holds a target's observations from every vantage, over every address and transport (or
// over a slice of them: see paths.ts). A vantage's state is first worked out per address, from the
// observations over every transport:
// - answering:    at least one observation is ok and at least one ok observation carries an identity;
//                 `sites` are the sites those identities resolve to ('unknown' when none matches).
// - unidentified: at least one observation is ok but no ok observation carries an identity: the target
//                 answered (reachable), but we cannot say which site did (no catchment data).
// - failing:      it reported observations and none is ok (timeout, network-error, servfail, refused,
//                 rcode-error, malformed, mismatch all count as failures).
// Over several addresses (IPv4 and IPv6, or two VIPs), the vantage is in the state all of them agree on;
// when they do not, it is:
// - partial:      some addresses answer and others fail (a black hole over IPv6, or on one VIP);
// - split:        every address answers, but not from the same sites (IPv4 and IPv6 routed apart).
// Neither is a catchment: shift, flapping and latency detectors pass them over, and the narrower slices
// (one family, one address) show what each part does. `sites` holds every site that answered.
// - missing:      it reported nothing: listed in missingVantages, or absent from the cycle. A missing
//                 vantage is "no data": neither failing nor fine.
// A transport that fails while the other answers leaves the address answering: the
// transport-divergence detector speaks for it.
import type { SiteResolver } from './config.ts'
import type { CycleRecord } from './findings.ts'
import type { Identity, Observation } from './model.ts'

export type VantageStatus = 'answering' | 'unidentified' | 'failing' | 'partial' | 'split' | 'missing'

export interface SitedObservation {
  observation: Observation
  /** Site its identity resolves to ('unknown' when none matches); null without identity. */
  site: string | null
}

export interface VantageState {
  vantage: string
  status: VantageStatus
  /** Sites named by the ok answers, sorted and unique; empty unless answering, partial or split. */
  sites: string[]
  /** Sites named by answers that were not ok (a SERVFAIL that carries an NSID); sorted and unique. */
  failedSites: string[]
  /** Round trips of the ok answers, in ms. */
  rttsMs: number[]
  observations: SitedObservation[]
  /** Why the runner did not report (from missingVantages); null otherwise. */
  missingReason: string | null
}

/** Per vantage, its state in one cycle. */
export type Catchment = Map<string, VantageState>

/** A cycle with its catchment worked out: what detectors read. */
export interface CatchmentCycle {
  record: CycleRecord
  startedAt: number
  catchment: Catchment
}

/** The site an identity resolves to. Binary NSIDs (no text) are looked up by their hex. */
export function siteOfIdentity(identity: Identity, resolveSite: SiteResolver): string {
  return resolveSite(identity.text ?? identity.hex).siteId
}

export function catchmentOf(cycle: CycleRecord, resolveSite: SiteResolver): Catchment {
  const byVantage = new Map<string, SitedObservation[]>()
  for (const observation of cycle.observations) {
    const site = observation.identity === null ? null : siteOfIdentity(observation.identity, resolveSite)
    const list = byVantage.get(observation.vantage) ?? []
    list.push({ observation, site })
    byVantage.set(observation.vantage, list)
  }
  const catchment: Catchment = new Map()
  for (const [vantage, observations] of byVantage) catchment.set(vantage, stateOf(vantage, observations))
  for (const { vantage, reason } of cycle.missingVantages) {
    // A runner that reported part of its probes and also appears as missing keeps what it reported.
    if (!catchment.has(vantage)) catchment.set(vantage, missingState(vantage, reason))
  }
  return catchment
}

export function catchmentCycleOf(cycle: CycleRecord, resolveSite: SiteResolver): CatchmentCycle {
  return { record: cycle, startedAt: cycle.startedAt, catchment: catchmentOf(cycle, resolveSite) }
}

function stateOf(vantage: string, observations: SitedObservation[]): VantageState {
  const ok = observations.filter(({ observation }) => observation.outcome === 'ok')
  const notOk = observations.filter(({ observation }) => observation.outcome !== 'ok')
  const sites = uniqueSorted(ok.flatMap(({ site }) => (site === null ? [] : [site])))
  return {
    vantage,
    status: statusOverAddresses(observations),
    sites,
    failedSites: uniqueSorted(notOk.flatMap(({ site }) => (site === null ? [] : [site]))),
    rttsMs: ok.flatMap(({ observation }) => (observation.rttMs === null ? [] : [observation.rttMs])),
    observations,
    missingReason: null,
  }
}

type AddressStatus = 'answering' | 'unidentified' | 'failing'

/** One address over every transport: any ok answer makes it answer; its sites are those the ok answers name. */
function addressState(observations: readonly SitedObservation[]): { status: AddressStatus; siteKey: string } {
  const ok = observations.filter(({ observation }) => observation.outcome === 'ok')
  const sites = uniqueSorted(ok.flatMap(({ site }) => (site === null ? [] : [site])))
  const status: AddressStatus = ok.length === 0 ? 'failing' : sites.length > 0 ? 'answering' : 'unidentified'
  return { status, siteKey: siteKey(sites) }
}

function statusOverAddresses(observations: readonly SitedObservation[]): VantageStatus {
  const byAddress = new Map<string, SitedObservation[]>()
  for (const sited of observations) byAddress.set(sited.observation.address, [...(byAddress.get(sited.observation.address) ?? []), sited])
  const states = [...byAddress.values()].map(addressState)
  const failing = states.filter((state) => state.status === 'failing').length
  if (failing === states.length) return 'failing'
  if (failing > 0) return 'partial'
  const identified = states.filter((state) => state.status === 'answering')
  if (identified.length === 0) return 'unidentified'
  // An address that answered without naming its node does not contradict the others.
  return new Set(identified.map((state) => state.siteKey)).size === 1 ? 'answering' : 'split'
}

export function missingState(vantage: string, reason: string): VantageState {
  return { vantage, status: 'missing', sites: [], failedSites: [], rttsMs: [], observations: [], missingReason: reason }
}

/** The vantage's state in a cycle; a vantage absent from the cycle is missing. */
export function stateIn(cycle: CatchmentCycle, vantage: string): VantageState {
  return cycle.catchment.get(vantage) ?? missingState(vantage, 'not in this cycle')
}

/** Got at least one ok answer (answering, unidentified, partial or split). */
export function gotAnswer(state: VantageState): boolean {
  return state.status !== 'failing' && state.status !== 'missing'
}

/** Some ok answer of the vantage came from the site (answering, or over part of its paths). */
export function reachedSite(state: VantageState, site: string): boolean {
  return gotAnswer(state) && state.sites.includes(site)
}

/** One string per site set, for comparing catchments: 'fra', or 'ams+fra' for a split vantage. */
export function siteKey(sites: readonly string[]): string {
  return sites.join('+')
}

export interface CatchmentChange {
  vantage: string
  fromSites: string[]
  toSites: string[]
}

/** Vantages answering in both catchments whose site set differs. */
export function diffCatchments(before: Catchment, after: Catchment): CatchmentChange[] {
  const changes: CatchmentChange[] = []
  for (const [vantage, now] of after) {
    const then = before.get(vantage)
    if (then?.status !== 'answering' || now.status !== 'answering') continue
    if (siteKey(then.sites) !== siteKey(now.sites)) changes.push({ vantage, fromSites: then.sites, toSites: now.sites })
  }
  return changes.sort((a, b) => compareText(a.vantage, b.vantage))
}

export interface DatedState {
  /** Index of the cycle in the list it came from. */
  index: number
  startedAt: number
  state: VantageState
}

/** The vantage's states, oldest first, leaving out the cycles it did not report in. */
export function reportedStates(cycles: readonly CatchmentCycle[], vantage: string): DatedState[] {
  return cycles.flatMap((cycle, index) => {
    const state = cycle.catchment.get(vantage)
    return state === undefined || state.status === 'missing' ? [] : [{ index, startedAt: cycle.startedAt, state }]
  })
}

/** The vantage's answering states (with a known catchment), oldest first. */
export function answeringStates(cycles: readonly CatchmentCycle[], vantage: string): DatedState[] {
  return reportedStates(cycles, vantage).filter(({ state }) => state.status === 'answering')
}

/** Every vantage named in any of the cycles, sorted. */
export function vantagesOf(cycles: readonly CatchmentCycle[]): string[] {
  return uniqueSorted(cycles.flatMap((cycle) => [...cycle.catchment.keys()]))
}

/** Vantages named anywhere in the cycles that did not report in the last one. */
export function unheardVantages(cycles: readonly CatchmentCycle[]): string[] {
  const last = cycles.at(-1)
  if (last === undefined) return []
  return vantagesOf(cycles).filter((vantage) => stateIn(last, vantage).status === 'missing')
}

/** Sites the vantage answered from last, before the cycle at `beforeIndex`; [] when none. */
export function lastKnownSites(cycles: readonly CatchmentCycle[], vantage: string, beforeIndex: number): string[] {
  const earlier = answeringStates(cycles.slice(0, beforeIndex), vantage)
  return earlier.at(-1)?.state.sites ?? []
}

export function medianMs(values: readonly number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  const upper = sorted[middle] as number
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2
}

export function uniqueSorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort(compareText)
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
