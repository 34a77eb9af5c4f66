// `npm run demo` (as root): the anycast lab, the monitor serving it with its embedded store, and the
// catchment of every lab vantage read back from the monitor's own API. Ctrl-C stops the monitor and
// takes the lab down. `--check` stops by itself once the catchment is complete (for CI and scripts).
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CONFIG = 'lab/monitor.config.json'
const API = 'http://127.0.0.1:8053/api/v1'
const TARGET = 'lab-dns'
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
async function waitForFullCatchment(vantageCount: number, since: number): Promise<CatchmentView | null> {
  const deadline = Date.now() + CATCHMENT_DEADLINE_MS
  while (Date.now() < deadline) {
    const view = await catchment()
    const fresh = view !== null && (view.cycleStartedAt ?? 0) >= since
    if (view && fresh && view.vantages.filter((v) => v.status === 'answering').length === vantageCount) return view
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
  return null
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
  const monitor = spawn(process.execPath, ['bin/anycast-monitor.js', 'serve', '--config', CONFIG], { cwd: ROOT, stdio: ['ignore', 'inherit', 'ignore'] })
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
    if (process.argv.includes('--check')) return 0
    process.stdout.write(`\nThe monitor runs: ${API}/targets, ${API}/incidents. Try: npm run lab -- stop-dns s1\nCtrl-C stops the monitor and takes the lab down.\n`)
    await stop
    return 0
  } finally {
    await stopMonitor(monitor)
    await lab('down')
  }
}

process.exitCode = await main()
