import { performance } from 'node:perf_hooks'
import { createNodeTcpTransport } from '../adapters/transport/node-tcp.ts'
import { createNodeUdpTransport } from '../adapters/transport/node-udp.ts'
import { runProbe, type ProbeDeps } from '../app/probe.ts'
import { formatObservation } from './format-observation.ts'
import { parseProbeArgs, PROBE_USAGE } from './probe-args.ts'

export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

export const EXIT_ANSWERED = 0
export const EXIT_NO_ANSWER = 1
export const EXIT_BAD_ARGUMENTS = 2

const COMMANDS_USAGE = 'usage: anycast-monitor <command>\n\ncommands:\n  probe   ask an anycast address which node answers\n\n' + PROBE_USAGE

export function nodeProbeDeps(): ProbeDeps {
  return {
    transports: { udp: createNodeUdpTransport(), tcp: createNodeTcpTransport() },
    clock: { nowMs: () => Date.now(), monotonicMs: () => performance.now() },
    random: Math.random,
  }
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout(COMMANDS_USAGE + '\n')
    return command === undefined ? EXIT_BAD_ARGUMENTS : EXIT_ANSWERED
  }
  if (command !== 'probe') {
    io.stderr(`anycast-monitor: unknown command ${JSON.stringify(command)}\n${COMMANDS_USAGE}\n`)
    return EXIT_BAD_ARGUMENTS
  }
  return probeCommand(rest, io)
}

async function probeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(PROBE_USAGE + '\n')
    return EXIT_ANSWERED
  }
  const parsed = parseProbeArgs(argv)
  if (!parsed.ok) {
    io.stderr(`anycast-monitor probe: ${parsed.error}\n`)
    return EXIT_BAD_ARGUMENTS
  }
  const { args } = parsed
  const observation = await runProbe(nodeProbeDeps(), {
    vantage: args.vantage,
    target: args.address,
    port: args.port,
    transport: args.transport,
    qname: args.qname,
    qtype: args.qtype,
    timeoutMs: args.timeoutMs,
    identityFallback: args.identityFallback,
  })
  io.stdout((args.json ? JSON.stringify(observation) : formatObservation(observation)) + '\n')
  return observation.rcode === null ? EXIT_NO_ANSWER : EXIT_ANSWERED
}
