// The catchment map: sites and vantages at their coordinates over the world's land, and a line from each
// vantage to the site that answers it, coloured by its RTT: one line per address family (IPv4 solid,
// IPv6 dashed and bowed the other way), since a vantage can land on different sites over each. Drawn on
// the server as SVG; the land outline is one shared path (`<use>` of LAND_SYMBOL_ID, defined once per
// page by landDefinitions()).
import { familyLabel, type AddressFamily } from '../paths.ts'
import { html, joinMarkup, trustedMarkup, type Markup } from './escape.ts'
import { WORLD_HEIGHT, WORLD_WIDTH, frameAround, project, round, type Frame, type Point } from './geo.ts'
import type { FamilyNow, VantageNow } from './latest.ts'
import { NO_ANSWER_COLOUR, RTT_BANDS, rttBandOf } from './palette.ts'
import type { PublicSite, PublicVantage } from './public-view.ts'
import { formatRttMs } from './time.ts'

export const LAND_SYMBOL_ID = 'world-land'
const MAP_ASPECT = WORLD_WIDTH / WORLD_HEIGHT
/** About 45 degrees of longitude: a continent, so a map of nearby points still shows where they are. */
const MIN_FRAME_WIDTH = 125
const FRAME_MARGIN = 0.08
/** Sizes below are screen pixels; the map scales them into map units for its rendered width. */
const SITE_RADIUS_PX = 6
const VANTAGE_HALF_SIDE_PX = 4
const LABEL_SIZE_PX = 11
const LINK_WIDTH_PX = 2
/** How far a link bows out, as a fraction of its length: overlapping straight lines would hide each other. */
const LINK_BEND = 0.18
/** IPv6 lines bow the other way and are dashed, so both families show even when they land on one site. */
const FAMILY_LINE: Record<AddressFamily, { bend: number; dashPx: readonly number[] | null }> = {
  ipv4: { bend: LINK_BEND, dashPx: null },
  ipv6: { bend: -LINK_BEND, dashPx: [5, 3] },
}
const OCEAN_COLOUR = '#f1f5f9'
const LAND_COLOUR = '#dbe2ea'
const COAST_COLOUR = '#c3ccd7'
const FAILING_COLOUR = '#b91c1c'
const SITE_COLOUR = '#1e3a8a'
const LABEL_FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif'

export interface CatchmentMapInput {
  /** Unique within the page: ids of the title and description derive from it. */
  id: string
  targetLabel: string
  sites: readonly PublicSite[]
  vantages: readonly PublicVantage[]
  /** The target's families (familiesOf its addresses): a line per family. */
  families: readonly AddressFamily[]
  now: readonly VantageNow[]
  /** About how wide the page shows the map, in CSS pixels: markers and labels are sized for it. */
  widthPx: number
  /** Sites with an open incident about them: drawn in red. */
  troubledSites: ReadonlySet<string>
}

/** The hidden SVG that holds the land path once per page; every map `<use>`s it. */
export function landDefinitions(landPathData: string): Markup {
  return html`<svg class="svg-defs" width="0" height="0" aria-hidden="true" focusable="false"><defs><path id="${LAND_SYMBOL_ID}" d="${trustedMarkup(landPathData)}" fill-rule="evenodd"/></defs></svg>`
}

interface Placed<T> {
  item: T
  at: Point
}

export function renderCatchmentMap(input: CatchmentMapInput): Markup {
  const sites = input.sites.map((site) => ({ item: site, at: project(site.latitude, site.longitude) }))
  const vantages = input.vantages.flatMap((vantage) =>
    vantage.latitude === null || vantage.longitude === null ? [] : [{ item: vantage, at: project(vantage.latitude, vantage.longitude) }],
  )
  const frame = frameAround([...sites, ...vantages].map(({ at }) => at), { aspect: MAP_ASPECT, minWidth: MIN_FRAME_WIDTH, margin: FRAME_MARGIN })
  const scale = frame.width / input.widthPx
  const nowByVantage = new Map(input.now.map((state) => [state.vantage, state]))
  const split = input.families.length > 1
  const links = vantages.flatMap((vantage) => {
    const now = nowByVantage.get(vantage.item.id)
    return input.families.flatMap((family) => linkOf(vantage, now?.families.find((entry) => entry.family === family), sites, scale, split))
  })
  const titleId = `${input.id}-title`
  const descId = `${input.id}-desc`
  return html`<svg class="map" viewBox="${frame.x} ${frame.y} ${frame.width} ${frame.height}" role="img" aria-labelledby="${titleId} ${descId}" preserveAspectRatio="xMidYMid meet">
<title id="${titleId}">Catchment map of ${input.targetLabel}</title>
<desc id="${descId}">${mapDescription(input)}</desc>
<rect x="${frame.x}" y="${frame.y}" width="${frame.width}" height="${frame.height}" fill="${OCEAN_COLOUR}"/>
<use href="#${LAND_SYMBOL_ID}" fill="${LAND_COLOUR}" stroke="${COAST_COLOUR}" stroke-width="0.75" vector-effect="non-scaling-stroke"/>
<g fill="none" stroke-linecap="round">${joinMarkup(links)}</g>
<g>${joinMarkup(sites.map((site) => siteMarker(site, input.troubledSites.has(site.item.id), scale)))}</g>
<g>${joinMarkup(vantages.map((vantage) => vantageMarker(vantage, nowByVantage.get(vantage.item.id), scale, split)))}</g>
<g font-family="${LABEL_FONT}" font-size="${round(LABEL_SIZE_PX * scale, 2)}" fill="#1f2937" stroke="#ffffff" stroke-width="${round(3 * scale, 2)}" stroke-linejoin="round" paint-order="stroke">${joinMarkup(placeLabels([
    ...sites.map((site) => ({ at: site.at, text: site.item.id, kind: 'site' as const })),
    ...vantages.map((vantage) => ({ at: vantage.at, text: vantage.item.id, kind: 'vantage' as const })),
  ], scale, frame).map(labelMarkup))}</g>
</svg>`
}

