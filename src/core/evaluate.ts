// One evaluation of one target: its recent cycles through every detector, then the findings through
// the incident policy. Pure: the caller loads the history and the stored state, and saves the result.
import { z } from 'zod'
import { catchmentCycleOf, unheardVantages } from './catchment.ts'
import { compileSiteTable, type SiteResolver, type Target } from './config.ts'
import { DetectionSettingsSchema, type BgpSiteEvidence, type BgpSiteStatus, type DetectionSettings } from './detectors/index.ts'
import { runDetectorsOverSlices, type SlicedCycles } from './detectors/run-over-slices.ts'
import type { CycleRecord, Finding, Incident, Notification } from './findings.ts'
import { addressFamilyOf, pathSlicesOf, type AddressFamily } from './paths.ts'
import {
  decideIncidents,
  IncidentPolicySettingsSchema,
  readPolicyState,
  type IncidentPolicySettings,
  type PolicyState,
  type UncheckedScope,
} from './incident-policy.ts'

export const EvaluationSettingsSchema = z
  .strictObject({
    detection: DetectionSettingsSchema.prefault({}),
    incidents: IncidentPolicySettingsSchema.prefault({}),
  })
  .describe('How findings are made and turned into incidents.')

export type EvaluationSettings = z.output<typeof EvaluationSettingsSchema>

export interface EvaluateInput {
  target: Target
  /** The target's recent cycles, oldest first, the cycle being evaluated last (see requiredHistoryCycles). */
  history: readonly CycleRecord[]
  /** The stored policy state document (null or undefined when nothing was stored yet). */
  policyState: unknown
  /** Epoch ms of this evaluation; reminders, maintenance and damping are measured against it. */
  now: number
  params: { detection: DetectionSettings; incidents: IncidentPolicySettings }
  /** BGP's view of each site's route, when a BGP source was asked. */
  bgp?: BgpSiteStatus
  /** The same per address family of the target's prefixes: the IPv6 slice reads the IPv6 routes. */
  bgpByFamily?: Partial<Record<AddressFamily, BgpSiteStatus>>
  /** What the BGP sources showed of each site, for the black-hole, site-down and failover findings. */
  bgpEvidence?: Readonly<Record<string, BgpSiteEvidence>>
  /** The BGP detectors' findings for the target's prefixes (see core/bgp/join.ts). */
  bgpFindings?: readonly Finding[]
  /** Findings that could not be made this cycle (a BGP source stale or unavailable): their incidents are held. */
  unchecked?: readonly UncheckedScope[]
}

export interface EvaluateResult {
  /** Every finding of the current cycle, including those the policy damped. */
  findings: Finding[]
  state: PolicyState
  /** Incidents opened, updated or resolved by this evaluation. */
  incidents: Incident[]
  notifications: Notification[]
}

export function evaluateCycle(input: EvaluateInput): EvaluateResult {
  if (input.history.length === 0) throw new Error('evaluateCycle needs at least the current cycle in history')
  const foreign = input.history.find((cycle) => cycle.target !== input.target.id)
  if (foreign !== undefined) throw new Error(`cycle ${foreign.cycleId} belongs to ${foreign.target}, not ${input.target.id}`)
  const slices = slicedCycles(input, compileSiteTable(input.target.sites))
  const detectorInput = { target: input.target, slices, bgpEvidence: input.bgpEvidence }
  const findings = [...runDetectorsOverSlices(detectorInput, input.params.detection), ...(input.bgpFindings ?? [])]
  const everyPath = slices[0]?.cycles ?? []
  const decision = decideIncidents({
    state: readPolicyState(input.policyState),
    findings,
    now: input.now,
    params: input.params.incidents,
    unheardVantages: unheardVantages(everyPath),
    unchecked: input.unchecked ?? [],
  })
  return { findings, ...decision }
}

/** The history cut to each of the target's path slices, every path first. */
function slicedCycles(input: EvaluateInput, resolveSite: SiteResolver): SlicedCycles[] {
  return pathSlicesOf(input.target).map((slice) => {
    const addresses = new Set(slice.addresses)
    const cycles = input.history.map((cycle) =>
      catchmentCycleOf(slice.level === 0 ? cycle : { ...cycle, observations: cycle.observations.filter((observation) => addresses.has(observation.address)) }, resolveSite),
    )
    const family = slice.level === 0 ? undefined : addressFamilyOf(slice.addresses[0] as string)
    return { slice, cycles, bgp: (family === undefined ? undefined : input.bgpByFamily?.[family]) ?? input.bgp }
  })
}

export { requiredHistoryCycles } from './detectors/index.ts'
