// The status page's routes through app.request(): status, content type and what each must show, with a
// believable history in the memory store. One target's ams site answers with a hostile NSID.
import { beforeAll, describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../src/adapters/store/memory.ts'
import { CONTENT_SECURITY_POLICY } from '../../src/app/create-status-page.ts'
import { createWebApp } from '../../src/app/create-web-app.ts'
import type { MonitorStore } from '../../src/ports/store.ts'
import { HOSTILE_TEXT, NOW_MS, SECRETS, fillStatusHistory, statusConfig } from '../support/status-history.ts'

/** A tiny land path: the routes do not need the world, and the tests stay fast. */
const LAND = 'M0 0L10 0L10 10Z'
const HOSTILE_ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;\\x00\\x1b'

let app: ReturnType<typeof createWebApp>
let calls: string[]

/** The store, recording which reads the page makes (it must draw charts from rollups, never raw rows). */
function recording(store: MonitorStore, log: string[]): MonitorStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        log.push(`${String(property)} ${JSON.stringify(args)}`)
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
}

beforeAll(async () => {
  const store = createMemoryStore()
  await fillStatusHistory(store, statusConfig(), { hostile: true })
  calls = []
  app = createWebApp({ config: statusConfig(), store: recording(store, calls), nowMs: () => NOW_MS, landPath: LAND })
})

async function get(path: string) {
  calls.length = 0
  const response = await app.request(path)
  return { response, body: await response.text(), calls: [...calls] }
}

