// The BGP panel on its own: every string of the stored view is shown as text (a view read back from the
// store is as untrusted as the network it came from), and what is said when there is nothing to show.
import { describe, expect, it } from 'vitest'
import type { StoredBgpSourceView, StoredBgpView } from '../../../src/core/bgp/source-view.ts'
import { renderBgpPanel } from '../../../src/core/status/bgp-panel.ts'

const NOW_MS = Date.UTC(2026, 10, 22, 12, 0, 0)
const EVIL = '<img src=x onerror=alert(1)>\u202e\x07'
const EVIL_SHOWN = '&lt;img src=x onerror=alert(1)&gt;\\u202e\\x07'

function source(overrides: Partial<StoredBgpSourceView> = {}): StoredBgpSourceView {
  return {
    source: 'ripestat', result: 'snapshot', reason: null, fetchedAt: '2026-11-22T11:59:00.000Z', dataAt: '2026-11-22T11:58:30.000Z',
    collectors: ['rrc00'], totals: { peersSeeing: 1, peersTotal: null, byCollector: [{ collector: 'rrc00', peersSeeing: 1, peersTotal: null }] },
    dumpVisibility: null, origins: [{ originAsn: 64500, peers: 1, expected: true }], sites: { fra: 'announced' }, catchment: { fra: 1 },
    peers: [{
      collector: 'rrc00', peerIp: '10.0.0.1', peerAsn: 65001, asPath: '65001 64500', originAsn: 64500, upstreamAsn: 65001,
      communities: ['64500:1'], largeCommunities: [], site: 'fra', siteMatchedBy: 'community', changedAt: null,
    }],
    peersLeftOut: 0, rpki: null, updates: null, gaps: [],
    ...overrides,
  }
}

function view(sources: StoredBgpSourceView[]): StoredBgpView {
  return { checkedAt: NOW_MS - 60_000, prefixes: [{ prefix: '192.0.2.0/24', expectedOriginAsns: [64500], sources }] }
}

const render = (input: Partial<Parameters<typeof renderBgpPanel>[0]>): string =>
  renderBgpPanel({ configured: true, view: null, nowMs: NOW_MS, catchment: [], ...input }).markup

describe('the BGP panel', () => {
  it('shows every string of the view as text: source, reason, collector, peer, path, communities, site, gaps, validator', () => {
    const hostile = source({
      source: EVIL, result: 'stale', reason: EVIL,
      totals: { peersSeeing: 1, peersTotal: 2, byCollector: [{ collector: EVIL, peersSeeing: 1, peersTotal: 2 }] },
      sites: { [EVIL]: 'announced' }, catchment: { [EVIL]: 1 }, gaps: [{ part: 'rpki', reason: EVIL }],
      rpki: [{ originAsn: 64500, status: 'invalid', detail: EVIL, validator: EVIL }],
      peers: [{ ...source().peers[0]!, collector: EVIL, peerIp: EVIL, asPath: EVIL, communities: [EVIL], largeCommunities: [EVIL], site: EVIL }],
      dataAt: EVIL,
    })
    const markup = render({ view: view([hostile]), catchment: [{ vantage: 'par', family: 'ipv4', site: EVIL, since: 0, transports: null }] })
    expect(markup).not.toContain('<img')
    expect(markup).not.toMatch(/[\u202e\x07]/)
    expect(markup.split(EVIL_SHOWN).length - 1).toBeGreaterThanOrEqual(14)
  })

  it('lists the probe catchment beside the BGP one, vantages without an answer included', () => {
    const markup = render({
      view: view([source({ catchment: { fra: 2, ams: 1 } })]),
      catchment: [
        { vantage: 'par', family: 'ipv4', site: 'fra', since: 0, transports: null }, { vantage: 'ber', family: 'ipv4', site: null, since: 0, transports: null },
        { vantage: 'lon', family: 'ipv4', site: 'fra', since: 0, transports: null },
        // The prefix is IPv4: where the vantages land over IPv6 is not its catchment.
        { vantage: 'par', family: 'ipv6', site: 'ams', since: 0, transports: null },
      ],
    })
    expect(markup).toContain('<span class="bgp-line">BGP: fra 2 peers, ams 1 peer</span><span class="bgp-line muted">Probes: fra 2 vantages, no answer 1 vantage</span>')
  })

  it('says when a fresh source sees no peer, and shows no facts for an unavailable one', () => {
    const empty = source({ peers: [], catchment: {}, origins: [], totals: { peersSeeing: 0, peersTotal: 3, byCollector: [] } })
    const down = source({ source: 'lg', result: 'unavailable', reason: 'HTTP 503', dataAt: null, fetchedAt: null, totals: null, peers: [], catchment: {} })
    const markup = render({ view: view([empty, down]) })
    expect(markup).toContain('<dt>Peers seeing it</dt><dd>0 of 3</dd>')
    expect(markup).toContain('<dt>Origins</dt><dd>none</dd>')
    expect(markup).toContain('No peer of this source sees the prefix.')
    expect(markup).toContain('<h4>lg <span class="tag bgp-unavailable">unavailable</span><span class="bgp-reason">: HTTP 503</span></h4>\n<p class="muted small">no data, checked 2026-11-22 11:59 UTC (1 min ago)</p>')
    expect(markup.match(/<dl class="facts">/g)).toHaveLength(1)
  })

  it('says "not configured" without BGP, "no BGP check yet" before the first check', () => {
    expect(render({ configured: false, view: view([source()]) })).toContain('BGP data: not configured')
    expect(render({ view: null })).toContain('BGP data: no BGP check yet')
  })
})
