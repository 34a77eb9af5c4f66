// Colours shared by the map, the matrix, the charts and the badges, so that one RTT or one site has
// one colour everywhere. Hex values go into SVG presentation attributes (no inline style).

export interface RttBand {
  /** Upper bound of the band, exclusive; Infinity for the last. */
  belowMs: number
  label: string
  colour: string
  /** CSS class of HTML cells in this band (the stylesheet gives them the same colour). */
  className: string
}

export const RTT_BANDS: readonly RttBand[] = [
  { belowMs: 20, label: '< 20 ms', colour: '#15803d', className: 'rtt-1' },
  { belowMs: 50, label: '20–50 ms', colour: '#65a30d', className: 'rtt-2' },
  { belowMs: 100, label: '50–100 ms', colour: '#ca8a04', className: 'rtt-3' },
  { belowMs: 200, label: '100–200 ms', colour: '#ea580c', className: 'rtt-4' },
  { belowMs: Number.POSITIVE_INFINITY, label: '≥ 200 ms', colour: '#b91c1c', className: 'rtt-5' },
]

export const NO_ANSWER_COLOUR = '#9ca3af'

export function rttBandOf(rttMs: number): RttBand {
  return RTT_BANDS.find((band) => rttMs < band.belowMs) ?? (RTT_BANDS.at(-1) as RttBand)
}

export const STATE_COLOURS = {
  operational: '#15803d',
  degraded: '#b45309',
  outage: '#b91c1c',
  'no-data': '#6b7280',
} as const

/** Categorical colours for sites, in site-table order (Tableau 10, distinguishable for most readers). */
const SITE_COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac']
export const UNKNOWN_SITE_COLOUR = '#374151'

export function siteColour(siteIndex: number): string {
  return siteIndex < 0 ? UNKNOWN_SITE_COLOUR : (SITE_COLOURS[siteIndex % SITE_COLOURS.length] as string)
}

/** Uptime bar colours: full, small loss, large loss; grey without data. */
export function uptimeColour(fraction: number | null): string {
  if (fraction === null) return '#e5e7eb'
  if (fraction >= 0.999) return '#16a34a'
  if (fraction >= 0.99) return '#a3c644'
  if (fraction >= 0.95) return '#f59e0b'
  return '#dc2626'
}
