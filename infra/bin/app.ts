// The CDK app of cdk.json: `npx cdk synth | deploy` runs it from infra/ as `node --import tsx bin/app.ts`.
// The fleet config is infra/fleet.config.json, or the file given with `-c fleet=PATH` (relative to infra/).
// Synthesis reads two files, bundles the probe with esbuild and writes cdk.out: nothing here uses the network.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { App } from 'aws-cdk-lib'
import { addFleetStacks } from '../lib/fleet-app.ts'
import { FleetConfigError, loadFleet } from '../lib/fleet-config.ts'
import { bundleProbe } from '../lib/probe-bundle.ts'

const DEFAULT_FLEET_CONFIG = fileURLToPath(new URL('../fleet.config.json', import.meta.url))

// No AWS::CDK::Metadata resource: the templates do not report the CDK version to AWS.
const app = new App({ analyticsReporting: false })
const fleetContext: unknown = app.node.tryGetContext('fleet')
const fleetPath = typeof fleetContext === 'string' ? resolve(fleetContext) : DEFAULT_FLEET_CONFIG
try {
  const fleet = loadFleet(fleetPath)
  const bundleDir = mkdtempSync(join(tmpdir(), 'anycast-probe-bundle-'))
  try {
    addFleetStacks(app, fleet, bundleProbe(bundleDir, fleet.probeConfig))
    app.synth()
  } finally {
    rmSync(bundleDir, { recursive: true, force: true })
  }
} catch (error) {
  if (!(error instanceof FleetConfigError)) throw error
  process.stderr.write(`${error.message}\n`)
  process.exitCode = 1
}
