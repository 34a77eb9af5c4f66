import { describe, expect, it } from 'vitest'
import { attributionRulesFor, bgpSettingsProblems, BgpSettingsSchema } from '../../../src/core/bgp/settings.ts'

const minimal = {
  sources: { ripestat: { sourceapp: 'acme-anycast' } },
  targets: [{ target: 'lab', prefixes: [{ prefix: '192.0.2.0/24', originAsns: [64500] }] }],
}
const targets = [{ id: 'lab', sites: [{ id: 'fra', community: '64500:1' }, { id: 'ber' }] }]

describe('the bgp settings block', () => {
  it('fills in the RIPEstat defaults and every BGP detector default', () => {
    const settings = BgpSettingsSchema.parse(minimal)
    expect(settings.sources.ripestat).toEqual({
      baseUrl: 'https://stat.ripe.net',
      sourceapp: 'acme-anycast',
      requestTimeoutMs: 10_000,
      maxConcurrentRequests: 8,
      maxDataAgeSeconds: 900,
      updatesWindowMinutes: 120,
    })
    expect(Object.keys(settings.detection)).toEqual(['bgp-visibility-loss', 'bgp-unexpected-origin', 'bgp-flapping', 'bgp-rpki-invalid'])
  })

  it('refuses more than the 8 concurrent requests RIPEstat allows, a sourceapp it would not accept, and no source at all', () => {
    const paths = (input: unknown) => BgpSettingsSchema.safeParse(input).error?.issues.map((issue) => issue.path.join('.'))
    expect(paths({ ...minimal, sources: { ripestat: { sourceapp: 'acme anycast', maxConcurrentRequests: 9 } } })).toEqual([
      'sources.ripestat.sourceapp',
      'sources.ripestat.maxConcurrentRequests',
    ])
    expect(paths({ ...minimal, sources: {} })).toEqual(['sources'])
  })

  it('accepts IPv4 and IPv6 prefixes and a birdwatcher source on its own', () => {
    const settings = BgpSettingsSchema.parse({
      sources: { birdwatcher: { baseUrl: 'https://lg.example.net/bw' } },
      targets: [{ target: 'lab', prefixes: [{ prefix: '2001:db8::/48', originAsns: [64500, 64501] }] }],
    })
    expect(settings.sources.birdwatcher).toMatchObject({ name: 'birdwatcher', requestTimeoutMs: 10_000 })
    expect(BgpSettingsSchema.safeParse({ ...minimal, targets: [{ target: 'lab', prefixes: [{ prefix: '192.0.2.1', originAsns: [1] }] }] }).success).toBe(false)
  })

  it('takes RIS Live with a silence window, a ws(s) URL, and only with the RIPEstat source its prefixes start from', () => {
    const withRisLive = (sources: Record<string, unknown>) => BgpSettingsSchema.safeParse({ ...minimal, sources })
    expect(withRisLive({ ...minimal.sources, risLive: {} }).data?.sources.risLive).toEqual({ silenceMs: 60_000 })
    expect(withRisLive({ ...minimal.sources, risLive: { url: 'ws://127.0.0.1:8080/v1/ws/', silenceMs: 5_000 } }).success).toBe(true)
    const paths = (sources: Record<string, unknown>) => withRisLive(sources).error?.issues.map((issue) => [issue.path.join('.'), issue.message])
    expect(paths({ ...minimal.sources, risLive: { url: 'https://ris-live.ripe.net/v1/ws/', silenceMs: 10 } })?.map(([path]) => path)).toEqual([
      'sources.risLive.url',
      'sources.risLive.silenceMs',
    ])
    expect(paths({ birdwatcher: { baseUrl: 'https://lg.example.net/bw' }, risLive: {} })).toEqual([
      ['sources.risLive', '"risLive" needs "ripestat": RIS Live streams changes only, the RIPEstat looking glass gives each prefix its starting routes'],
    ])
  })

  it('names unknown targets and sites and a prefix listed twice, by their path in the block', () => {
    const settings = BgpSettingsSchema.parse({
      ...minimal,
      targets: [
        { target: 'lab', prefixes: [{ prefix: '192.0.2.0/24', originAsns: [64500] }], upstreamAsnBySite: { ber: 64511, lon: 64512 } },
        { target: 'ghost', prefixes: [{ prefix: '198.51.100.0/24', originAsns: [64500] }] },
        { target: 'lab', prefixes: [{ prefix: '192.0.2.0/24', originAsns: [64500] }] },
      ],
    })
    expect(bgpSettingsProblems(settings, targets)).toEqual([
      { path: ['targets', 0, 'upstreamAsnBySite', 'lon'], message: 'target "lab" has no site "lon"' },
      { path: ['targets', 1, 'target'], message: 'no target "ghost" in targets' },
      { path: ['targets', 2, 'prefixes', 0, 'prefix'], message: 'prefix 192.0.2.0/24 is already listed for "lab"' },
    ])
  })

  it("builds each site's attribution rule from its community and its upstream", () => {
    const [entry] = BgpSettingsSchema.parse({ ...minimal, targets: [{ ...minimal.targets[0], upstreamAsnBySite: { ber: 64511 } }] }).targets
    expect(attributionRulesFor(targets[0] as (typeof targets)[number], entry)).toEqual([
      { siteId: 'fra', community: '64500:1' },
      { siteId: 'ber', upstreamAsn: 64511 },
    ])
  })
})
