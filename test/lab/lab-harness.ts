// What every lab end-to-end file shares: why the lab cannot run here (the skip reason), the lab CLI,
// waiting for a vantage to see something, and a lock that keeps two lab files of one test run (vitest
// runs files in parallel; there is one lab per machine), or a test and bench/detection.ts, from using
// the lab at the same time.
import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { probeFrom, type ProbeResult } from '../../lab/lab.ts'
import { labUnavailableReason } from '../../lab/relay-link.ts'
import { NAMESPACE_PREFIX, RUN_DIR, VIP4, type Vantage } from '../../lab/topology.ts'

const CLI = fileURLToPath(new URL('../../lab/cli.ts', import.meta.url))
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url))
/** Held by whoever owns the lab right now: `${pid} ${token} ${role}`. Outside RUN_DIR, which `down` removes. */
export const LAB_TEST_LOCK = `${RUN_DIR}-tests.lock`
/** The role of a lab test file in the lock; test files wait for each other, and skip while anything else holds it. */
const TEST_ROLE = 'vitest'

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Resolves when `check` holds, polling; throws with `what` after timeoutMs. */
export async function eventually(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`)
    await sleep(50)
  }
}

/** Why the lab tests cannot run here, or undefined. Synchronous: files decide to skip at collection time. */
export function labSkipReason(): string | undefined {
  const reason = labUnavailableReason()
  if (reason) return reason
  for (const binary of ['bird', 'birdc', 'named', 'nsd', 'knotd', 'exabgp', 'dig', 'ping']) {
    if (spawnSync('sh', ['-c', `command -v ${binary}`]).status !== 0) return `${binary} is not installed (npm run lab -- deps)`
  }
  if (!existsSync('/usr/lib/frr/bgpd')) return 'frr is not installed (npm run lab -- deps)'
  // A lab brought up by another lab test file of this run is waited for (acquireLabTestLock), not a reason to skip.
  const lock = lockHolder()
  const holder = lock?.pid === process.pid ? undefined : lock // the bench asks after taking the lock itself
  if (holder !== undefined && holder.role !== TEST_ROLE) return `the lab is in use by ${holder.role} (pid ${holder.pid})`
  if (labIsUp() && holder === undefined) return `a lab is already up (${RUN_DIR}); run npm run lab -- down first`
  return undefined
}

export function labIsUp(): boolean {
  const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout
  return existsSync(RUN_DIR) || namespaces.split('\n').some((line) => line.startsWith(NAMESPACE_PREFIX))
}

/** Runs `npm run lab -- ARGS` (without npm): exit status and all output. */
export function runLabCli(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(TSX, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 })
  return { status: result.status, output: `${result.stdout}${result.stderr}` }
}

interface LockHolder {
  pid: number
  role: string
}

/** The live holder of the lab lock, or undefined (no lock, or its process is gone). */
function lockHolder(): LockHolder | undefined {
  let text: string
  try {
    text = readFileSync(LAB_TEST_LOCK, 'utf8').trim()
  } catch {
    return undefined
  }
  const [pidText = '', , role = TEST_ROLE] = text.split(' ')
  const pid = Number(pidText)
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  try {
    process.kill(pid, 0) // signal 0: only asks whether the process exists
    return { pid, role }
  } catch {
    return undefined
  }
}

export interface LabTestLock {
  release(): void
}

/**
 * Waits until nobody else holds the lab, then takes it. A lock left by a process that is gone is
 * taken over. Release it after `down`. `role` says who holds it (bench/detection.ts passes its name).
 */
export async function acquireLabTestLock(timeoutMs: number, role = TEST_ROLE, onWait?: (holder: string) => void): Promise<LabTestLock> {
  const mine = `${process.pid} ${randomUUID()} ${role.replace(/\s+/g, '_')}`
  let told = false
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const fd = openSync(LAB_TEST_LOCK, 'wx')
      writeSync(fd, mine)
      closeSync(fd)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      if (lockHolder() === undefined) {
        try {
          unlinkSync(LAB_TEST_LOCK) // stale: its process is gone
        } catch {
          // someone else removed it first
        }
        continue
      }
      if (Date.now() > deadline) throw new Error(`${LAB_TEST_LOCK} is held by someone else for more than ${timeoutMs} ms`)
      if (!told && onWait) {
        const holder = lockHolder()
        if (holder) onWait(`${holder.role} (pid ${holder.pid})`)
        told = true
      }
      await sleep(500)
    }
  }
  return {
    release: () => {
      try {
        if (readFileSync(LAB_TEST_LOCK, 'utf8').trim() === mine) unlinkSync(LAB_TEST_LOCK)
      } catch {
        // already gone
      }
    },
  }
}

/** Probes until `accept` holds; returns the accepted result and when it came (ms after `since`). */
export async function probeUntil(
  vantage: Vantage,
  accept: (result: ProbeResult) => boolean,
  timeoutMs: number,
  options: { address?: string; transport?: 'udp' | 'tcp'; since?: number } = {},
): Promise<{ result: ProbeResult; afterMs: number }> {
  const since = options.since ?? Date.now()
  const deadline = Date.now() + timeoutMs
  let last: ProbeResult | undefined
  while (Date.now() < deadline) {
    last = await probeFrom(vantage, options.address ?? VIP4, options.transport ?? 'udp', 1000)
    if (accept(last)) return { result: last, afterMs: Date.now() - since }
    await sleep(100)
  }
  throw new Error(`${vantage.id}: condition not met in ${timeoutMs} ms; last probe: ${JSON.stringify(last?.raw)}`)
}
