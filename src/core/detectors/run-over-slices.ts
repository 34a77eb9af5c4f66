// The detectors over a target's path slices (paths.ts): every path, each address family, each address
// of a family that has several. A failure of part of the paths shows only in the slice that holds just
// those paths: a vantage that fails over IPv6 and answers over IPv4 is 'partial' over every path, and
// failing in the IPv6 slice, where the black-hole detector sees it.
//
// One finding per incident key (kind and scope) comes out: the one made in the widest slice. A black
// hole over every path explains the same black hole over IPv4 and over IPv6; when the failure narrows
// back to IPv6, the finding keeps its key and says "over IPv6", so its incident is updated, never
// doubled. Two slices of the same width with the same key (a site failing v1 over IPv4 and v2 over
// IPv6) make one finding that says both.
import { uniqueSorted, type CatchmentCycle } from '../catchment.ts'
import type { Target } from '../config.ts'
import type { Finding, FindingPaths } from '../findings.ts'
import { addressesText, ALL_PATHS_ID, familiesOf, type PathSlice } from '../paths.ts'
import { listText, type BgpSiteEvidence, type BgpSiteStatus } from './detector.ts'
import { runDetectors, type DetectionSettings } from './index.ts'

export interface SlicedCycles {
  slice: PathSlice
  /** The target's recent cycles restricted to the slice's paths, oldest first. */
  cycles: readonly CatchmentCycle[]
  /** BGP's view of each site for the slice's address family (or of every family, for the whole target). */
  bgp?: BgpSiteStatus
}

export interface SlicedDetectorInput {
  target: Target
  /** The slice of every path first (level 0), then the narrower ones. */
  slices: readonly SlicedCycles[]
  bgpEvidence?: Readonly<Record<string, BgpSiteEvidence>>
}

export function runDetectorsOverSlices(input: SlicedDetectorInput, settings: DetectionSettings): Finding[] {
  const made = input.slices.flatMap(({ slice, cycles, bgp }) => {
    const detectorInput = { target: input.target, cycles, bgp, bgpEvidence: input.bgpEvidence, slice }
    const findings = runDetectors(detectorInput, settings, slice.level === 0 ? undefined : 'each-slice')
    return findings.map((finding) => ({ slice, finding }))
  })
  const byKey = new Map<string, { slice: PathSlice; finding: Finding }[]>()
  for (const entry of made) {
    const key = `${entry.finding.kind}/${entry.finding.scope}`
    byKey.set(key, [...(byKey.get(key) ?? []), entry])
  }
  const everyPath = input.slices.find(({ slice }) => slice.level === 0)?.cycles.at(-1)
  return [...byKey.values()].map((entries) => {
    const widest = Math.min(...entries.map(({ slice }) => slice.level))
    const kept = entries.filter(({ slice }) => slice.level === widest).map(({ finding }) => finding)
    const finding = kept.length === 1 ? (kept[0] as Finding) : mergeFindings(input.target, kept)
    return widest === 0 || everyPath === undefined ? finding : withAnsweringElsewhere(input.target, finding, everyPath)
  })
}

/** Findings of one key made in slices of the same width: one finding that says each. */
function mergeFindings(target: Target, findings: readonly Finding[]): Finding {
  const first = findings[0] as Finding
  const latest = findings.flatMap((finding) => finding.evidence.latest)
  return {
    ...first,
    summary: findings.map((finding) => finding.summary).join('; '),
    paths: mergePaths(target, findings.flatMap((finding) => (finding.paths === undefined ? [] : [finding.paths]))),
    evidence: {
      sites: uniqueSorted(findings.flatMap((finding) => finding.evidence.sites)),
      vantages: uniqueSorted(findings.flatMap((finding) => finding.evidence.vantages)),
      latest,
      details: Object.assign({}, ...findings.map((finding) => finding.evidence.details)) as Finding['evidence']['details'],
    },
  }
}

function mergePaths(target: Target, paths: readonly FindingPaths[]): FindingPaths {
  const addresses = target.addresses.filter((address) => paths.some((part) => part.addresses.includes(address)))
  const transports = target.transports.filter((transport) => paths.some((part) => part.transports.includes(transport)))
  const slice = addresses.length === target.addresses.length ? ALL_PATHS_ID : paths.map((part) => part.slice).join('+')
  return { slice, text: addressesText(target.addresses, addresses), families: familiesOf(addresses), addresses, transports }
}

/**
 * A finding of part of the paths says which of its vantages still answer on the other paths ("v1
 * answers over IPv4"): that is what makes it partial, and what an operator checks first.
 */
function withAnsweringElsewhere(target: Target, finding: Finding, everyPath: CatchmentCycle): Finding {
  const inSlice = new Set(finding.paths?.addresses ?? [])
  const answering = finding.evidence.vantages.flatMap((vantage) => {
    const state = everyPath.catchment.get(vantage)
    if (state?.status !== 'partial') return []
    const elsewhere = state.observations
      .filter(({ observation }) => observation.outcome === 'ok' && !inSlice.has(observation.address))
      .map(({ observation }) => observation.address)
    return elsewhere.length === 0 ? [] : [{ vantage, elsewhere }]
  })
  if (answering.length === 0) return finding
  const vantages = answering.map(({ vantage }) => vantage)
  const where = addressesText(target.addresses, uniqueSorted(answering.flatMap(({ elsewhere }) => elsewhere)))
  const text = `${listText(vantages)} ${vantages.length === 1 ? 'answers' : 'answer'} ${where}`
  return { ...finding, summary: `${finding.summary}; ${text}`, evidence: { ...finding.evidence, details: { ...finding.evidence.details, answeringElsewhere: vantages } } }
}
