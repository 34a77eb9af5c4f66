// The monitor on the lab, as an operator runs it: `anycast-monitor serve` as a child process with a
// config derived from lab/monitor.config.json, alert routes to HTTP receivers on 127.0.0.1 standing in
// for PagerDuty and Slack, and its one-JSON-line-per-cycle log on stderr read as it comes. Shared by
// test/lab/monitor.e2e.test.ts and bench/detection.ts. Nothing here talks to anything but loopback;
// the probes run inside the lab's vantage namespaces (the config's netns runners).
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { digNsid, killBgp, startBgpScenario } from '../../lab/lab.ts'
import { failoverCatchment, routerById, siteById, vantageById, VIP4 } from '../../lab/topology.ts'
import type { Incident } from '../../src/core/findings.ts'
import type { Observation } from '../../src/core/model.ts'
import { startHttpReceiver, type HttpReceiver, type ReceivedRequest } from '../support/http-receiver.ts'
import { sleep } from './lab-harness.ts'

const BIN = fileURLToPath(new URL('../../bin/anycast-monitor.js', import.meta.url))
const LAB_CONFIG = fileURLToPath(new URL('../../lab/monitor.config.json', import.meta.url))

export const TARGET_ID = 'lab-dns'
export const PAGERDUTY_ROUTING_KEY = 'LABE2EROUTINGKEY000000000000000'
export const PAGERDUTY_KEY_ENV = 'AML_E2E_PAGERDUTY_ROUTING_KEY'
export const SLACK_URL_ENV = 'AML_E2E_SLACK_WEBHOOK_URL'
const SLACK_PATH = '/services/TLAB/BLAB/labe2ewebhooksecret'
/** The routes' names, as the outbox and the serve log use them. */
export const PAGERDUTY_ROUTE = 'oncall'
export const SLACK_ROUTE = 'ops-slack'

export interface AlertReceivers {
  pagerDuty: HttpReceiver
  slack: HttpReceiver
  /** The environment the monitor reads the routes' secrets from (URLs pointing at the receivers). */
  env: Record<string, string>
  close(): Promise<void>
}

/** PagerDuty answers 202 with a JSON body, Slack 200 "ok", as the real services do. */
export async function startAlertReceivers(): Promise<AlertReceivers> {
  const pagerDuty = await startHttpReceiver((request) => ({
    status: 202,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: (request.json as { dedup_key?: string } | undefined)?.dedup_key }),
  }))
  const slack = await startHttpReceiver(() => ({ status: 200, body: 'ok' }))
  return {
    pagerDuty,
    slack,
    env: { [PAGERDUTY_KEY_ENV]: PAGERDUTY_ROUTING_KEY, [SLACK_URL_ENV]: `${slack.url}${SLACK_PATH}` },
    close: async () => {
      await Promise.all([pagerDuty.close(), slack.close()])
    },
  }
}

/** What a PagerDuty Events v2 body carries that the tests read. */
export interface PagerDutyBody {
  routing_key: string
  event_action: 'trigger' | 'resolve'
  dedup_key: string
  payload?: { summary: string; severity: string; class: string; custom_details: { sites: string[]; vantages: string[] } }
}

export function pagerDutyEvents(receivers: AlertReceivers): PagerDutyBody[] {
  return receivers.pagerDuty.received.map((request) => request.json as PagerDutyBody)
}

export interface SlackBody {
  text: string
  blocks: unknown[]
}

export function slackMessages(receivers: AlertReceivers): SlackBody[] {
  return receivers.slack.received.map((request: ReceivedRequest) => request.json as SlackBody)
}

export interface LabMonitorConfigOptions {
  storePath: string
  receivers: Pick<AlertReceivers, 'pagerDuty'>
  intervalSeconds?: number
  /** PagerDuty gets incidents of this severity and up (Slack gets everything); default: everything. */
  pagerDutyMinSeverity?: 'info' | 'warning' | 'error' | 'critical'
  /** Merged over the shipped config's (absent) detection and incidents settings. */
  detection?: Record<string, unknown>
  incidents?: Record<string, unknown>
  /** Keep the shipped `bgp` block (the lab's BGP feed); false: the monitor without BGP. Default true. */
  bgp?: boolean
}

