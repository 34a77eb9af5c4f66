// Runs in Node, before the workers project's tests and outside workerd: starts the real DNS daemons
// and the scripted responder on loopback and hands their ports to the tests via inject().
import type { TestProject } from 'vitest/node'
import { dnsServerAvailable, startDnsServer, type DnsServerKind, type RunningDnsServer } from '../support/dns-servers.ts'
import type { LoopbackDnsServer } from './fixtures.ts'
import { findClosedPort, startLoopbackResponder, startSilentListeners } from './loopback-responder.ts'
import { SILENT_ADDRESS_COUNT } from './fixtures.ts'

const SERVER_KINDS: readonly DnsServerKind[] = ['nsd', 'bind', 'bind-hostname', 'knot']

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Belt and braces for runs that bypass vitest.config.ts: miniflare must not fetch cf.json.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false'
  process.env.WRANGLER_SEND_METRICS = 'false'

  const unavailable = SERVER_KINDS.flatMap((kind) => {
    const availability = dnsServerAvailable(kind)
    return availability.ok ? [] : [{ kind, reason: availability.reason }]
  })
  if (unavailable.length > 0 && process.env.CI === 'true') {
    throw new Error(`DNS daemons missing in CI: ${unavailable.map(({ kind, reason }) => `${kind}: ${reason}`).join('; ')}`)
  }

  const running: RunningDnsServer[] = []
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(running.map((server) => server.stop()))
  }
  const responder = await startLoopbackResponder()
  const responderV6 = await startLoopbackResponder('::1').catch((error: unknown) => ({ reason: `no IPv6 loopback: ${String(error)}` }))
  const silent = await startSilentListeners(SILENT_ADDRESS_COUNT).catch((error: unknown) => ({ reason: `no listeners on 127.0.1.x: ${String(error)}` }))
  const stopResponders = async (): Promise<void> => {
    await Promise.allSettled([responder.stop(), 'stop' in responderV6 ? responderV6.stop() : undefined, 'stop' in silent ? silent.stop() : undefined])
  }
  try {
    const started = await Promise.allSettled(
      SERVER_KINDS.filter((kind) => !unavailable.some((entry) => entry.kind === kind)).map((kind) => startDnsServer(kind)),
    )
    for (const outcome of started) if (outcome.status === 'fulfilled') running.push(outcome.value)
    const failures = started.flatMap((outcome) => (outcome.status === 'rejected' ? [String(outcome.reason)] : []))
    if (failures.length > 0) throw new Error(`DNS daemons failed to start:\n${failures.join('\n')}`)

    const servers: LoopbackDnsServer[] = SERVER_KINDS.map((kind) => {
      const server = running.find((candidate) => candidate.kind === kind)
      if (server) {
        const { port, zone, expectedIdentity } = server
        return { kind, available: true, port, zone, expectedIdentity }
      }
      const reason = unavailable.find((entry) => entry.kind === kind)?.reason ?? 'not started'
      return { kind, available: false, reason }
    })
    project.provide('dnsServers', servers)
    project.provide('responderPort', responder.port)
    project.provide('responderV6', 'port' in responderV6 ? { port: responderV6.port } : responderV6)
    project.provide('closedPort', await findClosedPort())
    project.provide('silentTarget', 'stop' in silent ? { addresses: silent.addresses, port: silent.port } : silent)
  } catch (error) {
    await Promise.allSettled([stopAll(), stopResponders()])
    throw error
  }

  return async () => {
    await Promise.allSettled([stopAll(), stopResponders()])
  }
}
