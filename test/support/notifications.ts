// Tiny builders for findings, incidents and notifications: each takes only what a test cares about.
import type { Finding, FindingEvidence, Incident, Notification } from '../../src/core/findings.ts'

export const OPENED_AT = Date.UTC(2026, 10, 22, 12, 0, 0)

export function evidence(overrides: Partial<FindingEvidence> = {}): FindingEvidence {
  return {
    sites: ['fra1'],
    vantages: ['par', 'ams'],
    latest: [
      { vantage: 'par', outcome: 'timeout', site: null, rttMs: null, transport: 'udp', address: '198.51.100.53' },
      { vantage: 'ams', outcome: 'ok', site: 'lhr1', rttMs: 12.5, transport: 'udp', address: '198.51.100.53' },
    ],
    details: { previousSite: 'fra1', cyclesWithoutAnswer: 3 },
    ...overrides,
  }
}

export function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    kind: 'site-down',
    target: 'k-root',
    scope: 'site:fra1',
    severity: 'critical',
    summary: 'site fra1 stopped answering: its vantages now reach lhr1 or time out',
    at: OPENED_AT,
    evidence: evidence(),
    ...overrides,
  }
}

export function incident(overrides: Partial<Incident> = {}): Incident {
  const lastFinding = overrides.lastFinding ?? finding()
  return {
    key: `${lastFinding.target}/${lastFinding.kind}/${lastFinding.scope}`,
    kind: lastFinding.kind,
    target: lastFinding.target,
    scope: lastFinding.scope,
    severity: lastFinding.severity,
    status: 'open',
    openedAt: OPENED_AT,
    resolvedAt: null,
    lastSeenAt: lastFinding.at,
    flapping: false,
    lastFinding,
    updates: [{ at: OPENED_AT, text: 'opened' }],
    ...overrides,
  }
}

export function notification(overrides: Partial<Notification> = {}): Notification {
  const subject = overrides.incident ?? incident()
  const event = overrides.event ?? 'trigger'
  return { id: `${subject.key}@${subject.openedAt}:${event}`, event, incident: subject, at: OPENED_AT, ...overrides }
}

/** The resolve that follows `trigger`: same incident, resolved later. */
export function resolveOf(trigger: Notification, resolvedAt: number): Notification {
  const resolved: Incident = { ...trigger.incident, status: 'resolved', resolvedAt }
  return notification({ id: `${resolved.key}@${resolved.openedAt}:resolve`, event: 'resolve', incident: resolved, at: resolvedAt })
}

/** A confirmed black hole at fra1 as the monitor joins it with BGP: the path and community naming the site, peer counts. */
export function blackHoleWithBgp(): Finding {
  return finding({
    kind: 'black-hole',
    summary: 'black hole at fra1: par gets no answer (timeout) while 1 other vantage does; its route is still announced (named by community 64500:1)',
    evidence: evidence({
      details: {
        bgp: 'announced',
        confirmed: true,
        failingCycles: 2,
        bgpSources: ['ripestat 192.0.2.0/24: 2 of 40 peers route to fra1'],
        bgpPeersSeeing: 2,
        bgpPeersTotal: 40,
        bgpPaths: ['3333 64510 64500 (community 64500:1), 1 peer', '1299 64510 64500 (community 64500:1), 1 peer'],
        bgpCommunity: '64500:1',
        bgpUpstream: null,
      },
    }),
  })
}
