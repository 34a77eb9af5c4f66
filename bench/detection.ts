// Detection on the anycast lab: how many monitor cycles from a fault to its alert (the trigger
// notification) and from the recovery to the resolve, per lab scenario; then a soak with packet loss
// and no fault, counting false alerts. The monitor runs as an operator runs it: `anycast-monitor serve`
// on lab/monitor.config.json (a fresh store per run, default detection and incident settings), alert
// routes to HTTP receivers on 127.0.0.1 (test/lab/monitor-harness.ts). Cycles are counted from serve's
// log (one JSON line per cycle): cycle 1 is the first cycle started after the action.
//
//   sudo npx tsx bench/detection.ts [--cycles 60] [--loss 20[,40...]] [--loss-vantage v2] [--runs 1]
//                                   [--interval 5] [--scenarios black-hole,failover,health-check,flap,
//                                                   block-ipv6,block-tcp,withdraw-ipv6,silence]
//                                   [--no-soak] [--reuse-lab]
//
// Brings the lab up and down itself (lab/README.md); with --reuse-lab it uses a lab that is up and
// leaves it up. Every fault is undone before the next run, also on failure and on SIGINT/SIGTERM.
// Exit 0 with the table; 1 when the lab cannot be set up.
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { parseFaultCommand } from '../lab/fault-rules.ts'
import { runFault } from '../lab/faults.ts'
import { killBgp, setLoss, startBgpScenario, startDnsScenario, stopDns } from '../lab/lab.ts'
import { acquireLabTestLock, labIsUp, labSkipReason, runLabCli } from '../test/lab/lab-harness.ts'
import {
  flapOneStepPerCycle,
  labMonitorConfig,
  startAlertReceivers,
  startServe,
  TARGET_ID,
  type AlertReceivers,
  type CycleLog,
  type ServeHandle,
} from '../test/lab/monitor-harness.ts'
import { installSignalCleanup, onCleanup, runCleanup } from './cleanup.ts'
import { renderTable } from './table.ts'

/** Cycles before a fault: the catchment shift needs 3 on the old site. */
const WARMUP_CYCLES = 4
/** Give up waiting for a trigger or a resolve after this many cycles. */
const MAX_ALERT_CYCLES = 12
const MAX_RESOLVE_CYCLES = 20
/**
 * A fault is held at least this many cycles (and until its alert), so that the slower findings it
 * causes come too: the catchment shift's incident opens in the 4th cycle on the new site.
 */
const HOLD_CYCLES = 6
/** Cycles watched after the recovery (at least until the resolve), for notifications that come later. */
const AFTER_RECOVERY_CYCLES = 8
/** Lab actions are taken with at least this long before the next cycle, so that cycle sees their result. */
const ACTION_MARGIN_MS = 2_000
/** How long to wait for lab tests that hold the lab. */
const LOCK_WAIT_MS = 15 * 60_000

interface Scenario {
  id: string
  label: string
  /** The incident whose trigger and resolve are timed (without the target). */
  incident: string
  /** Undoes everything fault() may have done; safe to call when nothing was done. */
  restore(): Promise<void>
  /**
   * Plays the fault; resolves when it is in place. A fault that ends by itself (flap) resolves with
   * the time it ended, which then counts as the recovery (recover() is not called).
   */
  fault(serve: ServeHandle): Promise<number | void>
  recover(): Promise<void>
}

/** A lab partial failure (lab/faults.ts), without the lab's own probes: the monitor's are what sees. */
const labFault = (command: string, ...args: string[]) => async (): Promise<void> => {
  await runFault(parseFaultCommand(command, args), { probes: false })
}

