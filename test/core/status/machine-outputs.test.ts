import { describe, expect, it } from 'vitest'
import { renderBadge, textWidthPx } from '../../../src/core/status/badge.ts'
import { renderAtomFeed } from '../../../src/core/status/feed.ts'
import { vantagesNow } from '../../../src/core/status/latest.ts'
import { renderMetrics } from '../../../src/core/status/metrics.ts'
import type { CycleRecord } from '../../../src/core/findings.ts'
import type { Observation } from '../../../src/core/model.ts'
import { finding, incident, OPENED_AT } from '../../support/notifications.ts'

const HOSTILE = '<script>alert(1)</script>\x00\x1b'

describe('renderBadge', () => {
  it('shows the label and the state, sized to the text', () => {
    const svg = renderBadge('K-root', 'operational').markup
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="20"/)
    expect(svg).toContain('<title>K-root: operational</title>')
    expect(svg).toContain('fill="#15803d"')
    expect(textWidthPx('mmm')).toBeGreaterThan(textWidthPx('iii'))
  })

  it('escapes whatever the label holds', () => {
    const svg = renderBadge(HOSTILE, 'outage').markup
    expect(svg).not.toContain('<script')
    expect(svg).not.toMatch(/[\x00\x1b]/)
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;\\x00\\x1b')
  })
})

describe('renderAtomFeed', () => {
  const hostile = incident({ lastFinding: finding({ summary: `identity ${HOSTILE}` }), updates: [{ at: OPENED_AT, text: HOSTILE }] })
  const feed = renderAtomFeed({ statusPageUrl: 'https://status.example.net/', title: 'Anycast status', incidents: [hostile], targetLabels: new Map([['k-root', 'K-root']]), nowMs: OPENED_AT + 1 }).markup

  it('is an Atom document with one entry per incident, linking to its page', () => {
    expect(feed.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">')).toBe(true)
    expect(feed).toContain('<link rel="self" type="application/atom+xml" href="https://status.example.net/feed.atom"/>')
    expect(feed).toContain('<link rel="alternate" type="text/html" href="https://status.example.net/incidents/k-root%2Fsite-down%2Fsite%3Afra1"/>')
    expect(feed).toContain(`<id>urn:anycast-monitor:incident:k-root%2Fsite-down%2Fsite%3Afra1:${OPENED_AT}</id>`)
    expect(feed).toContain('<title>[Open] Site down · site:fra1 on K-root</title>')
    expect(feed.match(/<entry>/g)).toHaveLength(1)
  })

  it('carries what the network said as escaped text, without control bytes (invalid in XML)', () => {
    expect(feed).not.toContain('<script')
    expect(feed).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f]/)
    expect(feed).toContain('<content type="text">identity &lt;script&gt;alert(1)&lt;/script&gt;\\x00\\x1b')
  })

  it('has an updated time even without entries', () => {
    const empty = renderAtomFeed({ statusPageUrl: 'https://s.example', title: 'S', incidents: [], targetLabels: new Map(), nowMs: OPENED_AT }).markup
    expect(empty).toContain(`<updated>${new Date(OPENED_AT).toISOString()}</updated>`)
  })
})

