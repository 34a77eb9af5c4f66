// The bindings of test/workers/wrangler.jsonc and vitest.config.ts that the D1 tests read from `env`
// (merged with any other declaration of Cloudflare.Env).
declare namespace Cloudflare {
  interface Env {
    DB: D1Database
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[]
  }
}