const SCENARIOS: Scenario[] = [
  {
    id: 'black-hole',
    label: 'stop-dns s1 (black hole)',
    incident: 'black-hole/site:s1',
    fault: () => stopDns('s1'),
    recover: () => startDnsScenario('s1'),
    restore: () => startDnsScenario('s1'),
  },
  {
    id: 'failover',
    label: 'kill-bgp s1 (failover)',
    incident: 'failover/site:s1',
    fault: () => killBgp('s1'),
    recover: () => startBgpScenario('s1'),
    restore: () => startBgpScenario('s1'),
  },
  {
    id: 'health-check',
    label: 'stop-dns s2 (health-checked failover)',
    incident: 'failover/site:s2',
    fault: () => stopDns('s2'),
    recover: () => startDnsScenario('s2'),
    restore: () => startDnsScenario('s2'),
  },
  {
    // The lab's flap (kill-bgp, start-bgp, twice), one step per cycle (flapOneStepPerCycle); the fault
    // time is the first kill, the recovery the moment the last start has settled (the flapping ends).
    id: 'flap',
    label: 'flap s2 (kill/start x2, a step per cycle)',
    incident: 'catchment-flapping/vantage:v2',
    fault: async (serve) => (await flapOneStepPerCycle(serve, 's2', 2, ACTION_MARGIN_MS)).settledAt,
    recover: () => startBgpScenario('s2'),
    restore: () => startBgpScenario('s2'),
  },
  // The partial failures: one family, one transport, one family's route, one vantage.
  {
    id: 'block-ipv6',
    label: 'block s1 --family 6 (black hole over IPv6)',
    incident: 'black-hole/site:s1',
    fault: labFault('block', 's1', '--family', '6'),
    recover: labFault('unblock', 's1'),
    restore: labFault('unblock', 's1'),
  },
  {
    id: 'block-tcp',
    label: 'block s3 --transport tcp (TCP/53 filtered)',
    incident: 'transport-divergence/site:s3',
    fault: labFault('block', 's3', '--transport', 'tcp'),
    recover: labFault('unblock', 's3'),
    restore: labFault('unblock', 's3'),
  },
  {
    id: 'withdraw-ipv6',
    label: 'withdraw s2 --family 6 (IPv6 failover)',
    incident: 'failover/site:s2',
    fault: labFault('withdraw', 's2', '--family', '6'),
    recover: labFault('announce', 's2', '--family', '6'),
    restore: labFault('announce', 's2', '--family', '6'),
  },
  {
    id: 'silence',
    label: 'silence v3 (a vantage reports nothing)',
    incident: 'vantage-silent/vantage:v3',
    fault: labFault('silence', 'v3'),
    recover: labFault('unsilence', 'v3'),
    restore: labFault('unsilence', 'v3'),
  },
]


interface RunResult {
  scenario: Scenario
  run: number
  alertCycles: number | null
  alertSeconds: number | null
  resolveCycles: number | null
  resolveSeconds: number | null
  /** Notifications other than the timed incident's trigger and resolve, with when they came. */
  others: string[]
  error?: string
}

interface SoakResult {
  cycles: number
  lossPct: number
  vantage: string
  observations: number
  ok: number
  notifications: string[]
  /** Per finding key, in how many cycles it was made. */
  findings: Map<string, number>
  missingVantageCycles: number
  error?: string
}

