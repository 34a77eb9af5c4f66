import { describe, expect, it } from 'vitest'
import type { CycleRecord } from '../../../src/core/findings.ts'
import type { Observation } from '../../../src/core/model.ts'
import { vantagesNow, type VantageNow } from '../../../src/core/status/latest.ts'
import { LAND_SYMBOL_ID, landDefinitions, placeLabels, renderCatchmentMap, renderMapLegend } from '../../../src/core/status/map.ts'
import { renderCatchmentMatrix } from '../../../src/core/status/matrix.ts'
import { RTT_BANDS } from '../../../src/core/status/palette.ts'
import type { PublicSite, PublicVantage } from '../../../src/core/status/public-view.ts'

const SITES: PublicSite[] = [
  { id: 'fra', label: 'Frankfurt', latitude: 50.1, longitude: 8.7 },
  { id: 'sin', label: 'Singapore', latitude: 1.35, longitude: 103.8 },
]
const VANTAGES: PublicVantage[] = [
  { id: 'par', label: 'Paris', region: 'eu', latitude: 48.9, longitude: 2.35 },
  { id: 'hkg', label: 'Hong Kong', region: 'ap', latitude: 22.3, longitude: 114.2 },
  { id: 'lab', label: 'Lab', region: 'lab', latitude: null, longitude: null },
]

function now(vantage: string, status: VantageNow['status'], sites: string[] = [], rttMs: number | null = null): VantageNow {
  return { vantage, status, sites, rttMs, families: [{ family: 'ipv4', status, sites, rttMs, transports: null }], observations: [], missingReason: status === 'missing' ? 'no report' : null }
}

const NOW = [now('par', 'answering', ['fra'], 8.2), now('hkg', 'answering', ['sin'], 120), now('lab', 'failing')]

describe('renderCatchmentMap', () => {
  const svg = renderCatchmentMap({ id: 'map-k', targetLabel: 'K-root', sites: SITES, vantages: VANTAGES, families: ['ipv4'], now: NOW, widthPx: 720, troubledSites: new Set(['sin']) }).markup

  it('is an image with a title and a description that says where each vantage lands', () => {
    expect(svg).toMatch(/^<svg class="map" viewBox="[\d.]+ [\d.]+ [\d.]+ [\d.]+" role="img" aria-labelledby="map-k-title map-k-desc"/)
    expect(svg).toContain('<title id="map-k-title">Catchment map of K-root</title>')
    expect(svg).toContain('Paris reaches fra in 8.2 ms.')
    expect(svg).toContain('Hong Kong reaches sin in 120 ms.')
    expect(svg).toContain('Lab: no answer.')
  })

  it('draws the land from the shared definition', () => {
    expect(svg).toContain(`<use href="#${LAND_SYMBOL_ID}"`)
    expect(landDefinitions('M0 0Z').markup).toContain(`<path id="${LAND_SYMBOL_ID}" d="M0 0Z"`)
  })

  it('draws one line per answering vantage with coordinates, coloured by its RTT band', () => {
    const links = [...svg.matchAll(/<path d="M[^"]+Q[^"]+" stroke="(#[0-9a-f]{6})"/g)].map((match) => match[1])
    expect(links).toEqual([RTT_BANDS[0]?.colour, RTT_BANDS[3]?.colour])
    expect(svg).toContain('<title>Paris → Frankfurt: 8.2 ms</title>')
  })

  it('marks a site with an open incident', () => {
    expect(svg).toContain('<title>Site Singapore: open incident</title>')
    expect(svg).toContain('<title>Site Frankfurt</title>')
  })
})

describe('placeLabels', () => {
  it('moves a label that would overlap another, and leaves out one that fits nowhere', () => {
    const frame = { x: 0, y: 0, width: 100, height: 50 }
    const at = { x: 50, y: 25 }
    const placed = placeLabels([{ at, text: 'aaa', kind: 'site' }, { at, text: 'bbb', kind: 'site' }], 0.1, frame)
    expect(placed.map((label) => label.y)).toHaveLength(2)
    expect(placed[0]?.y).not.toBe(placed[1]?.y)
    const crowded = placeLabels(Array.from({ length: 6 }, () => ({ at, text: 'x', kind: 'site' as const })), 0.1, frame)
    expect(crowded.length).toBeLessThan(6)
  })
})

describe('renderCatchmentMatrix', () => {
  const matrix = (compact: boolean) => renderCatchmentMatrix({
    targetLabel: 'K-root', sites: SITES, vantages: VANTAGES, now: NOW, families: ['ipv4'], sinceByPath: new Map([['par ipv4', 0]]), nowMs: 3_600_000, compact,
  }).markup

  it('is a table with a caption and a label, a row per vantage and a column per site', () => {
    const html = matrix(false)
    expect(html).toContain('aria-label="Catchment matrix of K-root: which site answers each vantage"')
    expect(html).toContain('<caption>')
    expect(html.match(/<tr class="vantage-start"><th scope="row">/g)).toHaveLength(3)
    expect(html).toContain('<abbr title="Frankfurt">fra</abbr>')
  })

  it('marks the site each vantage lands on with its RTT, and says when a vantage got no answer', () => {
    const html = matrix(false)
    expect(html).toContain('<span class="pill rtt-1">8.2 ms</span>')
    expect(html).toContain('<span class="pill rtt-4">120 ms</span>')
    expect(html).toContain('<td class="row-note" colspan="2">no answer</td>')
    expect(html).toContain('<td class="since">1 h</td>')
  })

  it('leaves out units, labels and the "for" column when compact', () => {
    const html = matrix(true)
    expect(html).toContain('<span class="pill rtt-1">8.2</span>')
    expect(html).not.toContain('class="since"')
  })

  it('adds an "unknown" column only when a vantage reached an identity no site matches', () => {
    const html = renderCatchmentMatrix({
      targetLabel: 'K-root', sites: SITES, vantages: VANTAGES, families: ['ipv4'], now: [now('par', 'answering', ['unknown'], 3)], sinceByPath: new Map(), nowMs: 0, compact: false,
    }).markup
    expect(html).toContain('<abbr title="identity matches no site">unknown</abbr>')
    expect(matrix(false)).not.toContain('>unknown</abbr>')
  })
})

