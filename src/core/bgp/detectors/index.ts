// The BGP detector registry: one line per detector, and the settings schema that gathers their params.
// runBgpDetectors also says which kinds could not be checked and why, so that the caller can hold
// their incidents instead of reading a silent source as a recovery.
import { z } from 'zod'
import type { BgpSnapshotPart } from '../model.ts'
import type { BgpDetector, BgpDetectorInput, BgpFinding, BgpFindingKind } from './bgp-detector.ts'
import { bgpFlapping, BgpFlappingParamsSchema } from './flapping.ts'
import { rpkiInvalid, RpkiInvalidParamsSchema } from './rpki-invalid.ts'
import { unexpectedOrigin, UnexpectedOriginParamsSchema } from './unexpected-origin.ts'
import { visibilityLoss, VisibilityLossParamsSchema } from './visibility-loss.ts'

export const BgpDetectionSettingsSchema = z
  .strictObject({
    'bgp-visibility-loss': VisibilityLossParamsSchema.prefault({}),
    'bgp-unexpected-origin': UnexpectedOriginParamsSchema.prefault({}),
    'bgp-flapping': BgpFlappingParamsSchema.prefault({}),
    'bgp-rpki-invalid': RpkiInvalidParamsSchema.prefault({}),
  })
  .describe('Parameters of each BGP detector, keyed by the kind of finding it makes.')

export type BgpDetectionSettings = z.output<typeof BgpDetectionSettingsSchema>

export const bgpDetectors: { [K in BgpFindingKind]: BgpDetector<BgpDetectionSettings[K]> } = {
  'bgp-visibility-loss': visibilityLoss,
  'bgp-unexpected-origin': unexpectedOrigin,
  'bgp-flapping': bgpFlapping,
  'bgp-rpki-invalid': rpkiInvalid,
}

export const BGP_FINDING_KINDS = Object.keys(bgpDetectors) as BgpFindingKind[]

/** The snapshot part each kind needs beyond the routes. */
const PART_NEEDED: Partial<Record<BgpFindingKind, BgpSnapshotPart>> = { 'bgp-flapping': 'updates', 'bgp-rpki-invalid': 'rpki' }

export interface BgpDetection {
  findings: BgpFinding[]
  /** Kinds that could not be checked this time: their absence from findings is no evidence of recovery. */
  notChecked: { kind: BgpFindingKind; reason: string }[]
}

function runBgpDetector<K extends BgpFindingKind>(kind: K, input: BgpDetectorInput, settings: BgpDetectionSettings): BgpFinding[] {
  const detector: BgpDetector<BgpDetectionSettings[K]> = bgpDetectors[kind]
  return detector.detect(input, settings[kind])
}

export function runBgpDetectors(input: BgpDetectorInput, settings: BgpDetectionSettings): BgpDetection {
  const notChecked = BGP_FINDING_KINDS.flatMap((kind) => {
    const reason = notCheckedReason(kind, input)
    return reason === null ? [] : [{ kind, reason }]
  })
  const findings = BGP_FINDING_KINDS.filter((kind) => !notChecked.some((entry) => entry.kind === kind)).flatMap((kind) =>
    runBgpDetector(kind, input, settings),
  )
  return { findings, notChecked }
}

function notCheckedReason(kind: BgpFindingKind, input: BgpDetectorInput): string | null {
  const current = input.results.at(-1)
  if (current === undefined) throw new Error('BGP detectors need at least the current result')
  if (current.kind !== 'snapshot') return `${current.source} is ${current.kind}: ${current.reason}`
  if (kind === 'bgp-unexpected-origin' && input.expectedOriginAsns.length === 0) return 'no expected origin AS configured'
  const part = PART_NEEDED[kind]
  const { snapshot } = current
  if (part === undefined || snapshot[part === 'updates' ? 'updates' : 'rpki'] !== null) return null
  const gap = snapshot.gaps.find((entry) => entry.part === part)
  return gap === undefined ? `${snapshot.source} has no ${part} data` : `${snapshot.source}: ${gap.reason}`
}

/** How many results (current one included) the BGP detectors need with these settings. */
export function requiredBgpHistory(settings: BgpDetectionSettings): number {
  return Math.max(...BGP_FINDING_KINDS.map((kind) => historyOf(kind, settings)))
}

function historyOf<K extends BgpFindingKind>(kind: K, settings: BgpDetectionSettings): number {
  const detector: BgpDetector<BgpDetectionSettings[K]> = bgpDetectors[kind]
  return detector.historyResults(settings[kind])
}

export type { BgpDetector, BgpDetectorInput, BgpFinding, BgpFindingKind } from './bgp-detector.ts'
