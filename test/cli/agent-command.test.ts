// `anycast-monitor agent` as a user runs it (through main), with the Node transports against a real NSD on
// 127.0.0.1 and a monitor (the real web app) on 127.0.0.1: --once probes, pushes and exits; with the
// monitor down the batch stays in the spool directory and the next run delivers it.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createMemoryStore } from '../../src/adapters/store/memory.ts'
import { main } from '../../src/cli/main.ts'
import { parseConfig } from '../../src/core/config.ts'
import type { MonitorStore } from '../../src/ports/store.ts'
import { dnsServerAvailable, startDnsServer, type RunningDnsServer } from '../support/dns-servers.ts'
import { KEY, KEY_ENV, VANTAGE, monitorApp, serveOnLoopback, type ServedMonitor } from '../support/ingest.ts'

const nsdAvailable = dnsServerAvailable('nsd')
const skipReason = process.env.CI !== 'true' && !nsdAvailable.ok ? nsdAvailable.reason : undefined
const dir = mkdtempSync(join(tmpdir(), 'agent-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function captured() {
  const err: string[] = []
  return { err, io: { stdout: () => {}, stderr: (text: string) => void err.push(text), readStdin: async () => '' } }
}

describe('anycast-monitor agent', () => {
  it('exits 2 with the usage when a flag is missing, and says what is wrong with its vantage', async () => {
    const { err, io } = captured()
    expect(await main(['agent', '--config', 'x.json'], io)).toBe(2)
    expect(err.join('')).toContain('needs --vantage ID, --push URL\nusage: anycast-monitor agent')
    const config = join(dir, 'local-only.json')
    writeFileSync(config, JSON.stringify({
      targets: [{ id: 't', label: 'T', addresses: ['127.0.0.1'], qname: 'example', sites: [{ id: 's', label: 'S', latitude: 0, longitude: 0, match: { exact: ['s'] } }] }],
      vantages: [{ id: 'par', label: 'Paris', region: 'weur', runner: { kind: 'local' } }],
    }))
    expect(await main(['agent', '--config', config, '--vantage', 'par', '--push', 'http://127.0.0.1:9'], io)).toBe(2)
    expect(err.join('')).toContain('vantage "par" has runner "local"; only a "remote" vantage pushes to the ingest API')
  })

  describe.skipIf(skipReason !== undefined)(`against NSD on loopback${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
    let nsd: RunningDnsServer
    let store: MonitorStore
    let monitor: ServedMonitor
    let configPath: string

    beforeAll(async () => {
      nsd = await startDnsServer('nsd')
      const config = {
        targets: [{
          id: 'loopback-dns', label: 'NSD', addresses: ['127.0.0.1'], port: nsd.port, qname: nsd.zone, transports: ['udp', 'tcp'],
          sites: [{ id: 'here', label: 'Here', latitude: 0, longitude: 0, match: { exact: [nsd.expectedIdentity.text] } }],
        }],
        vantages: [{ id: VANTAGE, label: 'VPS', region: 'lab', runner: { kind: 'remote', keyEnv: KEY_ENV } }],
      }
      configPath = join(dir, 'agent.json')
      writeFileSync(configPath, JSON.stringify(config))
      const parsed = parseConfig(config)
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors))
      store = createMemoryStore()
      monitor = await serveOnLoopback(monitorApp(store, parsed.config))
    })
    afterAll(async () => {
      await monitor?.stop()
      await nsd?.stop()
    })
    afterEach(() => vi.unstubAllEnvs())

    it('--once probes over UDP and TCP and pushes; with the monitor down the batch waits on disk for the next run', async () => {
      vi.stubEnv(KEY_ENV, KEY)
      const spool = join(dir, 'spool')
      const args = ['agent', '--config', configPath, '--vantage', VANTAGE, '--push', monitor.url, '--spool', spool, '--once']
      const inbox = async () => store.ingestedObservations({ vantage: VANTAGE, since: 0, until: Date.now() + 60_000 })

      expect(await main(args, captured().io)).toBe(0)
      expect((await inbox()).map((row) => [row.observation.transport, row.observation.outcome, row.observation.identity?.text]).sort()).toEqual([
        ['tcp', 'ok', nsd.expectedIdentity.text],
        ['udp', 'ok', nsd.expectedIdentity.text],
      ])

      await monitor.stop()
      const down = captured()
      try {
        expect(await main(args, down.io)).toBe(1)
      } finally {
        await monitor.start()
      }
      expect(down.err.join('')).toMatch(/"event":"batches-left","vantage":"aws-euw1","pending":1/)
      expect(readdirSync(spool).filter((name) => name.endsWith('.batch.json'))).toHaveLength(1)

      expect(await main(args, captured().io)).toBe(0)
      expect(readdirSync(spool).filter((name) => name.endsWith('.batch.json'))).toEqual([])
      expect(await inbox()).toHaveLength(6)
    })
  })
})
