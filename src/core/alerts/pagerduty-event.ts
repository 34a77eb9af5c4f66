// Notification -> PagerDuty Events API v2 body (developer.pagerduty.com, "Send an Alert Event").
// The incident key is the dedup_key, so the resolve closes the alert the trigger opened. PagerDuty has
// no reminder event (its escalation policy re-notifies by itself), so reminders render to null and
// the sink reports them delivered without sending anything.
import type { FindingPaths, Notification, Severity } from '../findings.ts'
import { bgpDetailsObject } from './bgp-details.ts'
import { eventLabel, incidentTitle, incidentUrl, isoTime, truncate, type AlertContext } from './text.ts'

export const PAGERDUTY_DEFAULT_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue'
export const PAGERDUTY_MAX_SUMMARY_CHARS = 1024
export const PAGERDUTY_MAX_DEDUP_KEY_CHARS = 255
/** Keeps custom_details far below the 512 KB event limit however many vantages there are. */
export const PAGERDUTY_MAX_EVIDENCE_ROWS = 100
const CLIENT_NAME = 'anycast-monitor'

export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info'

// One entry per finding severity, so that a new severity cannot compile without a decision here.
const SEVERITY_FOR_PAGERDUTY: Record<Severity, PagerDutySeverity> = {
  critical: 'critical',
  error: 'error',
  warning: 'warning',
  info: 'info',
}

export interface PagerDutyTriggerEvent {
  routing_key: string
  event_action: 'trigger'
  dedup_key: string
  payload: {
    summary: string
    source: string
    severity: PagerDutySeverity
    timestamp: string
    component?: string
    group: string
    class: string
    custom_details: Record<string, unknown>
  }
  client: string
  client_url: string
  links: { href: string; text: string }[]
}

/** acknowledge and resolve carry only the key that names the alert. */
export interface PagerDutyResolveEvent {
  routing_key: string
  event_action: 'resolve'
  dedup_key: string
}

export type PagerDutyEvent = PagerDutyTriggerEvent | PagerDutyResolveEvent

/** The event to send, or null for a notification PagerDuty has no event for (a reminder). */
export function renderPagerDutyEvent(notification: Notification, context: AlertContext, routingKey: string): PagerDutyEvent | null {
  const { incident } = notification
  switch (notification.event) {
    case 'reminder':
      return null
    case 'resolve':
      return { routing_key: routingKey, event_action: 'resolve', dedup_key: incident.key }
    case 'trigger':
      return triggerEvent(notification, context, routingKey)
  }
}

function triggerEvent(notification: Notification, context: AlertContext, routingKey: string): PagerDutyTriggerEvent {
  const { incident } = notification
  const finding = incident.lastFinding
  const statusUrl = incidentUrl(context.statusPageUrl, incident.key)
  const component = finding.evidence.sites.join(', ')
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: incident.key,
    payload: {
      summary: truncate(`[${context.targetLabel}] ${finding.kind}: ${finding.summary}`, PAGERDUTY_MAX_SUMMARY_CHARS),
      source: sourceOf(notification),
      severity: SEVERITY_FOR_PAGERDUTY[incident.severity],
      timestamp: isoTime(notification.at),
      ...(component === '' ? {} : { component }),
      group: incident.target,
      class: incident.kind,
      custom_details: customDetails(notification, context, statusUrl),
    },
    client: CLIENT_NAME,
    client_url: context.statusPageUrl,
    links: [{ href: statusUrl, text: `${eventLabel(notification.event)}: ${incidentTitle(incident, context)} (status page)` }],
  }
}

/** PagerDuty wants "the unique location of the affected system": the anycast addresses the finding is about. */
function sourceOf(notification: Notification): string {
  const { paths, evidence } = notification.incident.lastFinding
  const addresses = paths !== undefined && paths.addresses.length > 0 ? paths.addresses : [...new Set(evidence.latest.map((seen) => seen.address))]
  return addresses.length === 0 ? notification.incident.target : addresses.sort().join(', ')
}

/** Which paths the finding is about: 'all paths', or 'over IPv6' with the families, addresses and transports. */
function pathsDetails(paths: FindingPaths | undefined): Record<string, unknown> {
  if (paths === undefined) return {}
  return { paths: paths.text === '' ? 'all paths' : paths.text, families: paths.families, addresses: paths.addresses, transports: paths.transports }
}

function customDetails(notification: Notification, context: AlertContext, statusUrl: string): Record<string, unknown> {
  const { incident } = notification
  const { evidence } = incident.lastFinding
  const bgp = bgpDetailsObject(evidence.details)
  return {
    summary: incident.lastFinding.summary,
    target: incident.target,
    target_label: context.targetLabel,
    scope: incident.scope,
    ...pathsDetails(incident.lastFinding.paths),
    opened_at: isoTime(incident.openedAt),
    detected_at: isoTime(incident.lastFinding.at),
    last_seen_at: isoTime(incident.lastSeenAt),
    flapping: incident.flapping,
    sites: evidence.sites,
    vantages: evidence.vantages,
    latest: evidence.latest.slice(0, PAGERDUTY_MAX_EVIDENCE_ROWS),
    latest_omitted: Math.max(0, evidence.latest.length - PAGERDUTY_MAX_EVIDENCE_ROWS),
    details: evidence.details,
    ...(bgp === null ? {} : { bgp }),
    notification_id: notification.id,
    status_page: statusUrl,
  }
}
