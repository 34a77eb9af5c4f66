// What the status page costs at full size: 90 days of one-minute cycles for 5 targets x 12 vantages
// (bench/history.ts, loaded into a temporary SQLite file), served by the monitor's web app over HTTP on
// loopback. The overview and a target page are timed beside a static body of the same size served by the
// same server, so the table separates the page's own work from HTTP and the machine.
//
//   npx tsx bench/status-page.ts [--days 90] [--requests 200] [--keep] [--store FILE]
//
// --store FILE reuses a file kept by an earlier run (--keep) of the same --days instead of loading again.
// Requests are sequential (one in flight), after 20 unmeasured ones per route; req/s is over that
// sequential run. Target (issue 6): p95 at most 50 ms for both pages. Figures only: the exit code is 0
// unless the setup fails.
import { serve, type ServerType } from '@hono/node-server'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import { Hono } from 'hono'
import { createSqliteStore } from '../src/adapters/store/sqlite.ts'
import { createWebApp } from '../src/app/create-web-app.ts'
import { parseConfig, type Config } from '../src/core/config.ts'
import type { Incident } from '../src/core/findings.ts'
import { mulberry32 } from '../test/support/seeded-random.ts'
import { installSignalCleanup, onCleanup, runCleanup } from './cleanup.ts'
import { DAY_MS, HOUR_MS, SEED, SITES_PER_TARGET, START_MS, TARGETS, VANTAGES, loadHistory, pathsOf } from './history.ts'
import { fixed, renderTable } from './table.ts'

const WARMUP_REQUESTS = 20
const P95_TARGET_MS = 50
/** Coordinates for the generated sites and vantages: real cities, so the maps look like maps. */
const CITIES: [number, number][] = [
  [50.11, 8.68], [48.86, 2.35], [52.37, 4.9], [51.51, -0.13], [52.23, 21.01], [40.42, -3.7], [40.71, -74.01], [41.88, -87.63],
  [37.77, -122.42], [-23.55, -46.63], [1.35, 103.82], [-33.87, 151.21], [35.68, 139.69], [19.08, 72.88], [-26.2, 28.05], [25.2, 55.27],
]
const VANTAGE_CITY: Record<string, number> = { fra: 0, par: 1, ams: 2, lon: 3, waw: 4, mad: 5, nyc: 6, chi: 7, sfo: 8, gru: 9, sin: 10, syd: 11 }

function benchConfig(): Config {
  const parsed = parseConfig({
    targets: TARGETS.map((target, targetIndex) => ({
      id: target, label: target, addresses: ['192.0.2.53'], qname: '.',
      sites: Array.from({ length: SITES_PER_TARGET }, (_, n) => {
        const [latitude, longitude] = CITIES[(n * 2 + targetIndex) % CITIES.length]!
        const id = `${target.slice(0, 3)}-s${n}`
        return { id, label: `${id} (generated)`, latitude, longitude, match: { exact: [`${id}.${target}`] } }
      }),
    })),
    vantages: VANTAGES.map((vantage) => {
      const [latitude, longitude] = CITIES[VANTAGE_CITY[vantage] ?? 0]!
      return { id: vantage, label: vantage, region: 'bench', latitude, longitude, runner: { kind: 'remote', keyEnv: 'BENCH_INGEST_KEY' } }
    }),
  })
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors))
  return parsed.config
}

/** A few incidents per target, open and resolved, so that the pages render incident cards and timelines. */
function incidentsOf(target: string, nowMs: number): Incident[] {
  return [0, 1, 2].map((index) => {
    const openedAt = nowMs - (index * 9 + 1) * DAY_MS
    const resolvedAt = index === 0 && target === TARGETS[0] ? null : openedAt + 2 * HOUR_MS
    const scope = `site:${target.slice(0, 3)}-s${index}`
    const summary = `site ${scope.slice(5)} stopped answering (generated)`
    return {
      key: `${target}/site-down/${scope}`, kind: 'site-down', target, scope, severity: 'error', status: resolvedAt === null ? 'open' : 'resolved',
      openedAt, resolvedAt, lastSeenAt: openedAt + HOUR_MS, flapping: false,
      lastFinding: { kind: 'site-down', target, scope, severity: 'error', summary, at: openedAt, evidence: { sites: [scope.slice(5)], vantages: ['fra'], latest: [], details: {} } },
      updates: [{ at: openedAt, text: 'opened' }, ...(resolvedAt === null ? [] : [{ at: resolvedAt, text: 'resolved' }])],
    }
  })
}

interface Timing {
  route: string
  bytes: number
  samplesMs: number[]
  seconds: number
}

async function timeRoute(base: string, route: string, paths: (index: number) => string, requests: number, encoding = 'identity'): Promise<Timing> {
  let bytes = 0
  for (let index = 0; index < WARMUP_REQUESTS; index += 1) await get(`${base}${paths(index)}`, encoding)
  const samplesMs: number[] = []
  const startedAt = performance.now()
  for (let index = 0; index < requests; index += 1) {
    const before = performance.now()
    bytes = await get(`${base}${paths(index)}`, encoding)
    samplesMs.push(performance.now() - before)
  }
  return { route, bytes, samplesMs, seconds: (performance.now() - startedAt) / 1000 }
}

