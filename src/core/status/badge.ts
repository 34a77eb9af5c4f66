// A shields.io-style SVG badge: the target's label on the left, its state on the right, coloured by it.
// A standalone SVG document, so colours are presentation attributes and text is XML-escaped.
import { html, type Markup } from './escape.ts'
import { STATE_COLOURS } from './palette.ts'
import { STATE_LABELS, type TargetStateKind } from './state.ts'

const HEIGHT_PX = 20
const PADDING_PX = 6
const LABEL_BACKGROUND = '#555555'
/** Verdana 11 px advance widths, roughly: narrow, wide and everything else. */
const NARROW_CHARS = new Set([...'ijlt.,:;!|\'()[] fr'])
const WIDE_CHARS = new Set([...'mwMW@%'])
const NARROW_PX = 4
const WIDE_PX = 10
const DEFAULT_PX = 7

/** Estimated width of `text` in Verdana 11 px: no font metrics on the server, so a rough table. */
export function textWidthPx(text: string): number {
  let width = 0
  for (const char of text) width += NARROW_CHARS.has(char) ? NARROW_PX : WIDE_CHARS.has(char) ? WIDE_PX : DEFAULT_PX
  return width
}

export function renderBadge(label: string, state: TargetStateKind): Markup {
  const value = STATE_LABELS[state].toLowerCase()
  const labelWidth = textWidthPx(label) + 2 * PADDING_PX
  const valueWidth = textWidthPx(value) + 2 * PADDING_PX
  const width = labelWidth + valueWidth
  return html`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEIGHT_PX}" viewBox="0 0 ${width} ${HEIGHT_PX}" role="img" aria-label="${label}: ${value}"><title>${label}: ${value}</title><linearGradient id="shine" x2="0" y2="100%"><stop offset="0" stop-color="#bbbbbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="round"><rect width="${width}" height="${HEIGHT_PX}" rx="3" fill="#ffffff"/></clipPath><g clip-path="url(#round)"><rect width="${labelWidth}" height="${HEIGHT_PX}" fill="${LABEL_BACKGROUND}"/><rect x="${labelWidth}" width="${valueWidth}" height="${HEIGHT_PX}" fill="${STATE_COLOURS[state]}"/><rect width="${width}" height="${HEIGHT_PX}" fill="url(#shine)"/></g><g fill="#ffffff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11"><text x="${labelWidth / 2}" y="15" fill="#010101" fill-opacity=".3">${label}</text><text x="${labelWidth / 2}" y="14">${label}</text><text x="${labelWidth + valueWidth / 2}" y="15" fill="#010101" fill-opacity=".3">${value}</text><text x="${labelWidth + valueWidth / 2}" y="14">${value}</text></g></svg>`
}
