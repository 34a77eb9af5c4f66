// The Worker as an operator builds and tries it: `wrangler deploy --dry-run` bundles workers/ with the
// shipped example config (nothing is deployed, nothing runs), and `npm run dev:workers -- --check` runs
// it under wrangler dev against NSD on loopback until its status page shows the probes.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { dnsServerAvailable } from '../support/dns-servers.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler')
const OFFLINE_ENV = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true' }
/** Workers Free's limit on the compressed script. */
const FREE_PLAN_GZIP_BYTES = 3 * 1024 * 1024

describe('the Worker, built and run locally', () => {
  it('bundles with wrangler deploy --dry-run: the Durable Objects and D1 bound, small enough for the Free plan', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'worker-bundle-'))
    try {
      const result = spawnSync(WRANGLER, ['deploy', '--dry-run', '--config', 'workers/wrangler.jsonc', '--outdir', outdir], { cwd: ROOT, env: OFFLINE_ENV, encoding: 'utf8', timeout: 120_000 })
      const output = `${result.stdout}${result.stderr}`
      expect(result.status, output).toBe(0)
      expect(output).toMatch(/env\.PROBE_REGION \(ProbeRegion\)\s+Durable Object/)
      expect(output).toMatch(/env\.COORDINATOR \(Coordinator\)\s+Durable Object/)
      expect(output).toMatch(/env\.DB \(anycast-monitor\)\s+D1 Database/)
      const bundle = readFileSync(join(outdir, 'index.js'))
      expect(statSync(join(outdir, 'index.js')).size).toBeGreaterThan(0)
      expect(gzipSync(bundle).length).toBeLessThan(FREE_PLAN_GZIP_BYTES)
      // Node-only modules of the CLI (SQLite, RIS Live's websocket, network namespaces) stay out of it.
      expect(bundle.toString()).not.toMatch(/better-sqlite3|ip netns exec/)
    } finally {
      rmSync(outdir, { recursive: true, force: true })
    }
  }, 150_000)

  it.skipIf(!dnsServerAvailable('nsd').ok)('npm run dev:workers -- --check shows the probes of both regions on the page', () => {
    const result = spawnSync('npm', ['run', '--silent', 'dev:workers', '--', '--check'], { cwd: ROOT, env: OFFLINE_ENV, encoding: 'utf8', timeout: 150_000 })
    const output = `${result.stdout}${result.stderr}`
    expect(result.status, output.slice(-3000)).toBe(0)
    expect(output).toMatch(/"status":"ran","tick":\d+,"observations":2,"missingVantages":\[\]/)
    expect(output).toMatch(/status page http:\/\/127\.0\.0\.1:\d+\/ shows the probes of cf-weur and cf-enam/)
  }, 180_000)
})
