// Runs in workerd before each test file of the workers project: gives the DB binding the schema of
// migrations/ (read in Node by vitest.config.ts), as `wrangler d1 migrations apply` would. Idempotent.
import { applyD1Migrations } from 'cloudflare:test'
import { env } from 'cloudflare:workers'

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS)
