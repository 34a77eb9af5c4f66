import { describe, expect, it } from 'vitest'
import { buildBgpView, bgpViewText, viewHasNoFreshData, type BgpViewPrefix } from '../../src/app/bgp-view.ts'
import { BgpDetectionSettingsSchema } from '../../src/core/bgp/detectors/index.ts'
import type { BgpSourceResult } from '../../src/core/bgp/model.ts'
import type { BgpSource } from '../../src/ports/bgp-source.ts'
import { fresh, PREFIX, route, RULES, snapshot, T0, unavailable } from '../support/bgp.ts'

const answering = (name: string, result: BgpSourceResult): BgpSource => ({ name, snapshot: async () => result })
const entry: BgpViewPrefix = { target: 'lab', prefix: PREFIX, expectedOriginAsns: [64500], rules: RULES }
const deps = (sources: BgpSource[]) => ({ sources, nowMs: () => T0, detection: BgpDetectionSettingsSchema.parse({}) })

const ris = snapshot([
  route('65001 64510 64500', { communities: ['64500:1'] }),
  route('65002 64511 64500', { collector: 'rrc01' }),
  route('65003 3356 64666'),
])

describe('the BGP view', () => {
  it('joins each source: peers with their path, origin and site, origins against the expected ones, site status and catchment', async () => {
    const view = await buildBgpView(deps([answering('ripestat', fresh(ris))]), [entry], new AbortController().signal)
    const [source] = view.prefixes[0]?.sources ?? []
    expect(source).toMatchObject({
      source: 'ripestat',
      result: 'snapshot',
      reason: null,
      dataAt: new Date(T0 - 30_000).toISOString(),
      collectors: ['rrc00', 'rrc01'],
      origins: [
        { originAsn: 64500, peers: 2, expected: true },
        { originAsn: 64666, peers: 1, expected: false },
      ],
      sites: { fra: 'announced', ber: 'announced', ams: 'withdrawn' },
      catchment: { fra: 1, ber: 1, unattributed: 1 },
    })
    expect(source?.peers.map((peer) => [peer.peerIp, peer.asPath, peer.upstreamAsn, peer.site, peer.siteMatchedBy])).toEqual([
      ['10.0.0.65001', '65001 64510 64500', 64510, 'fra', 'community'],
      ['10.0.0.65002', '65002 64511 64500', 64511, 'ber', 'upstream'],
      ['10.0.0.65003', '65003 3356 64666', 3356, null, null],
    ])
  })

  it('shows a failing source with its reason next to the others, and says when no source had fresh data', async () => {
    const sources = [answering('ripestat', unavailable()), { name: 'broken', snapshot: () => Promise.reject(new Error('bug')) }]
    const view = await buildBgpView(deps(sources), [entry], new AbortController().signal)
    expect(view.prefixes[0]?.sources.map((source) => [source.source, source.result, source.reason, source.sites])).toEqual([
      ['ripestat', 'unavailable', 'looking-glass: HTTP 500 (after 3 attempts)', { fra: 'unknown', ber: 'unknown', ams: 'unknown' }],
      ['broken', 'unavailable', 'source failed: Error: bug', { fra: 'unknown', ber: 'unknown', ams: 'unknown' }],
    ])
    expect(viewHasNoFreshData(view)).toBe(true)
  })

  it('reads as a few lines per source in a terminal', async () => {
    const view = await buildBgpView(deps([answering('ripestat', fresh(ris))]), [entry], new AbortController().signal)
    expect(bgpViewText(view).split('\n').slice(0, 6)).toEqual([
      `${PREFIX} (target lab)`,
      '  ripestat: snapshot',
      `    data at ${new Date(T0 - 30_000).toISOString()}; 3 peers see it at 2 collectors`,
      '    origins: AS64500×2, AS64666×1 (unexpected)',
      '    sites: fra announced, ber announced, ams withdrawn',
      '    catchment (peers per site): fra 1, ber 1, unattributed 1',
    ])
  })
})
