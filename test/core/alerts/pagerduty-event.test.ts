import { describe, expect, it } from 'vitest'
import {
  PAGERDUTY_MAX_SUMMARY_CHARS,
  renderPagerDutyEvent,
  type PagerDutyTriggerEvent,
} from '../../../src/core/alerts/pagerduty-event.ts'
import type { AlertContext } from '../../../src/core/alerts/text.ts'
import type { Severity } from '../../../src/core/findings.ts'
import { blackHoleWithBgp, evidence, finding, incident, notification, OPENED_AT, resolveOf } from '../../support/notifications.ts'

const context: AlertContext = { statusPageUrl: 'https://status.example.net', targetLabel: 'K-root' }
const ROUTING_KEY = 'R0UT1NGKEY0000000000000000000000'

function trigger(overrides = {}): PagerDutyTriggerEvent {
  return renderPagerDutyEvent(notification(overrides), context, ROUTING_KEY) as PagerDutyTriggerEvent
}

describe('the PagerDuty event', () => {
  it('names the paths of a partial failure: the addresses as its source, and families and transports in its details', () => {
    const paths = { slice: 'ipv6', text: 'over IPv6', families: ['ipv6' as const], addresses: ['2001:db8:53::53'], transports: ['udp' as const, 'tcp' as const] }
    const event = trigger({ incident: incident({ lastFinding: finding({ paths }) }) })
    expect(event.payload.source).toBe('2001:db8:53::53')
    expect(event.payload.custom_details).toMatchObject({ paths: 'over IPv6', families: ['ipv6'], addresses: ['2001:db8:53::53'], transports: ['udp', 'tcp'] })
    const everyPath = trigger({ incident: incident({ lastFinding: finding({ paths: { ...paths, slice: 'all', text: '', families: ['ipv4', 'ipv6'] } }) }) })
    expect(everyPath.payload.custom_details).toMatchObject({ paths: 'all paths' })
  })

  it('triggers with every field of the Events API v2, the incident key as dedup_key', () => {
    const first = notification()
    expect(renderPagerDutyEvent(first, context, ROUTING_KEY)).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: 'k-root/site-down/site:fra1',
      payload: {
        summary: '[K-root] site-down: site fra1 stopped answering: its vantages now reach lhr1 or time out',
        source: '198.51.100.53',
        severity: 'critical',
        timestamp: '2026-11-22T12:00:00.000Z',
        component: 'fra1',
        group: 'k-root',
        class: 'site-down',
        custom_details: {
          summary: 'site fra1 stopped answering: its vantages now reach lhr1 or time out',
          target: 'k-root',
          target_label: 'K-root',
          scope: 'site:fra1',
          opened_at: '2026-11-22T12:00:00.000Z',
          detected_at: '2026-11-22T12:00:00.000Z',
          last_seen_at: '2026-11-22T12:00:00.000Z',
          flapping: false,
          sites: ['fra1'],
          vantages: ['par', 'ams'],
          latest: first.incident.lastFinding.evidence.latest,
          latest_omitted: 0,
          details: { previousSite: 'fra1', cyclesWithoutAnswer: 3 },
          notification_id: first.id,
          status_page: 'https://status.example.net/incidents/k-root%2Fsite-down%2Fsite%3Afra1',
        },
      },
      client: 'anycast-monitor',
      client_url: 'https://status.example.net',
      links: [
        {
          href: 'https://status.example.net/incidents/k-root%2Fsite-down%2Fsite%3Afra1',
          text: 'Triggered: site-down on K-root (status page)',
        },
      ],
    })
  })

  it('resolves with the same dedup_key and nothing but the key fields', () => {
    const opened = notification()
    const resolved = renderPagerDutyEvent(resolveOf(opened, OPENED_AT + 60_000), context, ROUTING_KEY)
    expect(resolved).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: trigger().dedup_key })
  })

  it('has no event for a reminder (PagerDuty re-notifies by its escalation policy)', () => {
    expect(renderPagerDutyEvent(notification({ event: 'reminder' }), context, ROUTING_KEY)).toBeNull()
  })

  it('cuts the summary at 1024 characters', () => {
    const long = finding({ summary: 'x'.repeat(5000) })
    const event = trigger({ incident: incident({ lastFinding: long }) })
    expect(event.payload.summary).toHaveLength(PAGERDUTY_MAX_SUMMARY_CHARS)
    expect(event.payload.summary.endsWith('…')).toBe(true)
    expect(event.payload.summary.startsWith('[K-root] site-down: xxx')).toBe(true)
  })

  it('does not split a surrogate pair when cutting the summary', () => {
    const long = finding({ summary: '🛰'.repeat(1000) })
    const { summary } = trigger({ incident: incident({ lastFinding: long }) }).payload
    expect(summary.length).toBeLessThanOrEqual(PAGERDUTY_MAX_SUMMARY_CHARS)
    expect(summary).not.toMatch(/[\ud800-\udbff]…$/)
  })

  it.each<[Severity]>([['critical'], ['error'], ['warning'], ['info']])('maps severity %s onto the same PagerDuty severity', (severity) => {
    const event = trigger({ incident: incident({ lastFinding: finding({ severity }), severity }) })
    expect(event.payload.severity).toBe(severity)
  })

  it('puts the BGP evidence in custom_details.bgp: route, peer counts, AS paths, community, sources', () => {
    const event = trigger({ incident: incident({ lastFinding: blackHoleWithBgp() }) })
    expect(event.payload.summary).toContain('its route is still announced (named by community 64500:1)')
    expect(event.payload.custom_details['bgp']).toEqual({
      route: 'announced',
      peers_routing_to_site: 2,
      peers_seeing_prefix: 40,
      as_paths: ['3333 64510 64500 (community 64500:1), 1 peer', '1299 64510 64500 (community 64500:1), 1 peer'],
      community: '64500:1',
      sources: ['ripestat 192.0.2.0/24: 2 of 40 peers route to fra1'],
    })
    expect(trigger().payload.custom_details).not.toHaveProperty('bgp')
  })

  it('leaves component out when the finding names no site, and uses the target as source without addresses', () => {
    const siteless = finding({ scope: 'target', evidence: evidence({ sites: [], latest: [] }) })
    const event = trigger({ incident: incident({ lastFinding: siteless }) })
    expect(event.payload).not.toHaveProperty('component')
    expect(event.payload.source).toBe('k-root')
  })
})
