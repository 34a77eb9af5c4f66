// Small SVG charts: RTT over a window (median line, band up to the 95th percentile) and daily uptime
// bars. Each is one `role="img"` element with a title and a description that says what it shows.
import { html, joinMarkup, type Markup } from './escape.ts'
import { round } from './geo.ts'
import { uptimeColour } from './palette.ts'
import type { RttPoint, Tally } from './series.ts'
import { DAY_MS, formatPercent, formatRttMs, formatUtcClock, formatUtcDate } from './time.ts'

const CHART_WIDTH = 360
const CHART_HEIGHT = 96
const PLOT_LEFT = 38
const PLOT_RIGHT = 6
const PLOT_TOP = 8
const PLOT_BOTTOM = 18
const LINE_COLOUR = '#1d4ed8'
const BAND_COLOUR = '#bfdbfe'
const GRID_COLOUR = '#e5e7eb'
const TICK_EDGE_CLEARANCE = 14
const AXIS_TEXT_COLOUR = '#6b7280'
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif'
/** Nice steps for the RTT axis' top, in ms: the smallest one above the data is used. */
const NICE_MAXIMA_MS = [1, 2, 5, 10, 20, 50, 100, 150, 200, 300, 500, 1000, 2000, 5000]

export interface RttChartInput {
  id: string
  /** 'Median RTT from Paris, last 24 hours' */
  title: string
  points: readonly RttPoint[]
  windowStart: number
  windowEnd: number
  bucketMs: number
  /** Where the x axis has its ticks, epoch ms. */
  ticks: readonly number[]
  tickLabel: (epochMs: number) => string
}

export function renderRttChart(input: RttChartInput): Markup {
  const titleId = `${input.id}-title`
  const descId = `${input.id}-desc`
  const open = html`<svg class="chart" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" role="img" aria-labelledby="${titleId} ${descId}"><title id="${titleId}">${input.title}</title><desc id="${descId}">${rttDescription(input.points)}</desc>`
  const plotWidth = CHART_WIDTH - PLOT_LEFT - PLOT_RIGHT
  const plotHeight = CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM
  const maxMs = niceMaximum(Math.max(0, ...input.points.map((point) => point.p95Ms)))
  const x = (epochMs: number): number => round(PLOT_LEFT + ((epochMs - input.windowStart) / (input.windowEnd - input.windowStart)) * plotWidth)
  const y = (ms: number): number => round(PLOT_TOP + plotHeight - (Math.min(ms, maxMs) / maxMs) * plotHeight)
  const grid = [0, maxMs / 2, maxMs].map((ms) => html`<line x1="${PLOT_LEFT}" x2="${CHART_WIDTH - PLOT_RIGHT}" y1="${y(ms)}" y2="${y(ms)}" stroke="${GRID_COLOUR}"/><text x="${PLOT_LEFT - 4}" y="${y(ms) + 3}" text-anchor="end">${axisMs(ms)}</text>`)
  // A label centred on a tick at the very edge would be cut off by the chart's border.
  const inside = input.ticks.filter((tick) => x(tick) - PLOT_LEFT >= TICK_EDGE_CLEARANCE && CHART_WIDTH - PLOT_RIGHT - x(tick) >= TICK_EDGE_CLEARANCE)
  const ticks = inside.map((tick) => html`<text x="${x(tick)}" y="${CHART_HEIGHT - 4}" text-anchor="middle">${input.tickLabel(tick)}</text>`)
  const axes = html`<g font-family="${FONT}" font-size="10" fill="${AXIS_TEXT_COLOUR}">${joinMarkup(grid)}${joinMarkup(ticks)}</g>`
  if (input.points.length === 0) {
    return html`${open}${axes}<text x="${PLOT_LEFT + plotWidth / 2}" y="${PLOT_TOP + plotHeight / 2}" text-anchor="middle" font-family="${FONT}" font-size="11" fill="${AXIS_TEXT_COLOUR}">no answers in this window</text></svg>`
  }
  // A bucket is drawn at its middle; a missing bucket breaks the line instead of bridging the gap.
  const segments = contiguous(input.points, input.bucketMs).map((segment) => segment.map((point) => ({ x: x(point.bucketStart + input.bucketMs / 2), p50: y(point.p50Ms), p95: y(point.p95Ms) })))
  const bands = segments.map((segment) => {
    const upper = segment.map((point) => `${point.x} ${point.p95}`)
    const lower = [...segment].reverse().map((point) => `${point.x} ${point.p50}`)
    return html`<path d="M${upper.join('L')}L${lower.join('L')}Z" fill="${BAND_COLOUR}" fill-opacity="0.7"/>`
  })
  const lines = segments.map((segment) =>
    segment.length === 1
      ? html`<circle cx="${segment[0]?.x ?? 0}" cy="${segment[0]?.p50 ?? 0}" r="1.5" fill="${LINE_COLOUR}"/>`
      : html`<path d="M${segment.map((point) => `${point.x} ${point.p50}`).join('L')}" fill="none" stroke="${LINE_COLOUR}" stroke-width="1.5" stroke-linejoin="round"/>`,
  )
  return html`${open}${axes}${joinMarkup(bands)}${joinMarkup(lines)}</svg>`
}

