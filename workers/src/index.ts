// The Worker's entry. For now it only exports the probe Durable Object; fetch answers 404.
export { ProbeRegion } from './probe-region.ts'

const NOT_FOUND_STATUS = 404

export default {
  async fetch() {
    return new Response('Not found', { status: NOT_FOUND_STATUS })
  },
} satisfies ExportedHandler
