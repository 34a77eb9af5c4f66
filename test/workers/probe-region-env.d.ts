// The probe Durable Object's binding in test/workers/wrangler.jsonc and its variables (unset there, so
// their defaults), as the tests read them from `env` (merged with any other declaration of Cloudflare.Env).
declare namespace Cloudflare {
  interface Env {
    PROBE_REGION: DurableObjectNamespace<import('../../workers/src/probe-region.ts').ProbeRegion>
    PROBE_SUBREQUESTS_PER_INVOCATION?: string
    PROBE_COLO_LOOKUP?: string
  }
}
