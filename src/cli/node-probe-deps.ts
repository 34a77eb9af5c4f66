import { performance } from 'node:perf_hooks'
import { createNodeTcpTransport } from '../adapters/transport/node-tcp.ts'
import { createNodeUdpTransport } from '../adapters/transport/node-udp.ts'
import type { ProbeDeps } from '../app/probe.ts'

/** Probing from this Node process: UDP and TCP sockets, the system clocks, Math.random for transaction ids. */
export function nodeProbeDeps(): ProbeDeps {
  return {
    transports: { udp: createNodeUdpTransport(), tcp: createNodeTcpTransport() },
    clock: { nowMs: () => Date.now(), monotonicMs: () => performance.now() },
    random: Math.random,
  }
}
