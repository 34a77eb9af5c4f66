// Escaping for everything the status page emits: HTML, SVG, Atom (XML) and Prometheus labels.
// Strings from the network (NSID text, TXT, errors) can hold anything, so markup is built only through
// the `html` tag below, which escapes every interpolated value unless it is already markup.

/** Markup that is safe to emit as it is: only `html` and `trustedMarkup` make one. */
export interface Markup {
  readonly markup: string
}

type Interpolated = Markup | string | number | null | undefined | false | readonly Interpolated[]

const INVISIBLE_OR_INVALID =
  // C0 controls except tab, LF and CR; DEL and C1 controls; bidi overrides and isolates (they reorder the
  // text around them); lone surrogates and U+FFFE/U+FFFF (not allowed in XML at all, even as references).
  /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g
const NOT_PLAIN_ASCII = /[^\t\n\r\x20-\x7e]/
const REPLACEMENT_CHARACTER = '\ufffd'
const MARKUP_SPECIAL = /[&<>"']/
const MARKUP_SPECIALS = /[&<>"']/g
const MARKUP_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/**
 * The text with every character that would be invisible, reorder the text, or be invalid in XML shown
 * as a visible escape (`\x1b`, `\u202e`); lone surrogates become U+FFFD. The result is plain text.
 */
export function visibleText(text: string): string {
  // Most text is plain printable ASCII: skip the replace for it (pages render thousands of strings).
  if (!NOT_PLAIN_ASCII.test(text)) return text
  return text.replace(INVISIBLE_OR_INVALID, (char) => {
    const code = char.charCodeAt(0)
    if (code >= 0xd800 && code <= 0xdfff) return REPLACEMENT_CHARACTER
    if (code === 0xfffe || code === 0xffff) return REPLACEMENT_CHARACTER
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}

/** Text as the content of an HTML, SVG or XML element or a quoted attribute value. */
export function escapeMarkup(text: string): string {
  const visible = visibleText(text)
  return MARKUP_SPECIAL.test(visible) ? visible.replace(MARKUP_SPECIALS, (char) => MARKUP_ESCAPES[char] as string) : visible
}

/** Marks a string built by this module's callers from numbers and constants only (never from data). */
export function trustedMarkup(markup: string): Markup {
  return { markup }
}

function isMarkup(value: unknown): value is Markup {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as Markup).markup === 'string'
}

function render(value: Interpolated): string {
  if (value === null || value === undefined || value === false) return ''
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : ''
  if (typeof value === 'string') return escapeMarkup(value)
  if (isMarkup(value)) return value.markup
  return value.map(render).join('')
}

/** Template tag: the literal parts are markup, every `${value}` is escaped unless it is Markup already. */
export function html(strings: TemplateStringsArray, ...values: Interpolated[]): Markup {
  let markup = strings[0] ?? ''
  values.forEach((value, index) => {
    markup += render(value) + (strings[index + 1] ?? '')
  })
  return { markup }
}

/** Joins pieces of markup (a list of rows, say) into one. */
export function joinMarkup(parts: readonly Markup[], separator = ''): Markup {
  return { markup: parts.map((part) => part.markup).join(separator) }
}

/**
 * A Prometheus exposition label value, without the quotes: `\`, `"` and newlines escaped. Tabs and CRs
 * become spaces, since the format knows no escape for them.
 */
export function prometheusLabelValue(text: string): string {
  return visibleText(text).replace(/[\t\r]/g, ' ').replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}
