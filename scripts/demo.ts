// `npm run demo` (as root): the anycast lab, the monitor serving it with its embedded store and its
// status page, and the catchment of every lab vantage read back from the monitor's own API. Ctrl-C
// stops the monitor and takes the lab down.
// - `--check` stops by itself once the catchment is complete and the page shows it (for CI and scripts);
// - `--scenarios` then plays the lab's failures and watches each on the status page (demo-scenarios.ts);
// - `--store PATH` and `--port N` run on another store and port than lab/monitor.config.json's.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { playScenarios } from './demo-scenarios.ts'
import { pollUntil } from './poll.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CONFIG = 'lab/monitor.config.json'
const TARGET = 'lab-dns'
const INTERVAL_MS = 5_000

function optionValue(name: string): string | undefined {
  const index = process.argv.indexOf(name)
  return index === -1 ? undefined : process.argv[index + 1]
}

const PORT = Number(optionValue('--port') ?? 8053)
const PAGE = `http://127.0.0.1:${PORT}`
const API = `${PAGE}/api/v1`

/** The shipped lab config, or a copy of it with the store and port asked for. */
function configPath(): string {
  const store = optionValue('--store')
  if (store === undefined && optionValue('--port') === undefined) return CONFIG
  const { $schema: _schema, ...config } = JSON.parse(readFileSync(join(ROOT, CONFIG), 'utf8')) as Record<string, unknown>
  const path = join(mkdtempSync(join(tmpdir(), 'anycast-monitor-demo-')), 'monitor.config.json')
  const api = config.api as Record<string, unknown>
  writeFileSync(path, JSON.stringify({ ...config, ...(store === undefined ? {} : { store: { path: store } }), api: { ...api, port: PORT } }, null, 2))
  return path
}
const CATCHMENT_DEADLINE_MS = 30_000
const POLL_MS = 500

interface CatchmentView {
  cycleStartedAt: number | null
  vantages: { vantage: string; status: string; sites: string[]; rttMs: number | null }[]
}

function run(command: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit' })
    child.on('close', (code) => resolve(code ?? 1))
  })
}

const lab = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'lab/cli.ts', ...args])

async function catchment(): Promise<CatchmentView | null> {
  try {
    const response = await fetch(`${API}/targets/${TARGET}/catchment`)
    return response.ok ? ((await response.json()) as CatchmentView) : null
  } catch {
    return null // not listening yet
  }
}

/** A catchment from a cycle of this run (the store keeps earlier runs') in which every vantage got an answer. */
function waitForFullCatchment(vantageCount: number, since: number): Promise<CatchmentView | null> {
  const complete = (view: CatchmentView | null): CatchmentView | null =>
    view !== null && (view.cycleStartedAt ?? 0) >= since && view.vantages.filter((v) => v.status === 'answering').length === vantageCount ? view : null
  return pollUntil(async () => complete(await catchment()), Date.now() + CATCHMENT_DEADLINE_MS, POLL_MS)
}

/** Milliseconds from `startedAt` until the overview page says the target is operational; null if it never does. */
function pageShowsCatchment(startedAt: number): Promise<number | null> {
  const attempt = async (): Promise<number | null> => {
    const html = await fetch(`${PAGE}/`).then((response) => (response.ok ? response.text() : ''), () => '')
    return html.includes('state-operational') ? Date.now() - startedAt : null
  }
  return pollUntil(attempt, Date.now() + CATCHMENT_DEADLINE_MS, POLL_MS)
}

function printCatchment(view: CatchmentView): void {
  process.stdout.write(`\ncatchment of ${TARGET} (cycle ${new Date(view.cycleStartedAt ?? 0).toISOString()}):\n`)
  for (const vantage of view.vantages) {
    process.stdout.write(`  ${vantage.vantage}  ->  ${vantage.sites.join(', ') || '-'}  ${vantage.rttMs === null ? '' : vantage.rttMs.toFixed(1) + ' ms'}  (${vantage.status})\n`)
  }
}

async function stopMonitor(monitor: ChildProcess): Promise<void> {
  if (monitor.exitCode !== null) return
  const exited = new Promise((resolve) => monitor.once('close', resolve))
  monitor.kill('SIGTERM') // our own child
  await exited
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('demo: the lab needs root (network namespaces). As root: npm run demo\n(without root, npm run demo:loopback probes real daemons on loopback)\n')
    return 1
  }
  if ((await lab('up')) !== 0) return 1
  const startedAt = Date.now()
  const monitor = spawn(process.execPath, ['bin/anycast-monitor.js', 'serve', '--config', configPath()], { cwd: ROOT, stdio: ['ignore', 'inherit', 'ignore'] })
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })
  try {
    const view = await waitForFullCatchment(3, startedAt)
    if (!view) {
      process.stderr.write(`demo: the API did not show the catchment of all 3 vantages within ${CATCHMENT_DEADLINE_MS / 1000} s\n`)
      return 1
    }
    printCatchment(view)
    const pageAfterMs = await pageShowsCatchment(startedAt)
    if (pageAfterMs === null) {
      process.stderr.write(`demo: the status page ${PAGE}/ did not show the target operational\n`)
      return 1
    }
    process.stdout.write(`\nstatus page ${PAGE}/ shows ${TARGET} operational ${(pageAfterMs / 1000).toFixed(1)} s after the monitor started (cycle ${Math.floor(pageAfterMs / INTERVAL_MS) + 1})\n`)
    if (process.argv.includes('--scenarios')) {
      const print = (line: string): void => void process.stdout.write(`${line}\n`)
      return (await playScenarios({ pageUrl: PAGE, target: TARGET, intervalMs: INTERVAL_MS, print })) ? 0 : 1
    }
    if (process.argv.includes('--check')) return 0
    process.stdout.write(`\nThe status page: ${PAGE}/ (API: ${API}/targets, ${API}/incidents). Try: npm run lab -- stop-dns s1\nCtrl-C stops the monitor and takes the lab down.\n`)
    await stop
    return 0
  } finally {
    await stopMonitor(monitor)
    await lab('down')
  }
}

process.exitCode = await main()