interface Options {
  cycles: number
  lossPcts: number[]
  lossVantage: string
  runs: number
  intervalSeconds: number
  scenarios: Scenario[]
  soak: boolean
  reuseLab: boolean
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      cycles: { type: 'string', default: '60' },
      loss: { type: 'string', default: '20' },
      'loss-vantage': { type: 'string', default: 'v2' },
      runs: { type: 'string', default: '1' },
      interval: { type: 'string', default: '5' },
      scenarios: { type: 'string', default: SCENARIOS.map((scenario) => scenario.id).join(',') },
      'no-soak': { type: 'boolean', default: false },
      'reuse-lab': { type: 'boolean', default: false },
    },
  })
  const positive = (name: string, text: string): number => {
    const value = Number(text)
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`)
    return value
  }
  const intervalSeconds = positive('interval', values.interval)
  if (intervalSeconds < 5) throw new Error('--interval must be at least 5 (the config schema\'s minimum)')
  const lossPcts = values.loss.split(',').map(Number)
  if (!lossPcts.every((pct) => pct >= 0 && pct <= 100)) throw new Error('--loss must be 0..100, or several of those separated by commas')
  const wanted = values.scenarios.split(',').filter(Boolean)
  const scenarios = wanted.map((id) => {
    const scenario = SCENARIOS.find((candidate) => candidate.id === id)
    if (!scenario) throw new Error(`unknown scenario ${id}; known: ${SCENARIOS.map((candidate) => candidate.id).join(', ')}`)
    return scenario
  })
  return {
    cycles: positive('cycles', values.cycles),
    lossPcts,
    lossVantage: values['loss-vantage'],
    runs: positive('runs', values.runs),
    intervalSeconds,
    scenarios,
    soak: !values['no-soak'],
    reuseLab: values['reuse-lab'],
  }
}

// ------------------------------------------------------------------ cleanup

// What the run in progress must undo on a signal (its serve process, its fault, the loss), last in
// first out, before bench/cleanup.ts's steps (the lab goes down last). Each run removes its own steps when
// it has undone them itself.
const runSteps: { what: string; run: () => Promise<void> }[] = []

function duringRun(what: string, run: () => Promise<void>): () => void {
  const step = { what, run }
  runSteps.push(step)
  return () => {
    const index = runSteps.indexOf(step)
    if (index >= 0) runSteps.splice(index, 1)
  }
}

/** Every run done so far, for the table (also when interrupted). */
const results: RunResult[] = []
/** Set by a signal: no run starts after it. */
let interrupted = false

/** The run in progress first, then the steps registered with onCleanup (receivers, lab down, lock). */
const cleanUpAll = (): Promise<void> => runCleanup(undoRunInProgress)

async function undoRunInProgress(): Promise<void> {
  for (let step = runSteps.pop(); step; step = runSteps.pop()) {
    try {
      await step.run()
    } catch (error) {
      console.error(`cleanup of ${step.what} failed: ${(error as Error).message}`)
    }
  }
}

// ------------------------------------------------------------------ runs

/** A fresh store and serve process for one run; stopped (SIGTERM, by its PID) and removed by the returned function. */
async function startMonitor(receivers: AlertReceivers, options: Options): Promise<{ serve: ServeHandle; stop: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'anycast-monitor-detection-'))
  const config = labMonitorConfig({ storePath: path.join(dir, 'monitor.sqlite'), receivers, intervalSeconds: options.intervalSeconds, bgp: false })
  let serve: ServeHandle
  try {
    serve = await startServe({ dir, config, env: receivers.env })
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  const stop = async (): Promise<void> => {
    forget()
    const exit = await serve.stop()
    if (exit.code !== 0) console.error(`serve exited ${JSON.stringify(exit)}:\n${serve.logTail()}`)
    await rm(dir, { recursive: true, force: true })
  }
  const forget = duringRun(`serve (pid ${serve.pid})`, stop)
  return { serve, stop }
}

const keyOf = (incident: string): string => `${TARGET_ID}/${incident}`

function describeNotification(notification: string, phase: string, index: number): string {
  const [event, key = ''] = notification.split(' ')
  return `${event} ${key.replace(`${TARGET_ID}/`, '')} (${phase}+${index})`
}

async function runScenario(scenario: Scenario, run: number, receivers: AlertReceivers, options: Options): Promise<RunResult> {
  const result: RunResult = { scenario, run, alertCycles: null, alertSeconds: null, resolveCycles: null, resolveSeconds: null, others: [] }
  const { serve, stop } = await startMonitor(receivers, options)
  const forgetRestore = duringRun(`restore after ${scenario.id}`, scenario.restore)
  try {
    const warmup = await serve.waitForCyclesSince(0, WARMUP_CYCLES)
    for (const notification of warmup.flatMap((cycle) => cycle.notifications)) result.others.push(`${notification} (warm-up)`)
    await serve.betweenCycles(ACTION_MARGIN_MS)
    const faultAt = Date.now()
    const ended = await scenario.fault(serve)
    const trigger = await serve.waitForNotification(`trigger ${keyOf(scenario.incident)}`, faultAt, MAX_ALERT_CYCLES)
    if (trigger) {
      result.alertCycles = trigger.index
      result.alertSeconds = (trigger.cycle.loggedAt - faultAt) / 1000
    }
    let recoveredAt = typeof ended === 'number' ? ended : undefined
    if (recoveredAt === undefined) {
      await serve.waitForCyclesSince(faultAt, HOLD_CYCLES)
      await serve.betweenCycles(ACTION_MARGIN_MS)
      await scenario.recover()
      recoveredAt = Date.now()
    }
    const during = serve.cycles.filter((cycle) => cycle.startedAt >= faultAt && cycle.startedAt < recoveredAt)
    collectOthers(result, scenario, during.map((cycle, index) => ({ ...cycle, index: index + 1 })), 'fault')
    const resolve = await serve.waitForNotification(`resolve ${keyOf(scenario.incident)}`, recoveredAt, MAX_RESOLVE_CYCLES)
    if (resolve) {
      result.resolveCycles = resolve.index
      result.resolveSeconds = (resolve.cycle.loggedAt - recoveredAt) / 1000
    }
    const after = await serve.waitForCyclesSince(recoveredAt, Math.max(AFTER_RECOVERY_CYCLES, resolve?.index ?? 0))
    collectOthers(result, scenario, after, 'recovery')
  } catch (error) {
    result.error = (error as Error).message.split('\n')[0]
  } finally {
    forgetRestore()
    await scenario.restore().catch((error: unknown) => {
      result.error ??= `restore failed: ${(error as Error).message}`
    })
    await stop()
  }
  return result
}

function collectOthers(result: RunResult, scenario: Scenario, cycles: readonly (CycleLog & { index: number })[], phase: string): void {
  const timed = new Set([`trigger ${keyOf(scenario.incident)}`, `resolve ${keyOf(scenario.incident)}`])
  for (const cycle of cycles) {
    for (const notification of cycle.notifications) {
      if (!timed.has(notification)) result.others.push(describeNotification(notification, phase, cycle.index))
    }
  }
}

async function runSoak(receivers: AlertReceivers, options: Options, lossPct: number): Promise<SoakResult> {
  const result: SoakResult = {
    cycles: 0,
    lossPct,
    vantage: options.lossVantage,
    observations: 0,
    ok: 0,
    notifications: [],
    findings: new Map(),
    missingVantageCycles: 0,
  }
  const { serve, stop } = await startMonitor(receivers, options)
  const forgetLoss = duringRun('loss back to 0', async () => void (await setLoss(options.lossVantage, 0)))
  try {
    await serve.waitForCyclesSince(0, WARMUP_CYCLES)
    await serve.betweenCycles(ACTION_MARGIN_MS)
    await setLoss(options.lossVantage, lossPct)
    const since = Date.now()
    const started = Date.now()
    let reported = 0
    for (;;) {
      const cycles = serve.cyclesSince(since)
      if (cycles.length >= options.cycles) break
      if (cycles.length >= reported + 10) {
        reported = cycles.length
        console.error(`soak (loss ${lossPct} %): ${reported}/${options.cycles} cycles, ${Math.round((Date.now() - started) / 1000)} s`)
      }
      await serve.nextCycle()
    }
    for (const cycle of serve.cyclesSince(since).slice(0, options.cycles)) {
      result.cycles += 1
      result.observations += cycle.observations
      result.ok += cycle.ok
      if (cycle.missingVantages.length > 0) result.missingVantageCycles += 1
      for (const finding of cycle.findings) result.findings.set(finding, (result.findings.get(finding) ?? 0) + 1)
      for (const notification of cycle.notifications) result.notifications.push(describeNotification(notification, 'soak', cycle.index))
    }
  } catch (error) {
    result.error = (error as Error).message.split('\n')[0]
  } finally {
    forgetLoss()
    await setLoss(options.lossVantage, 0).catch((error: unknown) => {
      result.error ??= `loss reset failed: ${(error as Error).message}`
    })
    await stop()
  }
  return result
}

// ------------------------------------------------------------------ output

const cyclesText = (cycles: number | null, seconds: number | null): [string, string] =>
  cycles === null ? ['-', '-'] : [String(cycles), seconds === null ? '-' : seconds.toFixed(1)]

function scenarioTable(results: readonly RunResult[]): string {
  const notes: string[] = []
  const rows = results.map((result) => {
    const others = result.error ? [`ERROR: ${result.error}`] : result.others
    if (others.length > 0) notes.push(`  ${result.scenario.id} run ${result.run}: ${others.join('; ')}`)
    return [
      result.scenario.label,
      String(result.run),
      result.scenario.incident,
      ...cyclesText(result.alertCycles, result.alertSeconds),
      ...cyclesText(result.resolveCycles, result.resolveSeconds),
      result.error ? 'error' : String(result.others.length),
    ]
  })
  const table = renderTable(['scenario', 'run', 'timed incident', 'alert (cycles)', '(s)', 'resolve (cycles)', '(s)', 'other notifications'], rows, 3)
  return notes.length === 0 ? table : `${table}\n\nother notifications (fault+N: Nth cycle after the fault, recovery+N: after the recovery):\n${notes.join('\n')}`
}

function soakTable(soaks: readonly SoakResult[]): string {
  const notes: string[] = []
  const rows = soaks.map((soak) => {
    const findings = [...soak.findings.entries()].map(([key, count]) => `${key.replace(`${TARGET_ID}/`, '')} in ${count} cycles`)
    if (soak.error) notes.push(`  loss ${soak.lossPct} %: ERROR: ${soak.error}`)
    if (findings.length > 0) notes.push(`  loss ${soak.lossPct} %: findings: ${findings.join('; ')}`)
    if (soak.notifications.length > 0) notes.push(`  loss ${soak.lossPct} %: notifications: ${soak.notifications.join('; ')}`)
    return [
      `${soak.cycles} cycles, loss ${soak.lossPct} % on ${soak.vantage}`,
      `${soak.ok}/${soak.observations}`,
      String(soak.missingVantageCycles),
      String([...soak.findings.values()].reduce((sum, count) => sum + count, 0)),
      soak.error ? 'error' : String(soak.notifications.filter((notification) => notification.startsWith('trigger')).length),
      soak.error ? 'error' : String(soak.notifications.length),
    ]
  })
  const table = renderTable(['soak', 'ok/observations', 'cycles with a missing vantage', 'findings', 'false alerts (triggers)', 'notifications'], rows, 1)
  return notes.length === 0 ? table : `${table}\n${notes.join('\n')}`
}

// ------------------------------------------------------------------ main

async function main(): Promise<number> {
  const options = parseOptions()
  // Interrupted: print what was measured so far, then clean up.
  installSignalCleanup(async () => {
    interrupted = true
    if (results.length > 0) console.log(`\ninterrupted; the runs done so far:\n\n${scenarioTable(results)}`)
    await cleanUpAll()
  })
  // The lab tests (test/lab/*.e2e.test.ts) take the same lock: they wait for the bench or skip, and
  // the bench waits for them.
  const lock = await acquireLabTestLock(LOCK_WAIT_MS, 'bench/detection.ts', (holder) => console.error(`waiting for the lab: held by ${holder}`))
  onCleanup('lab lock', async () => lock.release())
  if (options.reuseLab) {
    if (!labIsUp()) {
      console.error('--reuse-lab: no lab is up (npm run lab -- up)')
      await cleanUpAll()
      return 1
    }
  } else {
    const reason = labSkipReason()
    if (reason) {
      console.error(`cannot run the lab: ${reason}${labIsUp() ? ' (or pass --reuse-lab)' : ''}`)
      await cleanUpAll()
      return 1
    }
    console.error('lab up ...')
    const up = runLabCli('up')
    onCleanup('lab down', async () => {
      const down = runLabCli('down')
      if (down.status !== 0) console.error(`lab down failed:\n${down.output}`)
    })
    if (up.status !== 0) {
      console.error(`lab up failed:\n${up.output}`)
      await cleanUpAll()
      return 1
    }
  }
  const receivers = await startAlertReceivers()
  onCleanup('receivers', () => receivers.close())
  const started = Date.now()
  try {
    for (const scenario of options.scenarios) {
      for (let run = 1; run <= options.runs && !interrupted; run++) {
        console.error(`${scenario.label}, run ${run}/${options.runs} ...`)
        const result = await runScenario(scenario, run, receivers, options)
        console.error(
          `  alert after ${result.alertCycles ?? '-'} cycles, resolve after ${result.resolveCycles ?? '-'} cycles` +
            (result.error ? `; ERROR ${result.error}` : ''),
        )
        results.push(result)
      }
    }
    const soaks: SoakResult[] = []
    for (const lossPct of options.soak ? options.lossPcts : []) {
      if (interrupted) break
      soaks.push(await runSoak(receivers, options, lossPct))
    }
    if (interrupted) return 130
    console.log(
      `\nDetection on the lab: serve every ${options.intervalSeconds} s, default detection and incident settings, a fresh store per run.` +
        '\nCycles are counted from the action: 1 = the first cycle started after it. Seconds: from the action to the end of the cycle' +
        '\nthat made the notification (delivery to the receivers follows at once).\n',
    )
    if (results.length > 0) console.log(scenarioTable(results))
    if (soaks.length > 0) console.log(`\n${soakTable(soaks)}`)
    console.log(`\nwall time ${Math.round((Date.now() - started) / 1000)} s, ${receivers.pagerDuty.received.length} PagerDuty events, ${receivers.slack.received.length} Slack messages in all`)
    return 0
  } finally {
    await cleanUpAll()
  }
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    console.error(error instanceof Error ? error.stack ?? error.message : String(error))
    await cleanUpAll()
    process.exit(1)
  },
)
