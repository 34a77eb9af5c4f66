// The remote vantage's ingest key in test/workers/wrangler.jsonc's vars, as ingest.test.ts reads it from
// `env` (merged with the other declarations of Cloudflare.Env).
declare namespace Cloudflare {
  interface Env {
    TEST_INGEST_KEY: string
  }
}
