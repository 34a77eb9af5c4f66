// The whole fleet in one CDK app: a probe stack per configured region and, when the fleet config asks for
// Timestream, the archive stack. Every stack has its region fixed and looks nothing up, so synthesis is offline.
import { Tags, type App, type Stack } from 'aws-cdk-lib'
import { createArchiveStack } from './archive-stack.ts'
import type { Fleet } from './fleet-config.ts'
import { createProbeStack } from './probe-stack.ts'

export interface FleetStacks {
  /** In the order of the fleet config's probes. */
  probes: Stack[]
  archive: Stack | null
}

/** `bundleDir` holds the bundled probe and its config (bundleProbe). */
export function addFleetStacks(app: App, fleet: Fleet, bundleDir: string): FleetStacks {
  const probes = fleet.probes.map((probe) => createProbeStack(app, fleet, probe, bundleDir))
  const archive = fleet.archive === null ? null : createArchiveStack(app, fleet, fleet.archive)
  Tags.of(app).add('anycast-monitor:fleet', fleet.name)
  return { probes, archive }
}
