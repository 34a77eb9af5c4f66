// The probe CLI, exactly as a user runs it (`npx anycast-monitor probe ... --json`), against real NSD, BIND
// and Knot daemons on loopback: it must name the node and say where the name came from, over UDP and TCP.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Observation } from '../../src/core/model.ts'
import { dnsServerAvailable, startDnsServer, type DnsServerKind, type RunningDnsServer } from '../support/dns-servers.ts'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const KINDS: DnsServerKind[] = ['nsd', 'bind', 'bind-hostname', 'knot']
const missing = KINDS.map(dnsServerAvailable).find((availability) => !availability.ok)
// Outside CI a machine without the daemons skips, saying why; in CI a missing daemon is a failure.
const skipReason = process.env.CI !== 'true' && missing && !missing.ok ? missing.reason : undefined

async function probeCli(args: string[]): Promise<{ observation: Observation; exitCode: number }> {
  const result = await run('npx', ['--no-install', 'anycast-monitor', 'probe', ...args, '--json'], { cwd: ROOT, timeout: 15_000 }).then(
    (ok) => ({ stdout: ok.stdout, exitCode: 0 }),
    (failed: { stdout?: string; code?: number }) => ({ stdout: failed.stdout ?? '', exitCode: failed.code ?? -1 }),
  )
  const lines = result.stdout.trim().split('\n')
  expect(lines).toHaveLength(1)
  return { observation: JSON.parse(lines[0] as string) as Observation, exitCode: result.exitCode }
}

describe.skipIf(skipReason !== undefined)(`probe CLI against real daemons${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const servers = new Map<DnsServerKind, RunningDnsServer>()

  beforeAll(async () => {
    const started = await Promise.all(KINDS.map((kind) => startDnsServer(kind)))
    for (const server of started) servers.set(server.kind, server)
  })
  afterAll(async () => {
    await Promise.all([...servers.values()].map((server) => server.stop()))
  })

  describe.concurrent.each(KINDS)('%s', (kind) => {
    it.each(['udp', 'tcp'])('names the node over %s', async (transport) => {
      const server = servers.get(kind) as RunningDnsServer
      const { observation, exitCode } = await probeCli([server.address, '--port', String(server.port), '--qname', server.zone, '--transport', transport])
      expect(exitCode).toBe(0)
      expect(observation).toMatchObject({
        target: '127.0.0.1',
        port: server.port,
        transport,
        outcome: 'ok',
        rcode: 0,
        identity: { source: server.expectedIdentity.source, text: server.expectedIdentity.text },
        retriedOverTcp: false,
        error: null,
      })
      expect(observation.identity?.hex).toBe(Buffer.from(server.expectedIdentity.text).toString('hex'))
      expect(observation.rttMs).toBeGreaterThan(0)
      expect(observation.rttMs).toBeLessThan(1000)
      if (transport === 'tcp') expect(observation.connectMs).toBeGreaterThan(0)
      else expect(observation.connectMs).toBeNull()
    })
  })

  it('reports an answer without identity, not a failure, when NSID is absent and the fallback is off', async () => {
    const server = servers.get('bind-hostname') as RunningDnsServer
    const { observation, exitCode } = await probeCli([server.address, '--port', String(server.port), '--qname', server.zone, '--no-fallback'])
    expect(exitCode).toBe(0)
    expect(observation).toMatchObject({ outcome: 'ok', rcode: 0, identity: null })
  })

  it('reports REFUSED with the node identity when asked about a zone the server does not serve', async () => {
    const server = servers.get('nsd') as RunningDnsServer
    const { observation, exitCode } = await probeCli([server.address, '--port', String(server.port), '--qname', 'not-served.test'])
    expect(exitCode).toBe(0)
    expect(observation).toMatchObject({ outcome: 'refused', rcode: 5, identity: { source: 'nsid', text: server.expectedIdentity.text } })
  })
})