function contiguous(points: readonly RttPoint[], bucketMs: number): RttPoint[][] {
  const segments: RttPoint[][] = []
  for (const point of points) {
    const current = segments.at(-1)
    const previous = current?.at(-1)
    if (current && previous && point.bucketStart - previous.bucketStart <= bucketMs) current.push(point)
    else segments.push([point])
  }
  return segments
}

function niceMaximum(valueMs: number): number {
  return NICE_MAXIMA_MS.find((nice) => nice >= valueMs * 1.05) ?? Math.ceil(valueMs / 1000) * 1000
}

function axisMs(ms: number): string {
  return `${Number.isInteger(ms) ? ms : ms.toFixed(1)} ms`
}

function rttDescription(points: readonly RttPoint[]): string {
  if (points.length === 0) return 'No answers in this window.'
  const medians = points.map((point) => point.p50Ms)
  const worstP95 = Math.max(...points.map((point) => point.p95Ms))
  return `Median RTT between ${formatRttMs(Math.min(...medians))} and ${formatRttMs(Math.max(...medians))}; 95th percentile up to ${formatRttMs(worstP95)}; ${points.length} buckets with answers.`
}

/** Tick marks every `stepMs`, aligned to multiples of the step (UTC), inside the window. */
export function ticksEvery(windowStart: number, windowEnd: number, stepMs: number): number[] {
  const ticks: number[] = []
  for (let tick = Math.ceil(windowStart / stepMs) * stepMs; tick <= windowEnd; tick += stepMs) ticks.push(tick)
  return ticks
}

export const clockTick = formatUtcClock
/** 'Nov 18' style, from the ISO date: '11-18'. */
export const dateTick = (epochMs: number): string => formatUtcDate(epochMs).slice(5)

const BAR_WIDTH = 5
const BAR_GAP = 2
const BAR_HEIGHT = 26

export interface UptimeBarsInput {
  /** 'Uptime of vantage fra, last 90 days' */
  label: string
  /** One bar each, oldest first: the UTC day's start and its date as text (made once per page by uptimeDays). */
  days: readonly UptimeDay[]
  tallies: ReadonlyMap<number, Tally>
}

export interface UptimeDay {
  start: number
  date: string
}

/** The `count` UTC days that end with the day of `nowMs`, oldest first, with their dates. */
export function uptimeDays(nowMs: number, count: number): UptimeDay[] {
  return lastDays(nowMs, count).map((start) => ({ start, date: formatUtcDate(start) }))
}

export function renderUptimeBars(input: UptimeBarsInput): Markup {
  const width = input.days.length * (BAR_WIDTH + BAR_GAP) - BAR_GAP
  const bars = input.days.map(({ start, date }, index) => {
    const tally = input.tallies.get(start)
    const fraction = tally && tally.count > 0 ? tally.successes / tally.count : null
    const text = tally ? `${date}: ${formatPercent(fraction)}, ${tally.successes}/${tally.count}` : `${date}: no data`
    // Kept terse: a target page has a row of 90 of these per vantage and per site.
    return html`<rect x="${index * (BAR_WIDTH + BAR_GAP)}" width="${BAR_WIDTH}" height="${BAR_HEIGHT}" fill="${uptimeColour(fraction)}"><title>${text}</title></rect>`
  })
  return html`<svg class="bars" viewBox="0 0 ${Math.max(width, 1)} ${BAR_HEIGHT}" preserveAspectRatio="none" role="img" aria-label="${input.label}">${joinMarkup(bars)}</svg>`
}

/** The UTC day starts of the `count` days that end with the day of `nowMs`, oldest first. */
export function lastDays(nowMs: number, count: number): number[] {
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS
  return Array.from({ length: count }, (_, index) => today - (count - 1 - index) * DAY_MS)
}
