// Entry point of `npm run lab -- <command>`; see lab/README.md.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import {
  birdSocket,
  collectorLogPath,
  down,
  execIn,
  flap,
  formatStatus,
  killBgpMeasured,
  measure,
  setLoss,
  startBgpMeasured,
  startDnsMeasured,
  status,
  stopDnsMeasured,
  superviseLinks,
  up,
} from './lab.ts'
import { runBgpFeed } from './bgp-feed/server.ts'
import { describeTopology } from './describe.ts'
import { UsageError, isFaultCommand, parseFaultCommand } from './fault-rules.ts'
import { activeFaults, runFault } from './faults.ts'
import { BGP_FEED, SITES, VANTAGES, failoverCatchment, steadyCatchment } from './topology.ts'

const USAGE = `usage: npm run lab -- <command>
  deps                      install the Debian packages (scripts/deps.sh --lab)
  up                        build the lab (namespaces, links, daemons) and wait for steady state
  down                      remove everything up made
  status [--tcp] [--json]   per vantage: site reached (NSID) and RTT; the collector's view of the VIP
  kill-bgp SITE [--hang]   SIGKILL the site's BGP speaker (--hang: SIGSTOP it, the hold timer expires)
  start-bgp SITE
  stop-dns SITE | start-dns SITE
  flap SITE SECONDS [CYCLES]
  loss VANTAGE PERCENT
  block SITE [--family 4|6] [--transport udp|tcp]   nftables in the site drops DNS to the VIP (route stays)
  unblock SITE              removes every block of the site
  withdraw SITE --family 4|6 | announce SITE --family 4|6   one family's route leaves BGP / comes back
  silence VANTAGE | unsilence VANTAGE   the monitor's netns runner cannot enter the vantage (it reports nothing)
  exec VANTAGE CMD...
  measure [N]               RTT fidelity: ping and the probe CLI (N per transport) against the expected RTTs
  topology                  the namespaces, links, addresses, ASNs and delays (markdown tables)
  expect                    the expected catchment and RTTs (from lab/topology.ts)
sites: ${SITES.map((site) => `${site.id} (${site.dns}+${site.bgp})`).join(', ')}; vantages: ${VANTAGES.map((v) => v.id).join(', ')}`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  const print = (text: string): void => {
    process.stdout.write(`${text}\n`)
  }
  if (isFaultCommand(command)) {
    let fault
    try {
      fault = parseFaultCommand(command, rest)
    } catch (error) {
      if (!(error instanceof UsageError)) throw error
      process.stderr.write(`lab: ${error.message}\n`)
      return 2
    }
    for (const line of await runFault(fault)) print(line)
    return 0
  }
  switch (command) {
    case 'deps': {
      const script = fileURLToPath(new URL('../scripts/deps.sh', import.meta.url))
      return spawnSync('bash', [script, '--lab'], { stdio: 'inherit' }).status ?? 1
    }
    case 'up': {
      const result = await up()
      print(`lab up in ${result.seconds.toFixed(1)} s (steady state reached ${result.convergedSeconds.toFixed(1)} s after start)`)
      return 0
    }
    case 'down':
      for (const line of await down()) print(line)
      print('lab down')
      return 0
    case 'status': {
      const result = await status({ tcp: rest.includes('--tcp') })
      const faults = await activeFaults()
      print(rest.includes('--json') ? JSON.stringify({ ...result, faults }, null, 2) : `${formatStatus(result)}\nfaults: ${faults.join('; ') || 'none'}`)
      return 0
    }
    case 'measure':
      for (const line of await measure(rest[0] === undefined ? 5 : Number(rest[0]))) print(line)
      return 0
    case 'topology':
      for (const line of describeTopology()) print(line)
      return 0
    case 'expect':
      for (const vantage of VANTAGES) {
        const steady = steadyCatchment(vantage)
        const failover = failoverCatchment(vantage)
        print(`${vantage.id}: ${steady.site} (${steady.rttMs} ms); when ${steady.site} is withdrawn: ${failover.site} via ${failover.routers.join('-')} (${failover.rttMs} ms)`)
      }
      return 0
    case 'kill-bgp':
      print((await killBgpMeasured(need(rest[0], 'SITE'), rest.includes('--hang') ? 'hang' : 'kill')).lines.join('\n'))
      return 0
    case 'start-bgp':
      print((await startBgpMeasured(need(rest[0], 'SITE'))).lines.join('\n'))
      return 0
    case 'stop-dns':
      print((await stopDnsMeasured(need(rest[0], 'SITE'))).lines.join('\n'))
      return 0
    case 'start-dns':
      print((await startDnsMeasured(need(rest[0], 'SITE'))).lines.join('\n'))
      return 0
    case 'flap': {
      const seconds = Number(need(rest[1], 'SECONDS'))
      const cycles = rest[2] === undefined ? 3 : Number(rest[2])
      print((await flap(need(rest[0], 'SITE'), seconds, cycles)).lines.join('\n'))
      return 0
    }
    case 'loss': {
      const relay = await setLoss(need(rest[0], 'VANTAGE'), Number(need(rest[1], 'PERCENT')))
      print(`${rest[0]}: loss now ${relay.aToB.lossPct} % each way (delay ${relay.aToB.delayMs} ms)`)
      return 0
    }
    case 'exec':
      return execIn(need(rest[0], 'VANTAGE'), rest.slice(1))
    case '__supervise':
      await superviseLinks()
      return -1
    case '__bgp-feed':
      await runBgpFeed({ birdSocket: birdSocket('col'), logPath: collectorLogPath() }, BGP_FEED)
      return 0
    case undefined:
    case 'help':
    case '--help':
      print(USAGE)
      return command === undefined ? 2 : 0
    default:
      process.stderr.write(`unknown command ${JSON.stringify(command)}\n${USAGE}\n`)
      return 2
  }
}

function need(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new Error(`missing ${name}\n${USAGE}`)
  return value
}

main(process.argv.slice(2)).then(
  (code) => {
    // The supervisor keeps running; every other command exits with its code.
    if (code >= 0) process.exit(code)
  },
  (error: unknown) => {
    process.stderr.write(`lab: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  },
)