function linkOf(vantage: Placed<PublicVantage>, now: FamilyNow | undefined, sites: readonly Placed<PublicSite>[], scale: number, split: boolean): Markup[] {
  const site = sites.find((candidate) => candidate.item.id === now?.sites[0])
  if (!now || now.status !== 'answering' || !site) return []
  const colour = now.rttMs === null ? NO_ANSWER_COLOUR : rttBandOf(now.rttMs).colour
  const line = FAMILY_LINE[now.family]
  const d = bentLine(vantage.at, site.at, line.bend)
  if (d === null) return []
  const width = round(LINK_WIDTH_PX * scale, 2)
  const dash = line.dashPx === null ? '' : html` stroke-dasharray="${line.dashPx.map((px) => round(px * scale, 2)).join(' ')}"`
  const over = split ? ` over ${familyLabel(now.family)}` : ''
  return [html`<path d="${d}" stroke="${colour}" stroke-width="${width}" stroke-opacity="0.9"${dash} data-family="${now.family}"><title>${vantage.item.label} → ${site.item.label}${over}: ${formatRttMs(now.rttMs)}</title></path>`]
}

/** A quadratic curve from `from` to `to`, bowed to the left of the direction of travel (to the right for a negative bend). */
function bentLine(from: Point, to: Point, bend: number): string | null {
  const dx = to.x - from.x
  const dy = to.y - from.y
  if (Math.hypot(dx, dy) < 0.5) return null
  const control = { x: (from.x + to.x) / 2 - dy * bend, y: (from.y + to.y) / 2 + dx * bend }
  return `M${round(from.x)} ${round(from.y)}Q${round(control.x)} ${round(control.y)} ${round(to.x)} ${round(to.y)}`
}

function siteMarker(site: Placed<PublicSite>, troubled: boolean, scale: number): Markup {
  const fill = troubled ? FAILING_COLOUR : SITE_COLOUR
  return html`<circle cx="${round(site.at.x, 2)}" cy="${round(site.at.y, 2)}" r="${round(SITE_RADIUS_PX * scale, 2)}" fill="${fill}" stroke="#ffffff" stroke-width="${round(1.5 * scale, 2)}"><title>Site ${site.item.label}${troubled ? ': open incident' : ''}</title></circle>`
}

function vantageMarker(vantage: Placed<PublicVantage>, now: VantageNow | undefined, scale: number, split: boolean): Markup {
  const half = VANTAGE_HALF_SIDE_PX * scale
  const status = now?.status ?? 'missing'
  const fill = status === 'answering' ? '#111827' : status === 'failing' ? FAILING_COLOUR : '#ffffff'
  const stroke = status === 'missing' ? '#6b7280' : '#ffffff'
  const what = status === 'missing' || !now ? 'no report' : split ? now.families.map(familyText).join('; ') : status === 'answering' ? `answered by ${now.sites.join(', ')}` : 'no answer'
  return html`<rect x="${round(vantage.at.x - half, 2)}" y="${round(vantage.at.y - half, 2)}" width="${round(2 * half, 2)}" height="${round(2 * half, 2)}" fill="${fill}" stroke="${stroke}" stroke-width="${round(1.2 * scale, 2)}"><title>Vantage ${vantage.item.label}: ${what}</title></rect>`
}

function familyText(family: FamilyNow): string {
  const state = family.status === 'answering' ? `answered by ${family.sites.join(', ')}` : family.status === 'failing' ? 'no answer' : 'no report'
  return `${familyLabel(family.family)} ${state}`
}

interface LabelRequest {
  at: Point
  text: string
  kind: 'site' | 'vantage'
}

interface PlacedLabel {
  x: number
  y: number
  anchor: 'start' | 'middle' | 'end'
  text: string
  kind: 'site' | 'vantage'
}

interface Box {
  left: number
  top: number
  right: number
  bottom: number
}

/** Rough advance of one character of the label font, as a fraction of its size (no font metrics here). */
const CHAR_WIDTH_EM = 0.62