/** lab/monitor.config.json with its own store, any free API port, and routes to the receivers. */
export function labMonitorConfig(options: LabMonitorConfigOptions): Record<string, unknown> {
  const shipped = JSON.parse(readFileSync(LAB_CONFIG, 'utf8')) as Record<string, unknown>
  const { $schema: _schema, bgp, ...config } = shipped
  const probe = config.probe as Record<string, unknown>
  return {
    ...config,
    $comment: 'Written by test/lab/monitor-harness.ts from lab/monitor.config.json.',
    ...(options.bgp === false ? {} : { bgp }),
    probe: { ...probe, intervalSeconds: options.intervalSeconds ?? probe.intervalSeconds },
    ...(options.detection ? { detection: options.detection } : {}),
    ...(options.incidents ? { incidents: options.incidents } : {}),
    alerts: {
      statusPageUrl: 'http://127.0.0.1:8053',
      routes: [
        {
          name: PAGERDUTY_ROUTE,
          kind: 'pagerduty',
          routingKeyEnv: PAGERDUTY_KEY_ENV,
          eventsUrl: `${options.receivers.pagerDuty.url}/v2/enqueue`,
          ...(options.pagerDutyMinSeverity ? { minSeverity: options.pagerDutyMinSeverity } : {}),
        },
        { name: SLACK_ROUTE, kind: 'slack', webhookUrlEnv: SLACK_URL_ENV },
      ],
    },
    store: { path: options.storePath },
    api: { host: '127.0.0.1', port: 0 },
  }
}

/** One `{"event":"cycle",...}` line of the serve log, plus when the harness read it. */
export interface CycleLog {
  /** 1-based, in the order serve logged them. */
  seq: number
  startedAt: number
  loggedAt: number
  observations: number
  ok: number
  missingVantages: string[]
  /** `target/kind/scope` of every finding of the cycle. */
  findings: string[]
  /** `event key`, e.g. `trigger lab-dns/black-hole/site:s1`. */
  notifications: string[]
}

