// The fleet config checked against the monitor config it names, before anything is synthesized: every
// problem comes back as path: message, like the monitor's own config errors.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FleetConfigSchema, resolveFleet } from '../../infra/lib/fleet-config.ts'
import { INFRA_DIR, exampleFleetInput, exampleMonitorInput, fleetOf, type MonitorInput } from './fleet-fixture.ts'

function errorsOf(fleetInput: unknown, monitorInput: unknown = exampleMonitorInput()): string[] {
  const result = resolveFleet(fleetInput, monitorInput)
  return result.ok ? [] : result.errors.map((error) => `${error.path}: ${error.message}`)
}

function withVantageRunner(monitor: MonitorInput, id: string, runner: unknown): MonitorInput {
  return { ...monitor, vantages: monitor.vantages.map((vantage) => (vantage.id === id ? { ...vantage, runner } : vantage)) }
}

describe('the fleet config', () => {
  it('resolves the shipped example: three regions, each with the key variable of its vantage, and the archive to create', () => {
    const fleet = fleetOf()
    expect(fleet.probes).toEqual([
      { region: 'eu-central-1', vantage: 'aws-eu-central-1', keyEnv: 'INGEST_KEY_AWS_EU_CENTRAL_1' },
      { region: 'us-east-1', vantage: 'aws-us-east-1', keyEnv: 'INGEST_KEY_AWS_US_EAST_1' },
      { region: 'ap-southeast-1', vantage: 'aws-ap-southeast-1', keyEnv: 'INGEST_KEY_AWS_AP_SOUTHEAST_1' },
    ])
    expect(fleet.archive).toEqual({ region: 'eu-central-1', database: 'anycast_monitor', table: 'observations', memoryRetentionHours: 24, magneticRetentionDays: 365 })
    expect([fleet.scheduleMinutes, fleet.memoryMb, fleet.logRetentionDays, fleet.timeoutSeconds]).toEqual([1, 256, 30, 27])
  })

  it('gives the probes the targets, the probe settings and the fleet\'s vantages only: no alert routes, archive or other vantages', () => {
    const monitor = exampleMonitorInput({
      alerts: { routes: [{ name: 'ops', kind: 'slack', webhookUrlEnv: 'SLACK_WEBHOOK_URL' }] },
      vantages: [...exampleMonitorInput().vantages, { id: 'home', label: 'Home', region: 'lab', runner: { kind: 'local' } }],
    })
    const fleet = fleetOf(exampleFleetInput(), monitor)
    expect(Object.keys(fleet.probeConfig)).toEqual(['targets', 'vantages', 'probe'])
    expect((fleet.probeConfig.vantages as { id: string }[]).map((vantage) => vantage.id)).toEqual(['aws-eu-central-1', 'aws-us-east-1', 'aws-ap-southeast-1'])
    expect(fleet.probeConfig.targets).toEqual(monitor.targets)
  })

  it('gives a bigger plan a longer timeout: 40 tasks run in three rounds of 16', () => {
    const addresses = Array.from({ length: 20 }, (_, index) => `198.51.100.${index + 1}`)
    const monitor = exampleMonitorInput()
    const targets = (monitor.targets as Record<string, unknown>[]).map((target) => ({ ...target, addresses }))
    // 3 × 2000 ms + 5 s margin, one push of 15 s, 5 s cold start.
    expect(fleetOf(exampleFleetInput(), { ...monitor, targets }).timeoutSeconds).toBe(31)
  })

  it('refuses probes whose vantage is missing, not remote, or probed twice, and regions used twice', () => {
    const monitor = withVantageRunner(exampleMonitorInput(), 'aws-us-east-1', { kind: 'local' })
    const probes = [
      { region: 'eu-central-1', vantage: 'aws-eu-central-1' },
      { region: 'us-east-1', vantage: 'aws-us-east-1' },
      { region: 'eu-central-1', vantage: 'aws-eu-central-1' },
      { region: 'eu-west-1', vantage: 'aws-eu-west-1' },
    ]
    expect(errorsOf(exampleFleetInput({ probes }), monitor)).toEqual([
      'probes[1].vantage: vantage "aws-us-east-1" runs as "local"; a Lambda probe is a vantage of runner kind "remote"',
      'probes[3].vantage: no vantage "aws-eu-west-1" in the monitor config',
      'probes[2].region: region "eu-central-1" has a probe already',
      'probes[2].vantage: vantage "aws-eu-central-1" has a probe already',
    ])
  })

  it('refuses a key variable that Lambda or the probe itself sets', () => {
    const monitor = withVantageRunner(exampleMonitorInput(), 'aws-us-east-1', { kind: 'remote', keyEnv: 'AWS_INGEST_KEY' })
    expect(errorsOf(exampleFleetInput(), monitor)).toEqual([
      'probes[1].vantage: vantage "aws-us-east-1" reads its key from AWS_INGEST_KEY, a name Lambda or the probe reserves; pick another keyEnv',
    ])
  })

  it('refuses Timestream retention when the monitor config has no Timestream archive', () => {
    const { archive: _left, ...monitor } = exampleMonitorInput()
    expect(errorsOf(exampleFleetInput(), monitor)).toEqual(['timestream: the monitor config has no archive of kind "timestream" to create'])
  })

  it('refuses values AWS would refuse: an http monitor, a rate under a minute, a retention CloudWatch has not, a region typo', () => {
    const fleet = exampleFleetInput({ monitorUrl: 'http://monitor.example.net', scheduleMinutes: 0.5, logRetentionDays: 10 as 7, probes: [{ region: 'eu-west', vantage: 'aws-us-east-1' }] })
    expect(errorsOf(fleet).map((line) => line.split(':')[0])).toEqual(['monitorUrl', 'scheduleMinutes', 'logRetentionDays', 'probes[0].region'])
  })

  it('reports a monitor config problem with its path in that file', () => {
    const monitor = withVantageRunner(exampleMonitorInput(), 'aws-us-east-1', { kind: 'remote' })
    expect(errorsOf(exampleFleetInput(), monitor)).toEqual(['monitorConfig: vantages[1].runner.keyEnv: is required'])
  })

  it('is documented field by field in infra/README.md', () => {
    const readme = readFileSync(join(INFRA_DIR, 'README.md'), 'utf8')
    const fields = Object.keys(FleetConfigSchema.shape).filter((field) => !field.startsWith('$'))
    expect(fields.filter((field) => !readme.includes(`| \`${field}\``) && !readme.includes(`| \`${field}[]\``))).toEqual([])
  })
})
