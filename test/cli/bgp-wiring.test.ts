import { describe, expect, it } from 'vitest'
import type { RisLiveSource } from '../../src/adapters/bgp/ris-live.ts'
import { bgpCheckDeps, createBgpSources } from '../../src/cli/bgp-wiring.ts'
import { BgpSettingsSchema } from '../../src/core/bgp/settings.ts'

// Never contacted: RIS Live connects on the first snapshot(), RIPEstat on the first request.
const settings = BgpSettingsSchema.parse({
  sources: {
    ripestat: { sourceapp: 'anycast-monitor-test', baseUrl: 'http://127.0.0.1:9' },
    birdwatcher: { name: 'lg-fra', baseUrl: 'http://127.0.0.1:9' },
    risLive: { url: 'ws://127.0.0.1:9/v1/ws/' },
  },
  targets: [{ target: 'lab', prefixes: [{ prefix: '192.0.2.0/24', originAsns: [64500] }] }],
})

describe('the BGP sources of the config', () => {
  it('leaves RIS Live out of the one-shot bgp command and puts it in the monitor cycle, unconnected until asked', () => {
    expect(createBgpSources(settings).map((source) => source.name)).toEqual(['ripestat', 'lg-fra'])
    const deps = bgpCheckDeps(settings)
    expect(deps.sources.map((source) => source.name)).toEqual(['ripestat', 'lg-fra', 'ris-live'])
    const risLive = deps.sources[2] as RisLiveSource
    expect(risLive.health()).toMatchObject({ state: 'idle', url: 'ws://127.0.0.1:9/v1/ws/', connects: 0 })
  })
})
