// The detector registry: one line per detector, and the settings schema that gathers their params.
// Adding a detector = one file in this folder + one line in each of the two lists below.
import { z } from 'zod'
import type { Finding } from '../findings.ts'
import { blackHole, BlackHoleParamsSchema } from './black-hole.ts'
import { catchmentFlapping, CatchmentFlappingParamsSchema } from './catchment-flapping.ts'
import { catchmentShift, CatchmentShiftParamsSchema } from './catchment-shift.ts'
import type { Detector, DetectorInput, DetectorSlicing } from './detector.ts'
import { latencyRegression, LatencyRegressionParamsSchema } from './latency-regression.ts'
import { outage, OutageParamsSchema } from './outage.ts'
import { siteDown, SiteDownParamsSchema } from './site-down.ts'
import { transportDivergence, TransportDivergenceParamsSchema } from './transport-divergence.ts'
import { unknownIdentity, UnknownIdentityParamsSchema } from './unknown-identity.ts'
import { vantageSilent, VantageSilentParamsSchema } from './vantage-silent.ts'

/** Every detector's params, keyed by its kind, every field defaulted: `{}` parses. */
export const DetectionSettingsSchema = z
  .strictObject({
    outage: OutageParamsSchema.prefault({}),
    'black-hole': BlackHoleParamsSchema.prefault({}),
    'site-down': SiteDownParamsSchema.prefault({}),
    'catchment-shift': CatchmentShiftParamsSchema.prefault({}),
    'catchment-flapping': CatchmentFlappingParamsSchema.prefault({}),
    'unknown-identity': UnknownIdentityParamsSchema.prefault({}),
    'latency-regression': LatencyRegressionParamsSchema.prefault({}),
    'transport-divergence': TransportDivergenceParamsSchema.prefault({}),
    'vantage-silent': VantageSilentParamsSchema.prefault({}),
  })
  .describe('Parameters of each detector, keyed by the kind of finding it makes.')

export type DetectionSettings = z.output<typeof DetectionSettingsSchema>
export type DetectorKind = keyof DetectionSettings

export const detectors: { [K in DetectorKind]: Detector<DetectionSettings[K]> } = {
  outage,
  'black-hole': blackHole,
  'site-down': siteDown,
  'catchment-shift': catchmentShift,
  'catchment-flapping': catchmentFlapping,
  'unknown-identity': unknownIdentity,
  'latency-regression': latencyRegression,
  'transport-divergence': transportDivergence,
  'vantage-silent': vantageSilent,
}

export const DETECTOR_KINDS = Object.keys(detectors) as DetectorKind[]

function runDetector<K extends DetectorKind>(kind: K, input: DetectorInput, settings: DetectionSettings): Finding[] {
  const detector: Detector<DetectionSettings[K]> = detectors[kind]
  return detector.detect(input, settings[kind])
}

/** Every detector's findings for the current cycle over one slice of paths, in registry order. */
export function runDetectors(input: DetectorInput, settings: DetectionSettings, slicing?: DetectorSlicing): Finding[] {
  const kinds = slicing === undefined ? DETECTOR_KINDS : DETECTOR_KINDS.filter((kind) => detectors[kind].slicing === slicing)
  return kinds.flatMap((kind) => runDetector(kind, input, settings))
}

/** How many cycles of history (current one included) the detectors need with these settings. */
export function requiredHistoryCycles(settings: DetectionSettings): number {
  return Math.max(...DETECTOR_KINDS.map((kind) => historyOf(kind, settings)))
}

function historyOf<K extends DetectorKind>(kind: K, settings: DetectionSettings): number {
  const detector: Detector<DetectionSettings[K]> = detectors[kind]
  return detector.historyCycles(settings[kind])
}

export type { BgpRouteStatus, BgpSiteEvidence, BgpSiteStatus, Detector, DetectorInput, DetectorSlicing } from './detector.ts'
