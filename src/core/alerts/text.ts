// Small text helpers shared by the alert renderers: length limits, links, times.
import type { Incident, NotificationEvent } from '../findings.ts'

/** What every renderer needs besides the notification; plain data from the config. */
export interface AlertContext {
  /** Base URL of the public status page, e.g. 'https://status.example.net'. */
  statusPageUrl: string
  /** Human-readable name of the notification's target (the config's label); the id when unknown. */
  targetLabel: string
}

const ELLIPSIS = '…'

/**
 * Cuts `text` to at most `maxChars` UTF-16 code units, ending with '…' when cut. Never splits a
 * surrogate pair: counting code units is the stricter reading of the services' "characters" limits.
 */
export function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text
  let end = Math.max(0, maxChars - ELLIPSIS.length)
  const last = text.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end -= 1
  return text.slice(0, end) + ELLIPSIS
}

/** The incident's page on the status page. The key holds '/', so it is encoded as one path segment. */
export function incidentUrl(statusPageUrl: string, incidentKey: string): string {
  return `${statusPageUrl.replace(/\/+$/, '')}/incidents/${encodeURIComponent(incidentKey)}`
}

/** Epoch ms as an ISO 8601 UTC string, e.g. '2026-11-22T12:00:00.000Z'. */
export function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString()
}

const EVENT_LABELS: Record<NotificationEvent, string> = {
  trigger: 'Triggered',
  reminder: 'Still open',
  resolve: 'Resolved',
}

export function eventLabel(event: NotificationEvent): string {
  return EVENT_LABELS[event]
}

/** 'site-down on K-root': the incident's kind and target, from config and enums only. */
export function incidentTitle(incident: Incident, context: AlertContext): string {
  return `${incident.kind} on ${context.targetLabel}`
}
