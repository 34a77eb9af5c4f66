// What every BGP detector is: a kind, a params schema with defaults, and a pure detect() over one
// prefix's recent results from one source. The same shape as the DNS detectors (../../detectors),
// with BGP evidence instead of vantage observations.
import type { z } from 'zod'
import type { Finding, FindingEvidence, Severity } from '../../findings.ts'
import type { SiteAttributionRule } from '../attribution.ts'
import { freshSnapshotOf, type BgpSnapshot, type BgpSourceResult } from '../model.ts'

/** The finding kinds the BGP detectors make (to be added to FindingKind in findings.ts). */
export type BgpFindingKind = 'bgp-visibility-loss' | 'bgp-unexpected-origin' | 'bgp-flapping' | 'bgp-rpki-invalid'

/** A Finding whose kind is a BGP kind; assignable to Finding once FindingKind lists the BGP kinds. */
export type BgpFinding = Omit<Finding, 'kind'> & { kind: BgpFindingKind }

export interface BgpDetectorInput {
  /** Target id the prefix belongs to. */
  target: string
  prefix: string
  /** Epoch ms of this evaluation: the findings' `at`, and the end of time windows. */
  at: number
  /** This prefix's results from one source, oldest first; the last one is being evaluated. Never empty. */
  results: readonly BgpSourceResult[]
  /** Origin ASes allowed to announce the prefix; empty when not configured. */
  expectedOriginAsns: readonly number[]
  /** The target's sites with their community / upstream, for per-upstream views. */
  sites: readonly SiteAttributionRule[]
}

export interface BgpDetector<Params> {
  kind: BgpFindingKind
  params: z.ZodType<Params>
  /** How many results (current one included) detect() looks at, so the caller keeps enough history. */
  historyResults(params: Params): number
  /** Findings for the current result; none when the current result is not a fresh snapshot. */
  detect(input: BgpDetectorInput, params: Params): BgpFinding[]
}

/** The result being evaluated, as a fresh snapshot; null when the source was stale or unavailable. */
export function currentSnapshot(input: BgpDetectorInput): BgpSnapshot | null {
  const current = input.results.at(-1)
  if (current === undefined) throw new Error('BGP detectors need at least the current result')
  return freshSnapshotOf(current)
}

/** The fresh snapshots among the last `count` results, oldest first. */
export function recentSnapshots(input: BgpDetectorInput, count: number): BgpSnapshot[] {
  return input.results.slice(Math.max(0, input.results.length - count)).flatMap((result) => {
    const snapshot = freshSnapshotOf(result)
    return snapshot === null ? [] : [snapshot]
  })
}

export const prefixScope = (prefix: string): string => `prefix:${prefix}`
export const collectorScope = (prefix: string, collector: string): string => `${prefixScope(prefix)}@collector:${collector}`
export const upstreamScope = (prefix: string, asn: number): string => `${prefixScope(prefix)}@upstream:AS${asn}`
export const originScope = (prefix: string, asn: number | null): string => `${prefixScope(prefix)}@origin:${asn === null ? 'AS_SET' : `AS${asn}`}`

export interface BgpFindingFields {
  kind: BgpFindingKind
  scope: string
  severity: Severity
  summary: string
  sites: string[]
  details: FindingEvidence['details']
}

/** A finding about the prefix, with the snapshot's source and data time in its details. */
export function bgpFindingOf(input: BgpDetectorInput, snapshot: BgpSnapshot, fields: BgpFindingFields): BgpFinding {
  return {
    kind: fields.kind,
    target: input.target,
    scope: fields.scope,
    severity: fields.severity,
    summary: fields.summary,
    at: input.at,
    evidence: {
      sites: fields.sites,
      vantages: [],
      latest: [],
      details: { prefix: input.prefix, source: snapshot.source, dataAt: snapshot.dataAt, ...fields.details },
    },
  }
}

export function asnText(asn: number | null): string {
  return asn === null ? 'an AS_SET' : `AS${asn}`
}

export function percentText(share: number): string {
  return `${Math.round(share * 1000) / 10}%`
}
