// Builders for the infra tests: the shipped example fleet (infra/fleet.config.json and the monitor config it
// names) with overrides, and its stacks synthesized into a temp dir with the probe really bundled.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { App, type Stack } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import { addFleetStacks } from '../../infra/lib/fleet-app.ts'
import { resolveFleet, type Fleet, type FleetConfigInput } from '../../infra/lib/fleet-config.ts'
import { bundleProbe } from '../../infra/lib/probe-bundle.ts'

export const INFRA_DIR = fileURLToPath(new URL('../../infra', import.meta.url))

export type MonitorInput = Record<string, unknown> & { vantages: Record<string, unknown>[] }

export function exampleFleetInput(overrides: Partial<FleetConfigInput> = {}): FleetConfigInput {
  return { ...(readJson(join(INFRA_DIR, 'fleet.config.json')) as FleetConfigInput), ...overrides }
}

export function exampleMonitorInput(overrides: Partial<MonitorInput> = {}): MonitorInput {
  return { ...(readJson(join(INFRA_DIR, 'monitor.config.json')) as MonitorInput), ...overrides }
}

export function fleetOf(fleetInput: unknown = exampleFleetInput(), monitorInput: unknown = exampleMonitorInput()): Fleet {
  const result = resolveFleet(fleetInput, monitorInput)
  if (!result.ok) throw new Error(`test fleet is invalid: ${JSON.stringify(result.errors)}`)
  return result.fleet
}

export interface SynthesizedFleet {
  probes: Stack[]
  archive: Stack | null
  template(stack: Stack): Template
  /** Removes the bundle and cdk.out dirs. */
  dispose(): void
}

export function synthesizeFleet(fleet: Fleet): SynthesizedFleet {
  const bundleDir = mkdtempSync(join(tmpdir(), 'infra-test-bundle-'))
  const outdir = mkdtempSync(join(tmpdir(), 'infra-test-out-'))
  const app = new App({ outdir, analyticsReporting: false })
  const stacks = addFleetStacks(app, fleet, bundleProbe(bundleDir, fleet.probeConfig))
  const templates = new Map<Stack, Template>()
  return {
    ...stacks,
    template: (stack) => {
      const known = templates.get(stack) ?? Template.fromStack(stack)
      templates.set(stack, known)
      return known
    },
    dispose: () => {
      rmSync(bundleDir, { recursive: true, force: true })
      rmSync(outdir, { recursive: true, force: true })
    },
  }
}

/** The one resource of a type in a template: its logical id and properties. */
export function onlyResource(template: Template, type: string): { id: string; properties: Record<string, unknown> } {
  const found = Object.entries(template.findResources(type))
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`)
  const [id, resource] = found[0] as [string, { Properties?: Record<string, unknown> }]
  return { id, properties: resource.Properties ?? {} }
}

export interface PolicyStatementJson {
  Effect: string
  Action: string | string[]
  Resource: unknown
  Sid?: string
  Condition?: unknown
}

/** Every permission statement of a template: inline role policies, AWS::IAM::Policy and managed policies. */
export function permissionStatements(template: Template): PolicyStatementJson[] {
  const documents = [
    ...Object.values(template.findResources('AWS::IAM::Role')).flatMap((role) =>
      ((role.Properties?.Policies ?? []) as { PolicyDocument: { Statement: PolicyStatementJson[] } }[]).map((policy) => policy.PolicyDocument),
    ),
    ...Object.values(template.findResources('AWS::IAM::Policy')).map((policy) => policy.Properties.PolicyDocument),
    ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')).map((policy) => policy.Properties.PolicyDocument),
  ] as { Statement: PolicyStatementJson[] }[]
  return documents.flatMap((document) => document.Statement)
}

export function actionsOf(statement: PolicyStatementJson): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action]
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown
}
