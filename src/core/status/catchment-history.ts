// The catchment history of a target: which site each vantage reached over a window, drawn as one strip
// per vantage and address family, and the list of moves (when a vantage moved to another site over a
// family, and when it came back). A stretch without an answer is not a move: fra → (no answer) → fra
// stays on fra.
import type { AddressFamily } from '../paths.ts'
import type { CatchmentChangeRow, CatchmentEntryRow } from './store-rows.ts'
import { html, joinMarkup, type Markup } from './escape.ts'
import { round } from './geo.ts'
import { siteColour } from './palette.ts'
import type { PublicSite } from './public-view.ts'
import { formatDuration, formatUtc } from './time.ts'

export interface Segment {
  start: number
  end: number
  /** null: no answer. */
  site: string | null
}

/**
 * The sites of one (vantage, family) over [windowStart, windowEnd), from its changes in the window (oldest first) and
 * its current entry. Before its first change it was on that change's `from`; without any change, on its
 * current site from max(windowStart, entry.since). Gaps without an answer shorter than `absorbGapMs`
 * between two stretches on the same site are absorbed into it (they would be invisible when drawn).
 */
export function segmentsOf(
  changes: readonly CatchmentChangeRow[],
  entry: CatchmentEntryRow | undefined,
  windowStart: number,
  windowEnd: number,
  absorbGapMs = 0,
): Segment[] {
  const first = changes[0]
  const startSite = first ? first.from : (entry?.site ?? null)
  const startAt = first || !entry ? windowStart : Math.max(windowStart, entry.since)
  if (!first && !entry) return []
  const raw: Segment[] = []
  let current: Segment = { start: startAt, end: windowEnd, site: startSite }
  for (const change of changes) {
    raw.push({ ...current, end: change.at })
    current = { start: change.at, end: windowEnd, site: change.to }
  }
  raw.push(current)
  return mergeSegments(raw.filter((segment) => segment.end > segment.start), absorbGapMs)
}

function mergeSegments(segments: readonly Segment[], absorbGapMs: number): Segment[] {
  const merged: Segment[] = []
  for (const segment of segments) {
    const last = merged.at(-1)
    const beforeLast = merged.at(-2)
    if (last && last.site === segment.site) {
      last.end = segment.end
    } else if (last && beforeLast && last.site === null && last.end - last.start < absorbGapMs && beforeLast.site === segment.site) {
      merged.pop()
      beforeLast.end = segment.end
    } else {
      merged.push({ ...segment })
    }
  }
  return merged
}

export interface Move {
  vantage: string
  family: AddressFamily
  at: number
  from: string
  to: string
  /** What came next for this vantage: back to `from`, on to another site, or nothing yet. */
  next: { kind: 'back'; at: number } | { kind: 'onward'; at: number; to: string } | { kind: 'none' }
}

/**
 * The moves of each (vantage, family) between answering sites, oldest first, each with what came next; a
 * return is shown as the "back" of the move it ends. Changes must be oldest first.
 */
export function movesOf(changes: readonly CatchmentChangeRow[]): Move[] {
  const byPath = new Map<string, CatchmentChangeRow[]>()
  for (const change of changes) {
    const key = `${change.vantage} ${change.family}`
    const own = byPath.get(key)
    if (own) own.push(change)
    else byPath.set(key, [change])
  }
  const moves: Move[] = []
  for (const own of byPath.values()) {
    const { vantage, family } = own[0] as CatchmentChangeRow
    const steps: { at: number; from: string; to: string }[] = []
    let lastSite: string | null = own[0]?.from ?? null
    for (const change of own) {
      if (change.to === null) continue
      if (lastSite !== null && change.to !== lastSite) steps.push({ at: change.at, from: lastSite, to: change.to })
      lastSite = change.to
    }
    let previousWasListed = false
    steps.forEach((step, index) => {
      // A step back to where the listed move before it came from is that move's "back", not a move of its own.
      const previous = steps[index - 1]
      const isReturn = previousWasListed && previous !== undefined && step.to === previous.from
      previousWasListed = !isReturn
      if (isReturn) return
      const following = steps[index + 1]
      const next: Move['next'] = !following ? { kind: 'none' } : following.to === step.from ? { kind: 'back', at: following.at } : { kind: 'onward', at: following.at, to: following.to }
      moves.push({ vantage, family, ...step, next })
    })
  }
  return moves.sort((a, b) => a.at - b.at || (a.vantage < b.vantage ? -1 : a.vantage > b.vantage ? 1 : a.family < b.family ? -1 : 1))
}

