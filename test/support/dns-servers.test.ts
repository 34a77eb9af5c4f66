// Proves the harness on its own: each kind of real daemon starts on loopback and `dig` sees the
// identity it was configured with, over UDP and over TCP.
import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, it } from 'vitest'
import { dnsServerAvailable, startDnsServer, type DnsServerKind, type RunningDnsServer } from './dns-servers.ts'

const runFile = promisify(execFile)
const IN_CI = process.env.CI === 'true'
const KINDS: DnsServerKind[] = ['nsd', 'bind', 'bind-hostname', 'knot']
const TRANSPORTS = ['udp', 'tcp'] as const
type Transport = (typeof TRANSPORTS)[number]
const TEST_TIMEOUT_MS = 15_000
const DIG_TIMEOUT_MS = 5_000

// Outside CI a missing binary skips its test, with the reason in the test name; in CI it must fail.
function skipReason(kind: DnsServerKind): string | undefined {
  if (IN_CI) return undefined
  const daemon = dnsServerAvailable(kind)
  if (!daemon.ok) return daemon.reason
  if (!digInstalled()) return 'dig is not installed (package bind9-dnsutils): run scripts/deps.sh as root'
  return undefined
}

function digInstalled(): boolean {
  return spawnSync('dig', ['-v']).error === undefined
}

function testName(title: string, reason: string | undefined): string {
  return reason === undefined ? title : `${title} (skipped: ${reason})`
}

async function dig(server: RunningDnsServer, transport: Transport, query: string[]): Promise<string> {
  const target = [`@${server.address}`, '-p', String(server.port)]
  const options = ['+norecurse', '+time=2', '+tries=1', transport === 'tcp' ? '+tcp' : '+notcp']
  const { stdout } = await runFile('dig', [...target, ...options, ...query], { timeout: DIG_TIMEOUT_MS })
  return stdout
}

/** dig prints NSID as `; NSID: 6e 73 64 ... ("nsd-lab-1")`. */
function nsidText(digOutput: string): string | undefined {
  return /^; NSID: [0-9a-f ]+\("(.*)"\)$/m.exec(digOutput)?.[1]
}

function soaAnswered(digOutput: string, zone: string): boolean {
  const soaLine = new RegExp(`^${zone.replaceAll('.', '\\.')}\\.\\s+\\d+\\s+IN\\s+SOA\\s`, 'm')
  return digOutput.includes('status: NOERROR') && soaLine.test(digOutput)
}

function hostnameBindText(digOutput: string): string | undefined {
  return /^hostname\.bind\.\s+\d+\s+CH\s+TXT\s+"(.*)"$/m.exec(digOutput)?.[1]
}

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return false
  } catch {
    return true
  }
}

describe.concurrent('startDnsServer runs a real daemon on loopback', () => {
  for (const kind of KINDS) {
    const reason = skipReason(kind)
    const title = `${kind}: dig sees the configured identity over UDP and TCP`
    it.skipIf(reason !== undefined)(
      testName(title, reason),
      async ({ expect, onTestFinished }) => {
        const server = await startDnsServer(kind)
        onTestFinished(() => server.stop())
        expect(server).toMatchObject({ kind, address: '127.0.0.1', zone: 'example' })
        expect(server.port).toBeGreaterThan(1023)

        for (const transport of TRANSPORTS) {
          const soa = await dig(server, transport, ['+nsid', server.zone, 'SOA'])
          expect(soaAnswered(soa, server.zone), soa).toBe(true)
          if (server.expectedIdentity.source === 'nsid') {
            expect(nsidText(soa), `${transport}: ${soa}`).toBe(server.expectedIdentity.text)
          } else {
            // bind-hostname: no NSID at all, the identity is only in hostname.bind. Two CHAOS
            // queries in total stay under BIND's 3 per second limit for its _bind view.
            expect(nsidText(soa), `${transport}: ${soa}`).toBeUndefined()
            const chaos = await dig(server, transport, ['CH', 'TXT', 'hostname.bind'])
            expect(hostnameBindText(chaos), `${transport}: ${chaos}`).toBe(server.expectedIdentity.text)
          }
        }
      },
      TEST_TIMEOUT_MS,
    )
  }

  const sideBySideReason = skipReason('nsd')
  it.skipIf(sideBySideReason !== undefined)(
    testName('two servers of one kind run side by side with their own identity and zone, and stop cleanly', sideBySideReason),
    async ({ expect, onTestFinished }) => {
      const sites = ['nsd-ams-1', 'nsd-fra-2']
      const servers = await Promise.all(sites.map((identity) => startDnsServer('nsd', { identity, zone: 'anycast.test' })))
      onTestFinished(() => Promise.all(servers.map((server) => server.stop())).then(() => undefined))
      expect(new Set(servers.map((server) => server.port)).size).toBe(2)

      for (const server of servers) {
        expect(server.zone).toBe('anycast.test')
        const soa = await dig(server, 'udp', ['+nsid', 'anycast.test', 'SOA'])
        expect(soaAnswered(soa, 'anycast.test'), soa).toBe(true)
        expect(nsidText(soa)).toBe(server.expectedIdentity.text)
      }
      expect(servers.map((server) => server.expectedIdentity.text)).toEqual(sites)

      for (const server of servers) {
        await server.stop()
        await server.stop() // idempotent
        expect(processIsGone(server.pid)).toBe(true)
      }
    },
    TEST_TIMEOUT_MS,
  )

  it('refuses identities and zones that would break the config file', async ({ expect }) => {
    await expect(startDnsServer('nsd', { identity: 'bad"id' })).rejects.toThrow(/identity/)
    await expect(startDnsServer('knot', { identity: '0xdeadbeef' })).rejects.toThrow(/identity/)
    await expect(startDnsServer('bind', { zone: 'bad zone; }' })).rejects.toThrow(/zone/)
  })
})
