// The coordinator's binding and the config variable in test/workers/wrangler.jsonc, as the tests read
// them from `env` (merged with the other declarations of Cloudflare.Env).
declare namespace Cloudflare {
  interface Env {
    COORDINATOR: DurableObjectNamespace<import('../../workers/src/coordinator.ts').Coordinator>
    MONITOR_CONFIG?: string
    /** The signing key the alert route of region-deadline.test.ts's config names. */
    TEST_WEBHOOK_KEY: string
  }
}