const STRIP_WIDTH = 720
const LABEL_WIDTH = 56
const ROW_HEIGHT = 16
const ROW_GAP = 4
const AXIS_HEIGHT = 16
const NO_ANSWER_FILL = '#f3f4f6'
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif'

/** One strip: a vantage, or a vantage over one family for a target with both. */
export interface Strip {
  /** Drawn left of the strip: 'par', or 'par v6'. */
  label: string
  /** Named in each segment's tooltip: 'par', or 'par over IPv6'. */
  name: string
  segments: readonly Segment[]
}

export interface CatchmentStripsInput {
  id: string
  targetLabel: string
  sites: readonly PublicSite[]
  strips: readonly Strip[]
  windowStart: number
  windowEnd: number
  ticks: readonly number[]
  tickLabel: (epochMs: number) => string
  moveCount: number
}

export function renderCatchmentStrips(input: CatchmentStripsInput): Markup {
  const plotWidth = STRIP_WIDTH - LABEL_WIDTH
  const height = input.strips.length * (ROW_HEIGHT + ROW_GAP) + AXIS_HEIGHT
  const x = (epochMs: number): number => round(LABEL_WIDTH + ((epochMs - input.windowStart) / (input.windowEnd - input.windowStart)) * plotWidth)
  const siteIndex = new Map(input.sites.map((site, index) => [site.id, index]))
  const siteLabel = new Map(input.sites.map((site) => [site.id, site.label]))
  const rows = input.strips.map((strip, row) => {
    const y = row * (ROW_HEIGHT + ROW_GAP)
    const segments = strip.segments.filter((segment) => segment.site !== null)
    const rects = segments.map((segment) => {
      const site = segment.site as string
      const width = Math.max(0.5, round(x(segment.end) - x(segment.start)))
      const name = siteLabel.get(site) ?? site
      return html`<rect x="${x(segment.start)}" y="${y}" width="${width}" height="${ROW_HEIGHT}" fill="${siteColour(siteIndex.get(site) ?? -1)}"><title>${strip.name} on ${name}: ${formatUtc(segment.start)} to ${formatUtc(segment.end)} (${formatDuration(segment.end - segment.start)})</title></rect>`
    })
    return html`<text x="${LABEL_WIDTH - 6}" y="${y + ROW_HEIGHT - 4}" text-anchor="end">${strip.label}</text><rect x="${LABEL_WIDTH}" y="${y}" width="${plotWidth}" height="${ROW_HEIGHT}" fill="${NO_ANSWER_FILL}"/>${joinMarkup(rects)}`
  })
  const axisY = height - 4
  const ticks = input.ticks.map((tick) => html`<line x1="${x(tick)}" x2="${x(tick)}" y1="0" y2="${height - AXIS_HEIGHT}" stroke="#ffffff" stroke-width="1"/><text x="${x(tick)}" y="${axisY}" text-anchor="middle">${input.tickLabel(tick)}</text>`)
  const titleId = `${input.id}-title`
  const descId = `${input.id}-desc`
  return html`<svg class="strips" viewBox="0 0 ${STRIP_WIDTH} ${height}" role="img" aria-labelledby="${titleId} ${descId}"><title id="${titleId}">Catchment history of ${input.targetLabel}</title><desc id="${descId}">Which site answered each vantage from ${formatUtc(input.windowStart)} to ${formatUtc(input.windowEnd)}; ${input.moveCount} moves between sites. Grey: no answer or no data.</desc><g font-family="${FONT}" font-size="10" fill="#374151">${joinMarkup(rows)}${joinMarkup(ticks)}</g></svg>`
}

/** Site colours under the strips. */
export function renderSiteKey(sites: readonly PublicSite[]): Markup {
  const items = sites.map((site, index) => html`<li><svg class="key-swatch" viewBox="0 0 10 10" aria-hidden="true"><rect width="10" height="10" rx="2" fill="${siteColour(index)}"/></svg>${site.id} <span class="muted">${site.label}</span></li>`)
  return html`<ul class="legend" aria-label="Site colours">${joinMarkup(items)}<li><svg class="key-swatch" viewBox="0 0 10 10" aria-hidden="true"><rect width="10" height="10" rx="2" fill="${siteColour(-1)}"/></svg>unknown identity</li></ul>`
}