/**
 * Places each label next to its marker where it overlaps no label placed before it and stays inside the
 * frame, trying above, below, right, left (sites first, so they win); a label with no free place is
 * left out (its marker keeps its tooltip, and the matrix names everything).
 */
export function placeLabels(requests: readonly LabelRequest[], scale: number, frame: Frame): PlacedLabel[] {
  // Markers are obstacles too: a label must not hide another point.
  const markers: Box[] = requests.map(({ at, kind }) => {
    const half = (kind === 'site' ? SITE_RADIUS_PX : VANTAGE_HALF_SIDE_PX) * scale
    return { left: at.x - half, right: at.x + half, top: at.y - half, bottom: at.y + half }
  })
  const placed: { label: PlacedLabel; box: Box }[] = []
  for (const request of requests) {
    const free = (box: Box): boolean => insideFrame(box, frame) && placed.every((other) => !overlaps(box, other.box)) && markers.every((marker) => !overlaps(box, marker))
    const fits = candidatesFor(request, scale).find(({ box }) => free(box))
    if (fits) placed.push(fits)
  }
  return placed.map(({ label }) => label)
}

function candidatesFor(request: LabelRequest, scale: number): { label: PlacedLabel; box: Box }[] {
  const size = LABEL_SIZE_PX * scale
  const width = request.text.length * CHAR_WIDTH_EM * size
  const clearance = (request.kind === 'site' ? SITE_RADIUS_PX : VANTAGE_HALF_SIDE_PX) * scale + 2 * scale
  const { x, y } = request.at
  const above = { x, y: y - clearance, anchor: 'middle' as const }
  const below = { x, y: y + clearance + size * 0.8, anchor: 'middle' as const }
  const right = { x: x + clearance, y: y + size * 0.35, anchor: 'start' as const }
  const left = { x: x - clearance, y: y + size * 0.35, anchor: 'end' as const }
  const order = request.kind === 'site' ? [above, below, right, left] : [below, above, right, left]
  return order.map((spot) => {
    const leftEdge = spot.anchor === 'middle' ? spot.x - width / 2 : spot.anchor === 'start' ? spot.x : spot.x - width
    return {
      label: { ...spot, text: request.text, kind: request.kind },
      box: { left: leftEdge, right: leftEdge + width, top: spot.y - size * 0.8, bottom: spot.y + size * 0.2 },
    }
  })
}

function insideFrame(box: Box, frame: Frame): boolean {
  return box.left >= frame.x && box.right <= frame.x + frame.width && box.top >= frame.y && box.bottom <= frame.y + frame.height
}

function overlaps(a: Box, b: Box): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom
}

function labelMarkup(label: PlacedLabel): Markup {
  return html`<text x="${round(label.x, 2)}" y="${round(label.y, 2)}" text-anchor="${label.anchor}" font-weight="${label.kind === 'site' ? '700' : '400'}">${label.text}</text>`
}

function mapDescription(input: CatchmentMapInput): string {
  const nowByVantage = new Map(input.now.map((state) => [state.vantage, state]))
  const split = input.families.length > 1
  const lines = input.vantages.map((vantage) => {
    const now = nowByVantage.get(vantage.id)
    if (!now || now.status === 'missing') return `${vantage.label}: no report.`
    if (!split) return now.status === 'failing' ? `${vantage.label}: no answer.` : `${vantage.label} reaches ${now.sites.join(' and ')} in ${formatRttMs(now.rttMs)}.`
    const perFamily = now.families.map((family) => family.status === 'answering'
      ? `over ${familyLabel(family.family)} ${family.sites.join(' and ')} in ${formatRttMs(family.rttMs)}`
      : `over ${familyLabel(family.family)} ${family.status === 'failing' ? 'no answer' : 'no report'}`)
    return `${vantage.label}: ${perFamily.join(', ')}.`
  })
  return `${input.vantages.length} vantages, ${input.sites.length} sites. ${lines.join(' ')}`
}

/** The colour key under a map: RTT bands, the line of each family (for a target with both), then the marker shapes. */
export function renderMapLegend(families: readonly AddressFamily[]): Markup {
  const bands = RTT_BANDS.map((band) => html`<li><span class="swatch ${band.className}"></span>${band.label}</li>`)
  const lines = families.length > 1 ? families.map((family) => html`<li><span class="swatch line-${family}"></span>${familyLabel(family)}</li>`) : []
  return html`<ul class="legend" aria-label="Map legend">${joinMarkup(bands)}${joinMarkup(lines)}<li><span class="marker marker-site"></span>site</li><li><span class="marker marker-site-troubled"></span>site with an open incident</li><li><span class="marker marker-vantage"></span>vantage</li><li><span class="marker marker-failing"></span>vantage without answer</li></ul>`
}

/** Vantages that cannot be placed, named under the map so that none silently disappears. */
export function unplacedVantages(vantages: readonly PublicVantage[]): PublicVantage[] {
  return vantages.filter((vantage) => vantage.latitude === null || vantage.longitude === null)
}
