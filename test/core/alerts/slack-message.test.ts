import { describe, expect, it } from 'vitest'
import {
  escapeMrkdwn,
  renderSlackMessage,
  SLACK_MAX_BLOCKS,
  SLACK_MAX_SECTION_TEXT_CHARS,
  truncateMrkdwn,
  type SlackBlock,
} from '../../../src/core/alerts/slack-message.ts'
import type { AlertContext } from '../../../src/core/alerts/text.ts'
import { blackHoleWithBgp, evidence, finding, incident, notification, OPENED_AT, resolveOf } from '../../support/notifications.ts'

const context: AlertContext = { statusPageUrl: 'https://status.example.net/', targetLabel: 'K-root' }
const HOSTILE_IDENTITY = '<script>alert(1)</script> & <!channel> <https://evil.example|click>'

function texts(blocks: readonly SlackBlock[]): string[] {
  return blocks.flatMap((block) => {
    if (block.type === 'divider') return []
    if (block.type === 'context') return block.elements.map((element) => element.text)
    if (block.type === 'header') return [block.text.text]
    return [block.text.text, ...(block.fields ?? []).map((field) => field.text)]
  })
}

describe('the Slack message', () => {
  it('says what, where, since when, with the evidence and a status page link', () => {
    const message = renderSlackMessage(notification(), context)
    expect(message.text).toBe('Triggered: site-down on K-root: site fra1 stopped answering: its vantages now reach lhr1 or time out')
    expect(message.blocks.map((block) => block.type)).toEqual(['header', 'section', 'divider', 'section', 'section', 'section', 'context'])
    expect(message.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: ':rotating_light: Triggered: site-down on K-root' } })
    const summary = message.blocks[1] as Extract<SlackBlock, { type: 'section' }>
    expect(summary.text).toEqual({ type: 'mrkdwn', text: '*site fra1 stopped answering: its vantages now reach lhr1 or time out*' })
    expect(summary.fields?.map((field) => field.text)).toEqual([
      '*Target*\nK-root (`k-root`)',
      '*Severity*\ncritical',
      '*Sites*\nfra1',
      '*Vantages*\npar, ams',
      `*Since*\n<!date^${OPENED_AT / 1000}^{date_short_pretty} {time_secs}|2026-11-22T12:00:00.000Z>`,
    ])
    expect(texts(message.blocks)).toContain(
      '*Evidence*\n• par (udp 198.51.100.53) → no site: timeout\n• ams (udp 198.51.100.53) → lhr1: ok, 12.5 ms',
    )
    expect(texts(message.blocks)).toContain('*Details*\n• previousSite: fra1\n• cyclesWithoutAnswer: 3')
    expect(texts(message.blocks)).toContain(
      '<https://status.example.net/incidents/k-root%2Fsite-down%2Fsite%3Afra1|View this incident on the status page>',
    )
  })

  it('says which paths a partial failure is on', () => {
    const paths = { slice: 'tcp', text: 'over TCP', families: ['ipv4' as const], addresses: ['198.51.100.53'], transports: ['tcp' as const] }
    const message = renderSlackMessage(notification({ incident: incident({ lastFinding: finding({ paths }) }) }), context)
    const summary = message.blocks[1] as Extract<SlackBlock, { type: 'section' }>
    expect(summary.fields?.map((field) => field.text)).toContain('*Paths*\nover TCP')
  })

  it('shows the BGP evidence on its own: each AS path on a line, the peer counts, the community and the source', () => {
    const message = renderSlackMessage(notification({ incident: incident({ lastFinding: blackHoleWithBgp() }) }), context)
    expect(texts(message.blocks)).toContain(
      [
        '*BGP*',
        '• route: announced',
        '• peers routing to the site: 2',
        '• peers seeing the prefix: 40',
        '• AS path: 3333 64510 64500 (community 64500:1), 1 peer',
        '• AS path: 1299 64510 64500 (community 64500:1), 1 peer',
        '• community: 64500:1',
        '• source: ripestat 192.0.2.0/24: 2 of 40 peers route to fra1',
      ].join('\n'),
    )
    expect(texts(message.blocks)).toContain('*Details*\n• confirmed: true\n• failingCycles: 2')
  })

  it('adds when the incident was resolved to a resolve message', () => {
    const resolvedAt = OPENED_AT + 600_000
    const message = renderSlackMessage(resolveOf(notification(), resolvedAt), context)
    expect(message.text).toMatch(/^Resolved: site-down on K-root/)
    const summary = message.blocks[1] as Extract<SlackBlock, { type: 'section' }>
    expect(summary.fields?.at(-1)?.text).toBe(`*Resolved*\n<!date^${resolvedAt / 1000}^{date_short_pretty} {time_secs}|2026-11-22T12:10:00.000Z>`)
  })

  it('says when an incident is flapping', () => {
    const message = renderSlackMessage(notification({ incident: incident({ flapping: true }) }), context)
    const summary = message.blocks[1] as Extract<SlackBlock, { type: 'section' }>
    expect(summary.fields?.at(-1)?.text).toBe('*Flapping*\nyes: it resolves only after a quiet window')
  })

  it('escapes &, < and > of an identity that came from the network, wherever it shows', () => {
    const hostile = finding({
      kind: 'unknown-identity',
      summary: `vantage par sees identity ${HOSTILE_IDENTITY}`,
      evidence: evidence({ details: { identity: HOSTILE_IDENTITY, identities: [HOSTILE_IDENTITY, 'x&y'] } }),
    })
    const message = renderSlackMessage(notification({ incident: incident({ lastFinding: hostile }) }), context)
    const everything = [message.text, ...texts(message.blocks)].join('\n')
    expect(everything).not.toContain('<script>')
    expect(everything).not.toContain('<!channel>')
    expect(everything).not.toContain('<https://evil')
    expect(everything).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!channel&gt;')
    expect(everything).toContain('x&amp;y')
    // The only angle brackets left are our own tokens: the date and the status page link.
    const tokens = everything.match(/<[^>]*>/g) ?? []
    expect(tokens.every((token) => token.startsWith('<!date^') || token.startsWith('<https://status.example.net/'))).toBe(true)
  })

  it('stays within 50 blocks and 3000 characters per section when the evidence is huge', () => {
    const latest = Array.from({ length: 5000 }, (_, index) => ({
      vantage: `vantage-${index}`,
      outcome: 'timeout',
      site: null,
      rttMs: null,
      transport: 'udp',
      address: '2001:db8::53',
    }))
    const details = { identity: 'x'.repeat(10_000), note: '&'.repeat(4000) }
    const huge = finding({ summary: '<'.repeat(5000), evidence: evidence({ latest, details }) })
    const message = renderSlackMessage(notification({ incident: incident({ lastFinding: huge }) }), context)
    expect(message.blocks.length).toBeLessThanOrEqual(SLACK_MAX_BLOCKS)
    for (const block of message.blocks) {
      if (block.type === 'section') expect(block.text.text.length).toBeLessThanOrEqual(SLACK_MAX_SECTION_TEXT_CHARS)
    }
    expect(message.blocks.at(-3)).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: expect.stringMatching(/^_\d+ more sections of evidence are on the status page\._$/) }],
    })
    expect(message.text.length).toBeLessThanOrEqual(3000)
    expect(message.text).not.toMatch(/&(?:a|am|amp|l|lt|g|gt)?…$/)
  })

  it('always has a fallback text, even for a finding with no evidence', () => {
    const bare = finding({ evidence: { sites: [], vantages: [], latest: [], details: {} } })
    const message = renderSlackMessage(notification({ incident: incident({ lastFinding: bare }) }), context)
    expect(message.text.length).toBeGreaterThan(0)
    expect(message.blocks.map((block) => block.type)).toEqual(['header', 'section', 'divider', 'section', 'context'])
  })
})

describe('mrkdwn helpers', () => {
  it('escapes only the three reserved characters', () => {
    expect(escapeMrkdwn('a & b < c > d *e* _f_')).toBe('a &amp; b &lt; c &gt; d *e* _f_')
  })

  it('never cuts an entity in half', () => {
    expect(truncateMrkdwn('abc&amp;def', 6)).toBe('abc…')
    expect(truncateMrkdwn('abc&amp;def', 9)).toBe('abc&amp;…')
    expect(truncateMrkdwn('short', 9)).toBe('short')
  })
})