describe('renderMetrics', () => {
  const observation = (overrides: Partial<Observation> & { text?: string | null } = {}): Observation => {
    const { text = 'fra1', ...rest } = overrides
    return {
      observedAt: OPENED_AT, vantage: 'par', target: 'k-root', address: '192.0.2.1', port: 53, qname: '.', transport: 'udp', outcome: 'ok', rcode: 0,
      rttMs: 12.5, connectMs: null, identity: text === null ? null : { source: 'nsid', hex: '00', text }, site: 'fra', retriedOverTcp: false, ignoredReplies: 0, error: null,
      ...rest,
    }
  }
  const V6 = '2001:db8::1'
  const cycle: CycleRecord = {
    cycleId: 'c', target: 'k-root', startedAt: OPENED_AT, missingVantages: [{ vantage: 'syd', reason: 'runner down' }],
    observations: [
      observation({ text: `${HOSTILE}"} 1\nx 1` }),
      // par lands on ams over IPv6 UDP but on fra over IPv6 TCP: the transports disagree there.
      observation({ address: V6, site: 'ams', rttMs: 20 }),
      observation({ address: V6, transport: 'tcp', site: 'fra', rttMs: 22 }),
      { ...observation({ vantage: 'ber', text: null, rttMs: null, outcome: 'timeout', rcode: null }), site: undefined },
    ],
  }
  const vantages = vantagesNow(cycle, ['par', 'ber', 'syd'].map((id) => ({ id, label: id, region: 'r', latitude: null, longitude: null })), ['ipv4', 'ipv6'])
  const text = renderMetrics([{ target: 'k-root', state: 'degraded', lastCycleAt: OPENED_AT, vantages, openIncidents: [incident({ severity: 'error' })] }])

  it('exposes up, RTT in seconds and site per target, vantage and address family, with HELP and TYPE', () => {
    expect(text).toContain('# TYPE anycast_monitor_vantage_up gauge\n')
    expect(text).toContain('anycast_monitor_vantage_up{target="k-root",vantage="par",family="ipv4"} 1\n')
    expect(text).toContain('anycast_monitor_vantage_up{target="k-root",vantage="par",family="ipv6"} 1\n')
    expect(text).toContain('anycast_monitor_vantage_up{target="k-root",vantage="ber",family="ipv4"} 0\n')
    expect(text).not.toContain('vantage="ber",family="ipv6"')
    expect(text).not.toContain('vantage="syd"')
    expect(text).toContain('anycast_monitor_rtt_seconds{target="k-root",vantage="par",family="ipv4"} 0.0125\n')
    expect(text).toContain('anycast_monitor_rtt_seconds{target="k-root",vantage="par",family="ipv6"} 0.021\n')
    expect(text).toContain('anycast_monitor_vantage_site{target="k-root",vantage="par",family="ipv4",site="fra"} 1\n')
    expect(text).toContain('anycast_monitor_vantage_site{target="k-root",vantage="par",family="ipv6",site="ams"} 1\n')
    expect(text).not.toContain('vantage="par",family="ipv4",site="ams"')
    expect(text).toContain(`anycast_monitor_last_cycle_timestamp_seconds{target="k-root"} ${OPENED_AT / 1000}\n`)
  })

  it('names the transport only where the transports of a family disagree', () => {
    expect(text).toContain('anycast_monitor_transport_site{target="k-root",vantage="par",family="ipv6",transport="udp",site="ams"} 1\n')
    expect(text).toContain('anycast_monitor_transport_site{target="k-root",vantage="par",family="ipv6",transport="tcp",site="fra"} 1\n')
    expect(text).toContain('anycast_monitor_transport_up{target="k-root",vantage="par",family="ipv6",transport="tcp"} 1\n')
    expect(text).not.toMatch(/anycast_monitor_transport_\w+\{[^}]*family="ipv4"/)
  })

  it('counts the vantages that reported: the monitor\'s own coverage', () => {
    expect(text).toContain('anycast_monitor_vantages_reporting{target="k-root"} 2\n')
    expect(text).toContain('anycast_monitor_vantages_configured{target="k-root"} 3\n')
  })

  it('counts open incidents by severity and gives the state as a one-hot gauge', () => {
    expect(text).toContain('anycast_monitor_incidents_open{target="k-root",severity="error"} 1\n')
    expect(text).toContain('anycast_monitor_incidents_open{target="k-root",severity="critical"} 0\n')
    expect(text).toContain('anycast_monitor_target_state{target="k-root",state="degraded"} 1\n')
    expect(text).toContain('anycast_monitor_target_state{target="k-root",state="operational"} 0\n')
  })

  it('keeps a hostile identity inside its label: every line is a comment or one well-formed sample', () => {
    const sample = /^[a-z_]+\{(?:[a-z]+="(?:[^"\\\n]|\\["\\n])*",?)*\} [-\d.e+]+$/
    for (const line of text.trimEnd().split('\n')) expect(line.startsWith('# ') || sample.test(line), line).toBe(true)
    expect(text).toContain('identity="<script>alert(1)</script>\\\\x00\\\\x1b\\"} 1\\nx 1"} 1')
  })
})
