import { runProbe } from '../app/probe.ts'
import { runPlan } from '../app/run-plan.ts'
import { formatConfigPath } from '../core/config.ts'
import { ProbePlanSchema } from '../core/wire-schemas.ts'
import { formatObservation } from './format-observation.ts'
import { nodeProbeDeps } from './node-probe-deps.ts'
import { parseProbeArgs, PROBE_USAGE } from './probe-args.ts'

export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** All of standard input, for commands that take a document there. */
  readStdin: () => Promise<string>
}

export const EXIT_ANSWERED = 0
export const EXIT_NO_ANSWER = 1
export const EXIT_BAD_ARGUMENTS = 2

const COMMANDS_USAGE = 'usage: anycast-monitor <command>\n\ncommands:\n  probe        ask an anycast address which node answers\n  probe-plan   run a probe plan (JSON on stdin), print its observations (JSON on stdout)\n  run          run --config FILE --once: one monitor cycle, printed as JSON\n  serve        serve --config FILE: cycles on the interval, the store, the JSON API\n  bgp          bgp --config FILE [--prefix P] [--json]: what BGP sources see, site per peer\n  agent        agent --config FILE --vantage ID --push URL [--spool DIR] [--once]: be a remote vantage, push to the monitor\n\n' + PROBE_USAGE

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout(COMMANDS_USAGE + '\n')
    return command === undefined ? EXIT_BAD_ARGUMENTS : EXIT_ANSWERED
  }
  if (command === 'probe-plan') return probePlanCommand(io)
  // The monitor's commands load the store, the web app and the AWS SDK: only when asked for, so that
  // probe-plan, which a netns vantage starts every cycle, starts in a fraction of the time.
  if (command === 'run') return (await import('./monitor-commands.ts')).runOnceCommand(rest, io)
  if (command === 'bgp') return (await import('./bgp-command.ts')).bgpCommand(rest, io)
  if (command === 'serve') return (await import('./monitor-commands.ts')).serveCommand(rest, io)
  if (command === 'agent') return (await import('./agent-command.ts')).agentCommand(rest, io)
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
    address: args.address,
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

/** What a vantage runs: the plan arrives on stdin, the observations leave on stdout. */
async function probePlanCommand(io: CliIo): Promise<number> {
  let input: unknown
  try {
    input = JSON.parse(await io.readStdin())
  } catch (error) {
    io.stderr(`anycast-monitor probe-plan: stdin is not JSON: ${(error as Error).message}\n`)
    return EXIT_BAD_ARGUMENTS
  }
  const plan = ProbePlanSchema.safeParse(input)
  if (!plan.success) {
    const problems = plan.error.issues.map((issue) => `${formatConfigPath(issue.path) || '(root)'}: ${issue.message}`)
    io.stderr(`anycast-monitor probe-plan: bad plan: ${problems.join('; ')}\n`)
    return EXIT_BAD_ARGUMENTS
  }
  const observations = await runPlan(nodeProbeDeps(), plan.data)
  io.stdout(JSON.stringify(observations) + '\n')
  return EXIT_ANSWERED
}
