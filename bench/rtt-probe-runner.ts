// Helper of bench/rtt-fidelity.ts, which runs it inside the lab's client namespace: probes one
// target `count` times, one probe at a time, and prints a single JSON line with every observation's
// timing. One process for all the probes keeps process start-up out of the figures.
//
//   node --import tsx bench/rtt-probe-runner.ts --address 10.252.0.2 --port 53 --count 40 \
//     [--transport udp|tcp] [--interval-ms 20] [--qname example]

import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { runProbe } from '../src/app/probe.ts'
import { nodeProbeDeps } from '../src/cli/node-probe-deps.ts'
import type { Observation, Outcome, TransportName } from '../src/core/model.ts'

const PROBE_TIMEOUT_MS = 2_000

export interface RunnerSample {
  outcome: Outcome
  rttMs: number | null
  connectMs: number | null
  identity: string | null
}

function toSample(observation: Observation): RunnerSample {
  const identity = observation.identity ? `${observation.identity.source}:${observation.identity.text ?? observation.identity.hex}` : null
  return { outcome: observation.outcome, rttMs: observation.rttMs, connectMs: observation.connectMs, identity }
}

function parseTransport(text: string): TransportName {
  if (text !== 'udp' && text !== 'tcp') throw new Error(`--transport must be udp or tcp, not ${text}`)
  return text
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      address: { type: 'string' },
      port: { type: 'string', default: '53' },
      count: { type: 'string', default: '40' },
      transport: { type: 'string', default: 'udp' },
      'interval-ms': { type: 'string', default: '20' },
      qname: { type: 'string', default: 'example' },
    },
  })
  if (!values.address) throw new Error('--address is required')
  const count = Number(values.count)
  const intervalMs = Number(values['interval-ms'])
  const deps = nodeProbeDeps()
  const request = {
    vantage: 'rtt-fidelity',
    address: values.address,
    port: Number(values.port),
    transport: parseTransport(values.transport),
    qname: values.qname,
    timeoutMs: PROBE_TIMEOUT_MS,
  }
  const samples: RunnerSample[] = []
  for (let index = 0; index < count; index += 1) {
    const startedAtMs = performance.now()
    samples.push(toSample(await runProbe(deps, request)))
    // Spaced like a monitor's probes, not back to back; never overlapping.
    await sleep(Math.max(0, startedAtMs + intervalMs - performance.now()))
  }
  process.stdout.write(`${JSON.stringify({ samples })}\n`)
}

main().catch((error: unknown) => {
  console.error(`rtt-probe-runner: ${(error as Error).message}`)
  process.exitCode = 1
})