describe('a target with IPv4 and IPv6', () => {
  const observation = (vantage: string, address: string, site: string, rttMs: number, transport: 'udp' | 'tcp' = 'udp'): Observation => ({
    observedAt: 0, vantage, target: 'k-root', address, port: 53, qname: '.', transport, outcome: 'ok', rcode: 0, rttMs, connectMs: null,
    identity: { source: 'nsid', hex: '00', text: site }, site, retriedOverTcp: false, ignoredReplies: 0, error: null,
  })
  const V4 = '193.0.14.129'
  const V6 = '2001:7fd::1'
  const cycle: CycleRecord = {
    cycleId: 'c', target: 'k-root', startedAt: 0, missingVantages: [],
    observations: [
      // par is split by family: fra over IPv4, sin over IPv6.
      observation('par', V4, 'fra', 8), observation('par', V4, 'fra', 9, 'tcp'), observation('par', V6, 'sin', 160), observation('par', V6, 'sin', 161, 'tcp'),
      // hkg: IPv4 on sin; over IPv6 UDP lands on sin and TCP on fra.
      observation('hkg', V4, 'sin', 30), observation('hkg', V6, 'sin', 31), observation('hkg', V6, 'fra', 190, 'tcp'),
    ],
  }
  const families = ['ipv4', 'ipv6'] as const
  const state = vantagesNow(cycle, VANTAGES, families)

  it('gives each vantage one matrix row per family, so that a split vantage shows both sites, each under its family', () => {
    const html = renderCatchmentMatrix({ targetLabel: 'K-root', sites: SITES, vantages: VANTAGES, families, now: state, sinceByPath: new Map([['par ipv6', 0]]), nowMs: 60_000, compact: false }).markup
    expect(html).toContain('which site answers each vantage, over IPv4 and over IPv6')
    const par = html.slice(html.indexOf('<span class="vantage-id">par</span>'), html.indexOf('<span class="vantage-id">hkg</span>'))
    expect(html).toContain('<tr class="vantage-start"><th scope="row" rowspan="2"><span class="vantage-id">par</span>')
    expect(par).toMatch(/<th scope="row" class="family">IPv4<\/th><td class="hit"><span class="pill rtt-1">8.5 ms<\/span><\/td><td class="empty"><\/td>/)
    expect(par).toMatch(/<th scope="row" class="family">IPv6<\/th><td class="empty"><\/td><td class="hit"><span class="pill rtt-4">161 ms<\/span><\/td><td class="since">1 min<\/td>/)
    expect(html).not.toContain('fra+sin')
  })

  it('names the transport of each mark where a family\'s transports land on different sites', () => {
    const html = renderCatchmentMatrix({ targetLabel: 'K-root', sites: SITES, vantages: VANTAGES, families, now: state, sinceByPath: new Map(), nowMs: 0, compact: true }).markup
    const hkg = html.slice(html.indexOf('>hkg</abbr>'))
    expect(hkg).toMatch(/<abbr title="IPv6">v6<\/abbr><\/th><td class="hit"><span class="pill rtt-4"><span class="transport">TCP<\/span> 190<\/span><\/td><td class="hit"><span class="pill rtt-2"><span class="transport">UDP<\/span> 31.0<\/span><\/td>/)
    expect(hkg.slice(0, hkg.indexOf('"IPv6"'))).not.toContain('class="transport"')
  })

  it('draws a line per family, IPv6 dashed, titled with its family, and a legend for both', () => {
    const svg = renderCatchmentMap({ id: 'map', targetLabel: 'K-root', sites: SITES, vantages: VANTAGES, families, now: state, widthPx: 720, troubledSites: new Set() }).markup
    expect(svg).toContain('<title>Paris → Frankfurt over IPv4: 8.5 ms</title>')
    expect(svg).toContain('<title>Paris → Singapore over IPv6: 161 ms</title>')
    expect(svg.match(/data-family="ipv6"/g)).toHaveLength(2)
    expect(svg).toMatch(/stroke-dasharray="[\d. ]+" data-family="ipv6"><title>Paris → Singapore/)
    expect(svg).toContain('Paris: over IPv4 fra in 8.5 ms, over IPv6 sin in 161 ms.')
    const legend = renderMapLegend(families).markup
    expect(legend).toContain('<span class="swatch line-ipv4"></span>IPv4')
    expect(legend).toContain('<span class="swatch line-ipv6"></span>IPv6')
    expect(renderMapLegend(['ipv4']).markup).not.toContain('line-ipv4')
  })
})