export interface ServeExit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface ServeHandle {
  pid: number
  apiUrl: string
  intervalMs: number
  /** Every cycle line so far, in order. */
  cycles: CycleLog[]
  /** Every JSON line of the log (cycle, deliveries, cycle-error, shutdown). */
  events: Record<string, unknown>[]
  /** The last few KB of stderr, for failure messages. */
  logTail(): string
  /** Resolves with the first cycle logged after the call. */
  nextCycle(timeoutMs?: number): Promise<CycleLog>
  /**
   * Resolves right after a cycle has been logged, when the next one is at least `marginMs` away: a lab
   * action taken then lands between two cycles and is seen whole by the next one.
   */
  betweenCycles(marginMs?: number): Promise<CycleLog>
  /** Cycles that started at or after `sinceMs`, numbered from 1. */
  cyclesSince(sinceMs: number): (CycleLog & { index: number })[]
  /**
   * Waits for the first cycle started at or after `sinceMs` whose log has `notification` (e.g.
   * `trigger lab-dns/black-hole/site:s1`), giving up after `maxCycles` such cycles. Returns its index
   * (1 = the first cycle after sinceMs) or null.
   */
  waitForNotification(notification: string, sinceMs: number, maxCycles: number): Promise<{ index: number; cycle: CycleLog } | null>
  /** Waits until `count` cycles started at or after `sinceMs` have been logged. */
  waitForCyclesSince(sinceMs: number, count: number): Promise<(CycleLog & { index: number })[]>
  get<T>(path: string): Promise<T>
  incidents(status?: 'open' | 'resolved'): Promise<Incident[]>
  /** SIGTERM (by its PID, our own child), then waits for the exit; SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<ServeExit>
  exited: Promise<ServeExit>
}

const LOG_TAIL_CHARS = 8_000

/** Writes the config to `dir/monitor.config.json` and starts `serve` on it; resolves once the API listens. */
export async function startServe(options: { dir: string; config: Record<string, unknown>; env: Record<string, string> }): Promise<ServeHandle> {
  const configPath = join(options.dir, 'monitor.config.json')
  await writeFile(configPath, JSON.stringify(options.config, null, 2))
  const intervalMs = Number((options.config.probe as { intervalSeconds: number }).intervalSeconds) * 1000
  const child = spawn(process.execPath, [BIN, 'serve', '--config', configPath], {
    cwd: options.dir,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const cycles: CycleLog[] = []
  const events: Record<string, unknown>[] = []
  let tail = ''
  let exit: ServeExit | undefined
  const waiters = new Set<() => void>()
  const wake = (): void => {
    for (const waiter of [...waiters]) waiter()
  }
  const exited = new Promise<ServeExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal }
      resolve(exit)
      wake()
    })
  })
  lines(child, 'stderr', (line) => {
    tail = (tail + line + '\n').slice(-LOG_TAIL_CHARS)
    let event: Record<string, unknown>
    try {
      event = JSON.parse(line) as Record<string, unknown>
    } catch {
      return
    }
    events.push(event)
    if (event.event === 'cycle') {
      cycles.push({
        seq: cycles.length + 1,
        startedAt: Number(event.startedAt),
        loggedAt: Date.now(),
        observations: Number(event.observations),
        ok: Number(event.ok),
        missingVantages: event.missingVantages as string[],
        findings: event.findings as string[],
        notifications: event.notifications as string[],
      })
    }
    wake()
  })
  const apiUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start its API in 20 s:\n${tail}`)), 20_000)
    lines(child, 'stdout', (line) => {
      const match = /API on (http:\/\/\S+?)\/api\/v1\/targets/.exec(line)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    void exited.then((status) => {
      clearTimeout(timer)
      reject(new Error(`serve exited ${JSON.stringify(status)} before its API listened:\n${tail}`))
    })
  })

  /** Resolves when `check` returns a value (checked now and after every log line), rejects on timeout or exit. */
  const until = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const finish = (action: () => void): void => {
        clearTimeout(timer)
        waiters.delete(poll)
        action()
      }
      const poll = (): void => {
        const value = check()
        if (value !== undefined) return finish(() => resolve(value))
        if (exit) finish(() => reject(new Error(`serve exited ${JSON.stringify(exit)} while waiting for ${what}:\n${tail}`)))
      }
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${tail}`))), timeoutMs)
      waiters.add(poll)
      poll()
    })

  const cycleTimeoutMs = (count: number): number => count * intervalMs + 20_000
  const cyclesSince = (sinceMs: number) => cycles.filter((cycle) => cycle.startedAt >= sinceMs).map((cycle, i) => ({ ...cycle, index: i + 1 }))

  const handle: ServeHandle = {
    pid: child.pid as number,
    apiUrl,
    intervalMs,
    cycles,
    events,
    logTail: () => tail,
    nextCycle: (timeoutMs = cycleTimeoutMs(1)) => {
      const known = cycles.length
      return until(() => cycles[known], timeoutMs, 'the next cycle')
    },
    betweenCycles: async (marginMs = 2_000) => {
      for (let waited = 0; ; waited++) {
        const last = cycles.at(-1)
        if (last !== undefined && Date.now() + marginMs < last.startedAt + intervalMs) return last
        if (waited === 4) {
          const durations = cycles.slice(-4).map((cycle) => cycle.loggedAt - cycle.startedAt)
          throw new Error(`no gap of ${marginMs} ms between cycles in 4 cycles (cycle durations ${durations.join(', ')} ms)`)
        }
        await handle.nextCycle()
      }
    },
    cyclesSince,
    waitForNotification: async (notification, sinceMs, maxCycles) => {
      const found = await until(
        () => {
          const since = cyclesSince(sinceMs)
          const hit = since.find((cycle) => cycle.index <= maxCycles && cycle.notifications.includes(notification))
          if (hit) return { index: hit.index, cycle: hit as CycleLog }
          return since.length >= maxCycles ? null : undefined
        },
        cycleTimeoutMs(maxCycles + 1),
        `${notification} within ${maxCycles} cycles`,
      )
      return found
    },
    waitForCyclesSince: (sinceMs, count) =>
      until(() => (cyclesSince(sinceMs).length >= count ? cyclesSince(sinceMs) : undefined), cycleTimeoutMs(count + 1), `${count} cycles`),
    get: async <T>(path: string): Promise<T> => {
      const response = await fetch(`${apiUrl}${path}`)
      if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status} ${await response.text()}`)
      return (await response.json()) as T
    },
    incidents: async (status) =>
      (await handle.get<{ incidents: Incident[] }>(`/api/v1/incidents${status ? `?status=${status}` : ''}`)).incidents,
    stop: async (timeoutMs = 20_000) => {
      if (exit) return exit
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
      const status = await exited
      clearTimeout(timer)
      return status
    },
    exited,
  }
  return handle
}

function lines(child: ChildProcess, stream: 'stdout' | 'stderr', onLine: (line: string) => void): void {
  let buffered = ''
  child[stream]?.setEncoding('utf8')
  child[stream]?.on('data', (chunk: string) => {
    buffered += chunk
    let newline = buffered.indexOf('\n')
    while (newline >= 0) {
      onLine(buffered.slice(0, newline))
      buffered = buffered.slice(newline + 1)
      newline = buffered.indexOf('\n')
    }
  })
}

/** Polls the vantage with dig until it answers from `site`; resolves with the time it did. */
export async function waitForSite(vantageId: string, site: string, timeoutMs: number): Promise<number> {
  const vantage = vantageById(vantageId)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const answer = await digNsid(vantage.namespace, VIP4, { timeoutS: 1 })
    if (answer.ok && answer.site === site) return Date.now()
    if (Date.now() > deadline) throw new Error(`${vantage.id} does not answer from ${site} after ${timeoutMs} ms (last: ${JSON.stringify(answer)})`)
    await sleep(50)
  }
}

/**
 * The lab's flap (kill-bgp, start-bgp, `times` times) played one step per monitor cycle: each step is
 * taken between two cycles, its effect is awaited at the site's vantage, and the next step waits for a
 * cycle that started after that. So no cycle sees a half-converged path, and every state is seen by at
 * least one cycle (by two when a slow convergence crossed a cycle's start). The lab's own `flap SITE
 * SECONDS` sleeps a fixed time instead, which a 5 s cycle aliases (`flap s2 3 2` shows 2 changes, not 4).
 * Returns when the first step was taken and when the last one had settled.
 */
export async function flapOneStepPerCycle(serve: ServeHandle, siteId: string, times: number, marginMs: number): Promise<{ startedAt: number; settledAt: number }> {
  const site = siteById(siteId)
  const vantage = vantageById(routerById(site.router).vantage)
  const failoverSite = failoverCatchment(vantage).site
  let startedAt: number | undefined
  let settledAt = 0
  for (let step = 0; step < 2 * times; step++) {
    await serve.betweenCycles(marginMs)
    startedAt ??= Date.now()
    const withdraw = step % 2 === 0
    await (withdraw ? killBgp(site.id) : startBgpScenario(site.id))
    settledAt = await waitForSite(vantage.id, withdraw ? failoverSite : site.id, 20_000)
    await serve.waitForCyclesSince(settledAt, 1)
  }
  return { startedAt: startedAt ?? settledAt, settledAt }
}

/**
 * What a vantage answered from in each cycle started at or after `sinceMs`, from the API's
 * observations: the sorted sites of its ok answers joined with '+', or 'failing' when none was ok.
 */
export async function sitesPerCycle(serve: ServeHandle, vantageId: string, sinceMs: number): Promise<string[]> {
  const cycles = serve.cyclesSince(sinceMs)
  const { observations } = await serve.get<{ observations: Observation[] }>(
    `/api/v1/targets/${TARGET_ID}/observations?vantage=${vantageId}&since=${sinceMs}`,
  )
  return cycles.map((cycle, index) => {
    const end = cycles[index + 1]?.startedAt ?? Number.POSITIVE_INFINITY
    const own = observations.filter((observation) => observation.observedAt >= cycle.startedAt && observation.observedAt < end)
    const sites = [...new Set(own.filter((observation) => observation.outcome === 'ok').map((observation) => observation.site ?? '?'))].sort()
    return sites.length === 0 ? 'failing' : sites.join('+')
  })
}
