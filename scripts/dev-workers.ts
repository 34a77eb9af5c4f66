// `npm run dev:workers`: the Worker (workers/) under `wrangler dev`, locally, against NSD started here
// on 127.0.0.1. It applies the D1 migrations to a local database, runs `wrangler dev --test-scheduled`
// with a config (MONITOR_CONFIG) whose two Cloudflare regions probe that NSD over TCP, triggers one
// cron cycle through /__scheduled, and prints the status page's address; Ctrl-C stops everything.
// `--check` waits until the page shows the probes' site, then stops (for CI and scripts).
// Offline: miniflare's cf.json download and wrangler's metrics are turned off; nothing leaves loopback.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startDnsServer, type RunningDnsServer } from '../test/support/dns-servers.ts'
import { unusedTcpPort } from '../test/support/ports.ts'
import { pollUntil, sleep } from './poll.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler')
const WRANGLER_CONFIG = join(ROOT, 'workers', 'wrangler.jsonc')
const START_DEADLINE_MS = 60_000
const PAGE_DEADLINE_MS = 30_000
// No cf.json download, no metrics, no banner (whose update check would ask the npm registry).
const OFFLINE_ENV = { CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true' }

const print = (line: string): void => void process.stdout.write(`${line}\n`)

/** Two Cloudflare regions probing the local NSD over TCP; the site is named by NSD's NSID. */
export function devConfig(dns: RunningDnsServer): Record<string, unknown> {
  const region = (hint: string, label: string, latitude: number, longitude: number) => ({
    id: `cf-${hint}`,
    label: `Cloudflare ${label} (local)`,
    region: hint,
    latitude,
    longitude,
    runner: { kind: 'cloudflare-region', locationHint: hint },
  })
  return {
    targets: [
      {
        id: 'loopback-dns',
        label: 'NSD on loopback',
        addresses: [dns.address],
        port: dns.port,
        qname: dns.zone,
        transports: ['tcp'],
        sites: [{ id: 'local', label: 'This machine', latitude: 50.11, longitude: 8.68, match: { exact: [dns.expectedIdentity.text] } }],
      },
    ],
    vantages: [region('weur', 'Western Europe', 48.86, 2.35), region('enam', 'Eastern North America', 40.71, -74.01)],
    probe: { intervalSeconds: 60, timeoutMs: 2000 },
  }
}

function waitFor(url: string, done: (status: number, body: string) => boolean, deadlineMs: number): Promise<string | null> {
  const attempt = async (): Promise<string | null> => {
    const answer = await fetch(url, { signal: AbortSignal.timeout(5_000) }).then(
      async (response) => ({ status: response.status, body: await response.text() }),
      () => null,
    )
    return answer !== null && done(answer.status, answer.body) ? answer.body : null
  }
  return pollUntil(attempt, Date.now() + deadlineMs, 500)
}

function applyMigrations(persistDir: string): void {
  const result = spawnSync(WRANGLER, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistDir, '--config', WRANGLER_CONFIG], {
    cwd: ROOT,
    env: { ...process.env, ...OFFLINE_ENV, CI: 'true' },
    encoding: 'utf8',
  })
  if (result.status !== 0) throw new Error(`wrangler d1 migrations apply failed:\n${result.stdout}${result.stderr}`)
}

function startWrangler(port: number, persistDir: string, config: Record<string, unknown>): ChildProcess {
  const args = ['dev', '--config', WRANGLER_CONFIG, '--local', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', '0']
  args.push('--test-scheduled', '--persist-to', persistDir, '--var', `MONITOR_CONFIG:${JSON.stringify(config)}`, '--show-interactive-dev-session=false')
  return spawn(WRANGLER, args, { cwd: ROOT, env: { ...process.env, ...OFFLINE_ENV }, stdio: ['ignore', 'inherit', 'inherit'] })
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('close', resolve))
  child.kill('SIGTERM') // our own child
  await Promise.race([exited, sleep(5_000)])
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check')
  const persistDir = mkdtempSync(join(tmpdir(), 'anycast-monitor-dev-workers-'))
  const dns = await startDnsServer('nsd')
  let wrangler: ChildProcess | undefined
  try {
    print(`NSD on ${dns.address}:${dns.port} (zone ${dns.zone}, NSID ${dns.expectedIdentity.text})`)
    applyMigrations(persistDir)
    const port = await unusedTcpPort()
    const base = `http://127.0.0.1:${port}`
    wrangler = startWrangler(port, persistDir, devConfig(dns))
    if ((await waitFor(`${base}/api/v1/health`, (status) => status < 500, START_DEADLINE_MS)) === null) throw new Error('wrangler dev did not answer')
    const cron = await waitFor(`${base}/__scheduled?cron=*+*+*+*+*`, (status) => status === 200, 10_000)
    print(`cron cycle triggered: ${cron ?? 'no answer'}`)
    const page = await waitFor(`${base}/targets/loopback-dns`, (status, body) => status === 200 && body.includes(dns.expectedIdentity.text), PAGE_DEADLINE_MS)
    if (page === null) throw new Error(`the page ${base}/targets/loopback-dns did not show the probes within ${PAGE_DEADLINE_MS / 1000} s`)
    print(`status page ${base}/ shows the probes of cf-weur and cf-enam (NSID ${dns.expectedIdentity.text})`)
    if (check) return 0
    print(`Another cycle: curl '${base}/__scheduled?cron=*+*+*+*+*'. Ctrl-C stops wrangler and NSD.`)
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve())
      process.once('SIGTERM', () => resolve())
    })
    return 0
  } finally {
    if (wrangler) await stop(wrangler)
    await dns.stop()
    rmSync(persistDir, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`dev:workers: ${error instanceof Error ? error.message : String(error)}\n`)
      process.exitCode = 1
    },
  )
}
