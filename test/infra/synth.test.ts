// `cdk synth` as an operator runs it (npm run infra:synth, i.e. scripts/infra-synth.sh and the real CDK CLI),
// under a preload that refuses and writes down every non-loopback connection or DNS lookup of the CLI and of
// the app it starts: the synthesis must produce cdk.out while trying none.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const DENY_NETWORK = fileURLToPath(new URL('../support/deny-network.cjs', import.meta.url))
const SYNTH_TIMEOUT_MS = 120_000
const EXAMPLE_STACKS = ['anycast-monitor-archive', 'anycast-monitor-probe-ap-southeast-1', 'anycast-monitor-probe-eu-central-1', 'anycast-monitor-probe-us-east-1']

const dirs: string[] = []
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** Runs a command with the network refused; resolves with its exit status, its output, and what it tried. */
async function runOffline(command: string, args: string[]): Promise<{ status: number | null; output: string; attempts: string[] }> {
  const log = join(tempDir('deny-network-'), 'attempts.log')
  const env = { ...process.env, NODE_OPTIONS: `--require ${DENY_NETWORK}`, DENY_NETWORK_LOG: log, CDK_HOME: tempDir('cdk-home-') }
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: SYNTH_TIMEOUT_MS })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const status = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve(code))
  })
  const attempts = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []
  return { status, output, attempts }
}

describe('cdk synth of infra/', () => {
  it('runs offline: the CLI and the app try no connection, and cdk.out holds every stack of the example fleet and the bundled probe', async () => {
    const outdir = tempDir('infra-cdk-out-')
    const synth = await runOffline('bash', ['scripts/infra-synth.sh', '--output', outdir])
    expect(synth.status, synth.output).toBe(0)
    expect(synth.attempts).toEqual([])

    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string; environment?: string }> }
    const stacks = Object.entries(manifest.artifacts).filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
    expect(stacks.map(([name]) => name).sort()).toEqual(EXAMPLE_STACKS)
    expect(Object.fromEntries(stacks.map(([name, artifact]) => [name, artifact.environment]))).toMatchObject({
      'anycast-monitor-probe-us-east-1': 'aws://unknown-account/us-east-1',
      'anycast-monitor-archive': 'aws://unknown-account/eu-central-1',
    })
    for (const name of EXAMPLE_STACKS) {
      const template = JSON.parse(readFileSync(join(outdir, `${name}.template.json`), 'utf8')) as { Resources: Record<string, unknown> }
      expect(Object.keys(template.Resources).length).toBeGreaterThan(0)
    }

    const assets = readdirSync(outdir).filter((entry) => entry.startsWith('asset.'))
    expect(assets).toHaveLength(1)
    const asset = join(outdir, assets[0]!)
    expect(readdirSync(asset).sort()).toEqual(['index.mjs', 'monitor.config.json'])
    const imported = await runOffline(process.execPath, ['--input-type=module', '-e', 'const m = await import(process.argv[1]); process.stdout.write(typeof m.handler)', pathToFileURL(join(asset, 'index.mjs')).href])
    expect([imported.output, imported.attempts]).toEqual(['function', []])
  }, SYNTH_TIMEOUT_MS)

  it('stops with exit status 1 and the fleet config\'s problems, path by path', async () => {
    const fleet = JSON.parse(readFileSync(join(ROOT, 'infra', 'fleet.config.json'), 'utf8')) as Record<string, unknown>
    const path = join(tempDir('bad-fleet-'), 'fleet.config.json')
    writeFileSync(path, JSON.stringify({ ...fleet, monitorConfig: join(ROOT, 'infra', 'monitor.config.json'), probes: [{ region: 'eu-west-1', vantage: 'aws-eu-west-1' }] }))
    const synth = await runOffline('bash', ['scripts/infra-synth.sh', '--output', tempDir('infra-cdk-out-'), '-c', `fleet=${path}`])
    expect(synth.status).not.toBe(0)
    expect(synth.output).toContain('probes[0].vantage: no vantage "aws-eu-west-1" in the monitor config')
    expect(synth.attempts).toEqual([])
  }, SYNTH_TIMEOUT_MS)

  it('is checked by a guard that does catch connections: fetch and http.get to 127.0.0.2 are refused and written down', async () => {
    let reached = 0
    const server = createServer((_request, response) => {
      reached += 1
      response.end('reached')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve))
    try {
      const { port } = server.address() as { port: number }
      const probe = `
        const http = require('node:http')
        const url = 'http://127.0.0.2:${port}/'
        const viaHttp = new Promise((resolve) => http.get(url, () => resolve('reached')).on('error', () => resolve('refused')))
        Promise.all([fetch(url).then(() => 'reached', () => 'refused'), viaHttp]).then((results) => process.stdout.write(results.join(' ')))`
      const run = await runOffline(process.execPath, ['-e', probe])
      expect(run.output).toBe('refused refused')
      expect(run.attempts.map((line) => line.split(' ').slice(1).join(' '))).toEqual([`connect 127.0.0.2:${port}`, `connect 127.0.0.2:${port}`])
      expect(reached).toBe(0)
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