/** The whole body is read: the time is until the last byte. Bytes are after fetch inflated a gzip body. */
async function get(url: string, encoding: string): Promise<number> {
  const response = await fetch(url, { headers: { 'Accept-Encoding': encoding } })
  const body = await response.arrayBuffer()
  if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`)
  return body.byteLength
}

function quantile(sorted: number[], fraction: number): number {
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN
}

function stats(timing: Timing): { p50: number; p95: number; max: number; perSecond: number } {
  const sorted = [...timing.samplesMs].sort((a, b) => a - b)
  return { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), max: sorted.at(-1) ?? Number.NaN, perSecond: timing.samplesMs.length / timing.seconds }
}

function listen(app: Hono): Promise<{ server: ServerType; base: string }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve({ server, base: `http://127.0.0.1:${info.port}` }))
  })
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { days: { type: 'string', default: '90' }, requests: { type: 'string', default: '200' }, keep: { type: 'boolean', default: false }, store: { type: 'string' } },
  })
  const days = Number(values.days)
  const requests = Number(values.requests)
  installSignalCleanup()
  const endMs = START_MS + days * DAY_MS
  const nowMs = endMs
  let path = values.store
  let loaded = { seconds: 0, cycles: 0 }
  if (path === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-status-'))
    path = join(dir, 'store.db')
    const kept = path
    onCleanup(`temporary directory ${dir}`, async () => {
      if (values.keep) process.stderr.write(`kept ${kept}\n`)
      else rmSync(dir, { recursive: true, force: true })
    })
  }
  const store = createSqliteStore({ path, synchronous: 'normal' })
  onCleanup('the store', () => store.close())
  if (values.store === undefined) {
    process.stderr.write(`loading ${days} days x ${TARGETS.length} targets x ${VANTAGES.length} vantages into ${path}\n`)
    const random = mulberry32(SEED)
    loaded = await loadHistory(store, random, pathsOf(random), endMs)
    for (const target of TARGETS) await store.savePolicyState(target, 0, null, incidentsOf(target, nowMs), [])
  }

  const web = createWebApp({ config: benchConfig(), store, nowMs: () => nowMs })
  const bytesOf = async (route: string): Promise<number> => (await (await web.request(route)).arrayBuffer()).byteLength
  // Static bodies of the pages' sizes, served by the same app and server: the floor of what HTTP costs.
  const staticBodies = { overview: Buffer.alloc(await bytesOf('/'), 'x'), target: Buffer.alloc(await bytesOf(`/targets/${TARGETS[0]}`), 'x') }
  const app = new Hono()
  app.get('/bench/static/:name', (c) => c.body(staticBodies[c.req.param('name') as keyof typeof staticBodies] ?? '', 200, { 'Content-Type': 'text/html; charset=utf-8' }))
  app.route('/', web)
  const { server, base } = await listen(app)
  onCleanup('the HTTP server', () => new Promise((resolve) => server.close(() => resolve())))

  const target = (index: number): string => `/targets/${TARGETS[index % TARGETS.length]}`
  const rows = [
    [await timeRoute(base, 'overview /', () => '/', requests), await timeRoute(base, 'static, same size', () => '/bench/static/overview', requests)],
    [await timeRoute(base, 'target /targets/:id', target, requests), await timeRoute(base, 'static, same size', () => '/bench/static/target', requests)],
  ] as const
  const gzipped = [await timeRoute(base, 'overview /, gzip', () => '/', requests, 'gzip'), await timeRoute(base, 'target /targets/:id, gzip', target, requests, 'gzip')]
  // fetch inflates what it receives; the size on the wire is the same body through gzip.
  gzippedSizes.set('overview /, gzip', gzipSync(Buffer.from(await (await web.request('/')).arrayBuffer())).length)
  gzippedSizes.set('target /targets/:id, gzip', gzipSync(Buffer.from(await (await web.request(`/targets/${TARGETS[0]}`)).arrayBuffer())).length)
  printReport(days, loaded, rows, gzipped)
}

const gzippedSizes = new Map<string, number>()
function gzippedBytes(route: string): string {
  return String(gzippedSizes.get(route) ?? '-')
}

function printReport(days: number, loaded: { seconds: number; cycles: number }, rows: readonly (readonly [Timing, Timing])[], gzipped: readonly Timing[]): void {
  const load = loaded.cycles === 0 ? 'reused store file' : `${loaded.cycles} cycles, loaded in ${fixed(loaded.seconds, 0)} s`
  console.log(`\nStatus page: ${days} days of one-minute cycles, ${TARGETS.length} targets x ${VANTAGES.length} vantages (${load}), SQLite, HTTP on loopback\n`)
  const tableRows = rows.flatMap(([page, floor]) => {
    const p = stats(page)
    const s = stats(floor)
    const verdict = p.p95 <= P95_TARGET_MS ? 'PASS' : 'MISS'
    return [
      [page.route, String(page.bytes), String(page.samplesMs.length), fixed(p.p50, 2), fixed(p.p95, 2), fixed(p.max, 2), fixed(p.perSecond, 0), `${fixed(p.p50 / s.p50, 1)}x`, `${fixed(p.p95 / s.p95, 1)}x`, verdict],
      [`  ${floor.route}`, String(floor.bytes), String(floor.samplesMs.length), fixed(s.p50, 2), fixed(s.p95, 2), fixed(s.max, 2), fixed(s.perSecond, 0), '', '', ''],
    ]
  })
  const gzipRows = gzipped.map((timing) => {
    const t = stats(timing)
    return [timing.route, `${timing.bytes} (${gzippedBytes(timing.route)} gz)`, String(timing.samplesMs.length), fixed(t.p50, 2), fixed(t.p95, 2), fixed(t.max, 2), fixed(t.perSecond, 0), '', '', t.p95 <= P95_TARGET_MS ? 'PASS' : 'MISS']
  })
  console.log(renderTable(['route', 'bytes', 'n', 'p50 ms', 'p95 ms', 'max ms', 'req/s', 'p50 / static', 'p95 / static', `p95 <= ${P95_TARGET_MS} ms`], [...tableRows, ...gzipRows]))
}

main()
  .catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
  .finally(() => runCleanup())