describe('the overview', () => {
  it('shows every target with its state and since when, active incidents first', async () => {
    const { response, body } = await get('/')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=UTF-8')
    expect(body).toContain('Some services degraded')
    expect(body.indexOf('Active incidents')).toBeLessThan(body.indexOf('id="services"'))
    expect(body).toContain('<a href="/incidents/k-root%2Fsite-down%2Fsite%3Afra">Site down · site:fra on K-root</a>')
    expect(body).toMatch(/<a href="\/targets\/k-root">K-root<\/a>[\s\S]*?state-degraded">Degraded<\/span>[\s\S]*?for 37 min/)
    expect(body).toMatch(/<a href="\/targets\/ns-example">ns.example.net<\/a>[\s\S]*?state-operational">Operational<\/span>/)
  })

  it('has a map and a matrix per target, and names the vantage that has no coordinates', async () => {
    const { body } = await get('/')
    expect(body.match(/<svg class="map"/g)).toHaveLength(2)
    expect(body.match(/<table class="matrix compact"/g)).toHaveLength(2)
    expect(body).toContain(`<path id="world-land" d="${LAND}"`)
    expect(body).toContain('Not on the map (no coordinates): Lab runner')
  })

  it('reads the latest cycle and hourly rollups, never a range of raw observations', async () => {
    const { calls: reads } = await get('/')
    expect(reads.filter((call) => call.startsWith('observations'))).toEqual([])
    expect(reads.filter((call) => call.startsWith('recentCycles')).every((call) => call.endsWith(',1]'))).toBe(true)
  })
})

describe('a target page', () => {
  it('has the map, the matrix, RTT charts for 24 hours and 7 days, 90-day bars per vantage and per site', async () => {
    const { response, body } = await get('/targets/k-root')
    expect(response.status).toBe(200)
    expect(body).toContain('<h1>K-root</h1>')
    expect(body).toContain('<svg class="map"')
    expect(body).toContain('<table class="matrix"')
    // k-root has an IPv4 and an IPv6 address: a chart per vantage and family.
    expect(body.match(/<svg class="chart"[^>]*aria-labelledby="rtt24-/g)).toHaveLength(18)
    expect(body.match(/<svg class="chart"[^>]*aria-labelledby="rtt7d-/g)).toHaveLength(18)
    expect(body).toContain('aria-labelledby="rtt24-par-ipv6-title')
    expect(body.match(/<svg class="bars"/g)).toHaveLength(9 + 8)
    expect(body).toContain('aria-label="Site Frankfurt: ')
  })

  it('shows the catchment history with the moves, the incidents with their updates, and that BGP is not configured', async () => {
    const { body } = await get('/targets/k-root')
    expect(body).toContain('<svg class="strips"')
    expect(body).toMatch(/Moves between sites \(\d+/)
    expect(body).toContain('still failing: ber and lab time out')
    expect(body).toContain('BGP data: not configured')
  })

  it('is drawn from rollups and catchment changes, reading only the latest cycle of raw rows', async () => {
    const { calls: reads } = await get('/targets/k-root')
    expect(reads.filter((call) => call.startsWith('observations'))).toEqual([])
    expect(reads.filter((call) => call.startsWith('recentCycles'))).toEqual(['recentCycles ["k-root",1]'])
    expect(new Set(reads.filter((call) => call.startsWith('rollups')).map((call) => JSON.parse(call.slice('rollups '.length))[0].granularity))).toEqual(new Set(['hour', 'day']))
  })

  it('reads the stored BGP view only for a target with BGP configured', async () => {
    expect((await get('/targets/ns-example')).calls.filter((call) => call.startsWith('bgpView'))).toEqual(['bgpView ["ns-example"]'])
    expect((await get('/targets/k-root')).calls.filter((call) => call.startsWith('bgpView'))).toEqual([])
  })

  it('answers an unknown target with a 404 page', async () => {
    const { response, body } = await get('/targets/nope')
    expect(response.status).toBe(404)
    expect(body).toContain('There is no service with id &quot;nope&quot;.')
  })
})

describe('an incident page', () => {
  it('is where the alerts link: /incidents/<encodeURIComponent(key)>', async () => {
    const { response, body } = await get(`/incidents/${encodeURIComponent('k-root/site-down/site:fra')}`)
    expect(response.status).toBe(200)
    expect(body).toContain('<h1>Site down · site:fra on K-root</h1>')
    expect(body).toMatch(/still failing: ber and lab time out[\s\S]*opened: site fra stopped answering/)
    expect(body).toContain('<a href="/targets/k-root">K-root</a>')
  })

  it('answers an unknown key with a 404 page that shows the key as text', async () => {
    const { response, body } = await get(`/incidents/${encodeURIComponent('k-root/<b>x</b>')}`)
    expect(response.status).toBe(404)
    expect(body).toContain('&lt;b&gt;x&lt;/b&gt;')
  })
})

describe('machine interfaces', () => {
  it('serves an SVG badge per target', async () => {
    const { response, body } = await get('/badge/k-root.svg')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8')
    expect(body).toContain('<title>K-root: degraded</title>')
    expect((await get('/badge/ns-example.svg')).body).toContain('<title>ns.example.net: operational</title>')
    expect((await get('/badge/nope.svg')).response.status).toBe(404)
    expect((await get('/badge/k-root.png')).response.status).toBe(404)
  })

  it('serves the incidents as an Atom feed', async () => {
    const { response, body } = await get('/feed.atom')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8')
    expect(body.match(/<entry>/g)).toHaveLength(3)
    expect(body).toContain('href="https://status.example.net/incidents/k-root%2Fsite-down%2Fsite%3Afra"')
  })

  it('serves Prometheus metrics per target and vantage', async () => {
    const { response, body } = await get('/metrics')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(body).toContain('anycast_monitor_vantage_up{target="k-root",vantage="ber",family="ipv4"} 0\n')
    expect(body).toMatch(/anycast_monitor_rtt_seconds\{target="k-root",vantage="par",family="ipv4"\} 0\.00\d+\n/)
    expect(body).toContain('anycast_monitor_vantage_site{target="k-root",vantage="par",family="ipv4",site="lhr"} 1\n')
    expect(body).toContain('anycast_monitor_vantage_site{target="k-root",vantage="par",family="ipv6",site="ams"} 1\n')
    expect(body).toContain('anycast_monitor_vantage_site{target="ns-example",vantage="par",family="ipv4",site="ams"} 1\n')
    expect(body).not.toContain('target="ns-example",vantage="par",family="ipv6"')
    expect(body).toContain('anycast_monitor_vantages_reporting{target="k-root"} 9\n')
    expect(body).toContain('anycast_monitor_incidents_open{target="k-root",severity="error"} 1\n')
  })

  it('keeps the JSON API and its health endpoint beside the page', async () => {
    const { response, body } = await get('/api/v1/health')
    expect(response.status).toBe(200)
    expect(JSON.parse(body)).toEqual({ ok: true, store: 'memory' })
    expect((await get('/api/v1/nope')).response.status).toBe(404)
    expect(JSON.parse((await get('/api/v1/nope')).body)).toEqual({ error: 'not found' })
  })

  it('serves the stylesheet and the icon', async () => {
    const css = await get('/assets/status.css')
    expect(css.response.headers.get('content-type')).toBe('text/css; charset=utf-8')
    expect(css.body).toContain('.banner')
    expect((await get('/assets/favicon.svg')).response.headers.get('content-type')).toBe('image/svg+xml')
    expect((await get('/nothing-here')).response.status).toBe(404)
  })
})

describe('safety', () => {
  const PAGES = ['/', '/targets/k-root', '/targets/ns-example', `/incidents/${encodeURIComponent('ns-example/unknown-identity/vantage:dub')}`, '/nothing-here', '/feed.atom', '/badge/ns-example.svg']

  it.each(PAGES)('%s carries the strict Content-Security-Policy and no script at all', async (path) => {
    const { response, body } = await get(path)
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY)
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(body).not.toMatch(/<script/i)
    expect(body).not.toMatch(/\son[a-z]+\s*=/i)
    expect(body).not.toMatch(/\sstyle\s*=/i)
    expect(body).not.toMatch(/[\x00\x1b]/)
  })

  it('shows the hostile NSID as inert text on the target page, in the feed and in the metrics', async () => {
    const page = (await get('/targets/ns-example')).body
    expect(page).toContain(`<td class="mono">${HOSTILE_ESCAPED}</td>`)
    expect((await get('/targets/k-root')).body).toContain(`<td class="mono">timeout after 2000 ms ${HOSTILE_ESCAPED}</td>`)
    const feed = (await get('/feed.atom')).body
    expect(feed).toContain(`no site claims: &quot;${HOSTILE_ESCAPED}&quot;`)
    // Prometheus' own escaping (text/plain, nosniff: never rendered as markup); control bytes made visible.
    const metrics = await get('/metrics')
    expect(metrics.response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(metrics.body).toContain('identity="<script>alert(1)</script>\\\\x00\\\\x1b"} 1\n')
    expect(metrics.body).not.toContain(HOSTILE_TEXT)
    expect(metrics.body).not.toMatch(/[\x00\x1b]/)
    const overview = (await get('/')).body
    expect(overview).toContain(`no site claims: &quot;${HOSTILE_ESCAPED}&quot;`)
  })

  it('keeps the badge free of it: a badge only shows the configured label and the state', async () => {
    const badge = (await get('/badge/ns-example.svg')).body
    expect(badge).not.toContain('script')
  })
})

describe('IPv4 and IPv6 side by side', () => {
  /** The rows of a vantage in a matrix, from its name to the next vantage's. */
  const matrixRowsOf = (body: string, vantage: string): string => {
    const matrix = body.slice(body.indexOf('<table class="matrix'), body.indexOf('</table>', body.indexOf('<table class="matrix')))
    const start = matrix.indexOf(`>${vantage}</`)
    return matrix.slice(start, matrix.indexOf('class="vantage-start"', start))
  }
  /** The site column headers of a matrix, in order. */
  const columnsOf = (body: string): string[] => {
    const head = body.slice(body.indexOf('<table class="matrix'), body.indexOf('</thead>', body.indexOf('<table class="matrix')))
    return [...head.matchAll(/<abbr title="([^"]*)">([^<]+)<\/abbr>/g)].filter((match) => match[1] !== 'Address family').map((match) => match[2] as string)
  }
  /** Which columns of a matrix row hold a mark. */
  const marked = (row: string, columns: readonly string[]): string[] => {
    const cells = [...row.slice(row.indexOf('</th>', row.indexOf('class="family"'))).matchAll(/<td class="(hit|empty)">/g)].map((match) => match[1])
    return columns.filter((_, index) => cells[index] === 'hit')
  }

  it('shows a vantage split by family on both sites, each under its family, not as "ams+lhr"', async () => {
    const { body } = await get('/targets/k-root')
    const columns = columnsOf(body)
    const par = matrixRowsOf(body, 'par')
    const [v4, v6] = par.split('class="family">').slice(1)
    expect(body).toContain('<th scope="row" rowspan="2"><span class="vantage-id">par</span>')
    expect(v4?.startsWith('IPv4')).toBe(true)
    expect(marked(`class="family">${v4}`, columns)).toEqual(['lhr'])
    expect(v6?.startsWith('IPv6')).toBe(true)
    expect(marked(`class="family">${v6}`, columns)).toEqual(['ams'])
    expect(body).not.toMatch(/ams\+lhr|lhr\+ams|ams and lhr|lhr and ams/)
    expect(body).toContain('Paris: over IPv4 lhr in ')
    expect(body).toMatch(/<title>Paris → Amsterdam over IPv6: [\d.]+ ms<\/title>/)
    expect(body).toContain('<span class="swatch line-ipv6"></span>IPv6')
    // The overview's compact matrix does the same.
    const overview = (await get('/')).body
    const compact = overview.slice(overview.indexOf('<table class="matrix compact"'))
    const [, compactV4, compactV6] = matrixRowsOf(compact, 'par').split('class="family">')
    expect(marked(`class="family">${compactV4}`, columnsOf(compact))).toEqual(['lhr'])
    expect(marked(`class="family">${compactV6}`, columnsOf(compact))).toEqual(['ams'])
  })

  it('keeps one row per vantage for a target with IPv4 only', async () => {
    const { body } = await get('/targets/ns-example')
    expect(body).not.toContain('class="family"')
    expect(body).not.toContain('line-ipv6')
    expect(body.match(/<svg class="chart"[^>]*aria-labelledby="rtt24-/g)).toHaveLength(9)
  })

  it('draws the catchment history per vantage and family', async () => {
    const { body } = await get('/targets/k-root')
    const strips = body.slice(body.indexOf('<svg class="strips"'), body.indexOf('</svg>', body.indexOf('<svg class="strips"')))
    expect(strips).toContain('>par IPv4</text>')
    expect(strips).toContain('>par IPv6</text>')
    expect(strips).toMatch(/<title>par over IPv6 on Amsterdam: /)
  })
})

describe('coverage: how many vantages reported in the latest cycle', () => {
  it('says "N of M vantages reporting" on the target page and the overview, counting a vantage that reported nothing as not reporting', async () => {
    const store = createMemoryStore()
    const config = statusConfig()
    const startedAt = NOW_MS - 60_000
    const reporting = config.vantages.filter((vantage) => vantage.id !== 'lab' && vantage.id !== 'mel')
    await store.writeCycle({
      cycleId: 'latest', target: 'k-root', startedAt, missingVantages: [{ vantage: 'lab', reason: 'runner crashed' }],
      observations: reporting.map((vantage) => ({
        observedAt: startedAt, vantage: vantage.id, target: 'k-root', address: '193.0.14.129', port: 53, qname: '.', transport: 'udp' as const,
        outcome: 'ok' as const, rcode: 0, rttMs: 10, connectMs: null, identity: { source: 'nsid' as const, hex: '00', text: 'fra1.k-root' },
        site: 'fra', retriedOverTcp: false, ignoredReplies: 0, error: null,
      })),
    })
    const app = createWebApp({ config, store, nowMs: () => NOW_MS, landPath: LAND })
    const target = await (await app.request('/targets/k-root')).text()
    expect(target).toContain('<span class="coverage">7 of 9 vantages reporting</span>')
    const overview = await (await app.request('/')).text()
    expect(overview).toContain('<span class="coverage">7 of 9 vantages reporting</span>')
    expect(overview).toMatch(/<a href="\/targets\/k-root">K-root<\/a>[\s\S]*?<td class="num">7 of 9<\/td>\n<td class="num">7 of 9<\/td>/)
    // ns-example has no cycle yet: no coverage to speak of.
    expect(overview).toMatch(/<a href="\/targets\/ns-example">[\s\S]*?<td class="num">–<\/td>/)
  })
})

describe('the BGP panel of a target page', () => {
  const panelOf = (body: string): string => body.slice(body.indexOf('<section aria-labelledby="bgp"'), body.indexOf('</section>', body.indexOf('id="bgp-panel"')))

  it('shows each source of the stored view with its state: fresh, stale with its reason, unavailable with its reason', async () => {
    const panel = panelOf((await get('/targets/ns-example')).body)
    expect(panel).toContain('checked 2026-11-22 11:58 UTC (2 min ago)')
    expect(panel).toContain('<h3>198.51.100.0/24</h3><span class="muted small">expected origin AS64500</span>')
    expect(panel).toContain('<h4>ripestat <span class="tag bgp-snapshot">fresh</span></h4>')
    expect(panel).toContain('data of 2026-11-22 11:57 UTC, checked 2026-11-22 11:58 UTC (2 min ago)')
    expect(panel).toContain(`<h4>ris-live <span class="tag bgp-stale">stale</span><span class="bgp-reason">: no frame from RIS Live for 240 s ${HOSTILE_ESCAPED}</span></h4>`)
    expect(panel).toContain('data of 2026-11-22 11:54 UTC')
    expect(panel).toMatch(/<h4>lg <span class="tag bgp-unavailable">unavailable<\/span><span class="bgp-reason">: network error: [^<]*https:\/\/\[redacted\]@lg.internal.example\/routes\/prefix/)
    expect(panel).toContain('no data, checked 2026-11-22 11:58 UTC (2 min ago)')
  })

  it('shows the hostile reason and control bytes as inert text, and no credential of the looking glass', async () => {
    const { body } = await get('/targets/ns-example')
    expect(body).not.toContain(HOSTILE_TEXT)
    expect(body).not.toContain('<script')
    expect(body).not.toMatch(/[\x00\x1b]/)
    expect(body).not.toContain(SECRETS.lookingGlassPassword)
  })

  it('shows peers seeing the prefix per collector, origins with the unexpected one marked, RPKI, sites and updates', async () => {
    const panel = panelOf((await get('/targets/ns-example')).body)
    expect(panel).toContain('<dt>Peers seeing it</dt><dd>14 of 20 · rrc00 4 of 8, rrc01 5 of 7, rrc03 5 of 5</dd>')
    expect(panel).toContain('<dd><span>AS64500 (13 peers)</span>, <strong class="unexpected">AS64666 (1 peer), unexpected</strong></dd>')
    expect(panel).toContain('<dt>RPKI</dt><dd>AS64500 valid by routinator, AS64666 invalid (invalid_asn) by routinator</dd>')
    expect(panel).toContain('<dt>Sites</dt><dd>fra announced, ams announced, iad announced, nrt announced</dd>')
    expect(panel).toContain('<dt>Updates</dt><dd>2 announcements, 1 withdrawal between 2026-11-22 09:58 UTC and 2026-11-22 11:58 UTC</dd>')
  })

  it('sets the BGP catchment (peers per site) beside the probe catchment (vantages per site)', async () => {
    const panel = panelOf((await get('/targets/ns-example')).body)
    expect(panel).toContain('BGP: fra 5 peers, ams 4 peers, iad 3 peers, nrt 1 peer, unattributed 1 peer</span><span class="bgp-line muted">Probes: ')
    expect(panel).toMatch(/Probes: (\w+ \d vantages?(, )?)+<\/span>/)
  })

  it('lists the peers in a captioned table, capped with "and N more"', async () => {
    const panel = panelOf((await get('/targets/ns-example')).body)
    expect(panel).toContain('<summary>Peers (14, 12 listed)</summary>')
    expect(panel).toContain('<caption>Peers of ripestat routing to 198.51.100.0/24: the path each one takes and the site it leads to</caption>')
    expect(panel).toContain('<tr><td>rrc01</td><td class="mono">2001:db8::1</td><td>AS65001</td><td class="mono">65001 3356 64500</td><td class="mono">64500:1 3356:100</td><td>fra</td><td>community</td></tr>')
    expect(panel).toContain('<tfoot><tr><td colspan="7" class="muted">and 2 more</td></tr></tfoot>')
    expect(panel.match(/<caption>/g)).toHaveLength(2)
  })

  it('says "no BGP check yet" for a configured target before the first check, and "not configured" otherwise', async () => {
    const empty = createWebApp({ config: statusConfig(), store: createMemoryStore(), nowMs: () => NOW_MS, landPath: LAND })
    const configured = await (await empty.request('/targets/ns-example')).text()
    expect(panelOf(configured)).toContain('<div class="placeholder">BGP data: no BGP check yet</div>')
    const unconfigured = await (await empty.request('/targets/k-root')).text()
    expect(panelOf(unconfigured)).toContain('<div class="placeholder">BGP data: not configured</div>')
  })
})
