import { describe, expect, it } from 'vitest'
import type { VantageNow } from '../../../src/core/status/latest.ts'
import { LAND_SYMBOL_ID, landDefinitions, placeLabels, renderCatchmentMap } from '../../../src/core/status/map.ts'
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
  return { vantage, status, sites, rttMs, observations: [], missingReason: status === 'missing' ? 'no report' : null }
}

const NOW = [now('par', 'answering', ['fra'], 8.2), now('hkg', 'answering', ['sin'], 120), now('lab', 'failing')]

describe('renderCatchmentMap', () => {
  const svg = renderCatchmentMap({ id: 'map-k', targetLabel: 'K-root', sites: SITES, vantages: VANTAGES, now: NOW, widthPx: 720, troubledSites: new Set(['sin']) }).markup

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
    targetLabel: 'K-root', sites: SITES, vantages: VANTAGES, now: NOW, sinceByVantage: new Map([['par', 0]]), nowMs: 3_600_000, compact,
  }).markup

  it('is a table with a caption and a label, a row per vantage and a column per site', () => {
    const html = matrix(false)
    expect(html).toContain('aria-label="Catchment matrix of K-root: which site answers each vantage"')
    expect(html).toContain('<caption>')
    expect(html.match(/<tr><th scope="row">/g)).toHaveLength(3)
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
      targetLabel: 'K-root', sites: SITES, vantages: VANTAGES, now: [now('par', 'answering', ['unknown'], 3)], sinceByVantage: new Map(), nowMs: 0, compact: false,
    }).markup
    expect(html).toContain('<abbr title="identity matches no site">unknown</abbr>')
    expect(matrix(false)).not.toContain('>unknown</abbr>')
  })
})
