import { describe, expect, it } from 'vitest'
import { escapeMarkup, html, joinMarkup, prometheusLabelValue, trustedMarkup, visibleText } from '../../../src/core/status/escape.ts'

const HOSTILE = '<script>alert(1)</script>\x00\x1b'

describe('visibleText', () => {
  it('shows control bytes as \\x escapes and keeps tab, newline and printable text', () => {
    expect(visibleText('a\x00b\x1bc\x7f\x9f\td\ne')).toBe('a\\x00b\\x1bc\\x7f\\x9f\td\ne')
  })

  it('shows bidi overrides instead of letting them reorder the text', () => {
    expect(visibleText('abc\u202edef')).toBe('abc\\u202edef')
  })

  it('replaces lone surrogates and U+FFFE/U+FFFF (invalid in XML) with U+FFFD, keeps pairs', () => {
    expect(visibleText('x\ud800y\udc00z\ufffe😀')).toBe('x\ufffdy\ufffdz\ufffd😀')
  })
})

describe('escapeMarkup and the html tag', () => {
  it('turns a script NSID into inert text', () => {
    expect(escapeMarkup(HOSTILE)).toBe('&lt;script&gt;alert(1)&lt;/script&gt;\\x00\\x1b')
  })

  it('escapes quotes so a value cannot leave its attribute', () => {
    expect(html`<a title="${'" onmouseover="alert(1)'}">x</a>`.markup).toBe('<a title="&quot; onmouseover=&quot;alert(1)">x</a>')
    expect(html`<a title='${"' x='1"}'>`.markup).toBe("<a title='&#39; x=&#39;1'>")
  })

  it('escapes every interpolated string, at any depth of arrays, and passes markup through', () => {
    const rows = ['<b>', '&'].map((text) => html`<li>${text}</li>`)
    expect(html`<ul>${rows}${[['<i>']]}</ul>`.markup).toBe('<ul><li>&lt;b&gt;</li><li>&amp;</li>&lt;i&gt;</ul>')
    expect(html`${trustedMarkup('<path d="M0 0"/>')}`.markup).toBe('<path d="M0 0"/>')
  })

  it('renders numbers, and nothing for null, undefined, false and non-finite numbers', () => {
    expect(html`${1.5}|${null}|${undefined}|${false}|${Number.NaN}|${0}`.markup).toBe('1.5|||||0')
  })

  it('does not treat an object that merely looks like markup inside a string as markup', () => {
    expect(html`${'{"markup":"<b>"}'}`.markup).toBe('{&quot;markup&quot;:&quot;&lt;b&gt;&quot;}')
  })

  it('joins markup with a separator', () => {
    expect(joinMarkup([html`<a>`, html`<b>`], '\n').markup).toBe('<a>\n<b>')
  })
})

describe('prometheusLabelValue', () => {
  it('escapes backslash, quote and newline, and shows control bytes', () => {
    expect(prometheusLabelValue('a\\b"c\nd\x00\te')).toBe('a\\\\b\\"c\\nd\\\\x00 e')
  })

  it('keeps a script NSID on one label line without unescaped quotes', () => {
    const value = prometheusLabelValue(`${HOSTILE}"} 1\nfake_metric 1`)
    expect(value).not.toMatch(/[\n\x00\x1b]/)
    expect(value).not.toMatch(/(^|[^\\])"/)
  })
})
