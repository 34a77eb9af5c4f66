import { fileURLToPath } from 'node:url'
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'
import { summaryLineReporter } from './test/reporters/summary-line.ts'

// No network: miniflare must not download cf.json, wrangler must not send metrics. Set here so that
// every run (CI included) gets them, whatever the shell exports.
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false'
process.env.WRANGLER_SEND_METRICS = 'false'

const TEST_TIMEOUT_MS = 30_000
const HOOK_TIMEOUT_MS = 60_000

export default defineConfig({
  test: {
    // The plain 'N passed, N failed' line after vitest's summary is what CI reads.
    reporters: ['default', summaryLineReporter()],
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/workers/**', 'node_modules/**'],
          testTimeout: TEST_TIMEOUT_MS,
          hookTimeout: HOOK_TIMEOUT_MS,
        },
      },
      {
        // Tests run inside workerd; global-setup.ts runs in Node and starts the loopback DNS servers.
        // migrations/ is read here, in Node, and handed to apply-d1-migrations.ts as the TEST_MIGRATIONS binding.
        plugins: [cloudflareTest(async () => ({
          wrangler: { configPath: './test/workers/wrangler.jsonc' },
          miniflare: { bindings: { TEST_MIGRATIONS: await readD1Migrations(fileURLToPath(new URL('./migrations', import.meta.url))) } },
        }))],
        test: {
          name: 'workers',
          include: ['test/workers/**/*.test.ts'],
          globalSetup: ['test/workers/global-setup.ts'],
          setupFiles: ['test/workers/apply-d1-migrations.ts'],
          testTimeout: TEST_TIMEOUT_MS,
          hookTimeout: HOOK_TIMEOUT_MS,
        },
      },
    ],
  },
})
