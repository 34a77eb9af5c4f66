// Starts real DNS daemons on loopback, each configured with its own identity the way anycast operators do,
// and probes each over UDP and TCP with the same engine the monitor uses. `--hold` keeps them up for manual probing.
import { runProbe } from '../src/app/probe.ts'
import { nodeProbeDeps } from '../src/cli/node-probe-deps.ts'
import type { Observation, TransportName } from '../src/core/model.ts'
import { dnsServerAvailable, startDnsServer, type DnsServerKind, type RunningDnsServer } from '../test/support/dns-servers.ts'

const KINDS: { kind: DnsServerKind; setup: string }[] = [
  { kind: 'nsd', setup: 'NSD, nsid "ascii_…"' },
  { kind: 'bind', setup: 'BIND, server-id "…"' },
  { kind: 'bind-hostname', setup: 'BIND, server-id none + hostname' },
  { kind: 'knot', setup: 'Knot, server.nsid' },
]
const TRANSPORTS: TransportName[] = ['udp', 'tcp']
const TIMEOUT_MS = 2000

function row(setup: string, observation: Observation): string {
  const identity = observation.identity ? `${observation.identity.text ?? '0x' + observation.identity.hex} (${observation.identity.source})` : '-'
  const rtt = observation.rttMs === null ? '-' : `${observation.rttMs.toFixed(3)} ms`
  return [setup.padEnd(34), `127.0.0.1:${observation.port}`.padEnd(16), observation.transport.padEnd(4), observation.outcome.padEnd(8), rtt.padStart(10), '  ', identity].join(' ')
}

async function main(): Promise<number> {
  const unavailable = KINDS.map(({ kind }) => dnsServerAvailable(kind)).find((availability) => !availability.ok)
  if (unavailable && !unavailable.ok) {
    process.stderr.write(`demo: ${unavailable.reason}\n`)
    return 1
  }
  const servers: RunningDnsServer[] = []
  try {
    for (const { kind } of KINDS) servers.push(await startDnsServer(kind))
    process.stdout.write(`${'daemon'.padEnd(34)} ${'address'.padEnd(16)} ${'via'.padEnd(4)} ${'outcome'.padEnd(8)} ${'rtt'.padStart(10)}   identity\n`)
    for (const [index, server] of servers.entries()) {
      for (const transport of TRANSPORTS) {
        const observation = await runProbe(nodeProbeDeps(), {
          vantage: 'demo', address: server.address, port: server.port, transport, qname: server.zone, timeoutMs: TIMEOUT_MS,
        })
        process.stdout.write(row(KINDS[index]!.setup, observation) + '\n')
      }
    }
    if (process.argv.includes('--hold')) {
      process.stdout.write('\nTry it yourself, then Ctrl-C to stop the daemons:\n')
      for (const server of servers) process.stdout.write(`  npx anycast-monitor probe 127.0.0.1 --port ${server.port} --qname ${server.zone}\n`)
      await new Promise((resolve) => process.once('SIGINT', resolve))
    } else {
      process.stdout.write('\n(npm run demo -- --hold keeps the daemons up so you can probe them with `npx anycast-monitor probe`)\n')
    }
    return 0
  } finally {
    await Promise.all(servers.map((server) => server.stop()))
  }
}

process.exitCode = await main()
