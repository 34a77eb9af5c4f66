import { describe, expect, it } from 'vitest'
import { deriveTargetState, overallState, troubledSitesOf } from '../../../src/core/status/state.ts'
import { finding, incident, OPENED_AT } from '../../support/notifications.ts'

const HOUR_MS = 3_600_000
const open = (severity: 'critical' | 'error' | 'warning' | 'info', openedAt: number, scope = 'site:fra1') =>
  incident({ severity, openedAt, scope, lastFinding: finding({ severity, scope }), key: `k-root/site-down/${scope}/${openedAt}` })
const resolved = (severity: 'critical' | 'error' | 'warning' | 'info', resolvedAt: number) =>
  incident({ severity, status: 'resolved', resolvedAt, openedAt: resolvedAt - HOUR_MS })

describe('deriveTargetState', () => {
  it('is an outage while a critical incident is open, since the earliest such incident', () => {
    const state = deriveTargetState([open('error', OPENED_AT - HOUR_MS), open('critical', OPENED_AT + HOUR_MS), open('critical', OPENED_AT)], true)
    expect(state.kind).toBe('outage')
    expect(state.since).toBe(OPENED_AT)
    expect(state.causes.map((cause) => cause.openedAt)).toEqual([OPENED_AT, OPENED_AT + HOUR_MS])
  })

  it('is degraded while an error or warning incident is open', () => {
    expect(deriveTargetState([open('warning', OPENED_AT)], true)).toMatchObject({ kind: 'degraded', since: OPENED_AT })
    expect(deriveTargetState([open('error', OPENED_AT)], true)).toMatchObject({ kind: 'degraded', since: OPENED_AT })
  })

  it('stays operational through an informational incident (a catchment shift), since the last real resolve', () => {
    const state = deriveTargetState([open('info', OPENED_AT), resolved('error', OPENED_AT - HOUR_MS), resolved('info', OPENED_AT - 1)], true)
    expect(state).toEqual({ kind: 'operational', since: OPENED_AT - HOUR_MS, causes: [] })
  })

  it('is operational with no known start when no incident is on record', () => {
    expect(deriveTargetState([], true)).toEqual({ kind: 'operational', since: null, causes: [] })
  })

  it('says no data for a target never probed, unless an incident is open', () => {
    expect(deriveTargetState([], false).kind).toBe('no-data')
    expect(deriveTargetState([open('critical', OPENED_AT)], false).kind).toBe('outage')
  })
})

describe('overallState', () => {
  it('is the worst state of the targets, and no data only when no target has data', () => {
    expect(overallState(['operational', 'degraded', 'no-data'])).toBe('degraded')
    expect(overallState(['operational', 'outage', 'degraded'])).toBe('outage')
    expect(overallState(['operational', 'no-data'])).toBe('operational')
    expect(overallState(['no-data'])).toBe('no-data')
    expect(overallState([])).toBe('no-data')
  })
})

describe('troubledSitesOf', () => {
  it('names the sites of open incidents scoped to a site', () => {
    const incidents = [open('error', OPENED_AT, 'site:fra1'), open('warning', OPENED_AT, 'vantage:par'), { ...open('error', OPENED_AT, 'site:ams1'), status: 'resolved' as const }]
    expect([...troubledSitesOf(incidents)]).toEqual(['fra1'])
  })
})
