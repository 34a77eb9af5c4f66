// `npm run demo` as a newcomer runs it, with `--scenarios`: it brings the lab up, serves the monitor
// with its embedded store and status page, and plays a black hole, a failover and a flap, each
// watched on the status page's HTML (scripts/demo-scenarios.ts). Here on a temp store and a free
// port, so a developer's own demo store is untouched. Same conditions as the other lab tests
// (root, the lab's packages, the lab lock). ~80 s.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { unusedTcpPort } from '../support/ports.ts'
import { acquireLabTestLock, labIsUp, labSkipReason, type LabTestLock } from './lab-harness.ts'

const reason = labSkipReason()
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

function runDemo(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'demo', '--', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('close', (code) => resolve({ code, output }))
  })
}

describe.skipIf(reason !== undefined)('npm run demo -- --scenarios (e2e)', () => {
  let lock: LabTestLock | undefined
  let dir = ''

  beforeAll(async () => {
    lock = await acquireLabTestLock(600_000)
    dir = mkdtempSync(join(tmpdir(), 'anycast-monitor-demo-e2e-'))
  }, 610_000)

  afterAll(() => {
    lock?.release()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('serves the status page on the lab within two cycles and shows the black hole, the failover and the flap as they happen', async () => {
    const { code, output } = await runDemo(['--scenarios', '--store', join(dir, 'demo.sqlite'), '--port', String(await unusedTcpPort())])
    const lines = output.split('\n').filter((line) => !line.startsWith('{'))
    const shown = lines.join('\n')
    expect(code, shown).toBe(0)
    expect(shown).toMatch(/status page http:\/\/127\.0\.0\.1:\d+\/ shows lab-dns operational [\d.]+ s after the monitor started \(cycle [12]\)/)
    expect(shown).toMatch(/black hole \(stop-dns s1[^\n]*\n {2}page shows lab-dns\/black-hole\/site:s1 open [\d.]+ s after the fault\n {2}page shows it resolved/)
    expect(shown).toMatch(/failover \(kill-bgp s1[^\n]*\n {2}page shows lab-dns\/failover\/site:s1 open [\d.]+ s after the fault\n {2}page shows it resolved/)
    expect(shown).toMatch(/flap \(kill-bgp \/ start-bgp s2[^\n]*\n {2}page shows lab-dns\/(bgp-flapping|catchment-flapping)\/\S+ open/)
    expect(shown).toContain('lab down')
    expect(labIsUp()).toBe(false)
  }, 300_000)
})

if (reason !== undefined) {
  describe('npm run demo -- --scenarios (e2e)', () => {
    it.skip(`skipped: ${reason}`, () => undefined)
  })
}
