import { describe, expect, it } from 'vitest'
import type { Finding, FindingKind, Notification, Severity } from '../../src/core/findings.ts'
import {
  decideIncidents,
  IncidentPolicySettingsSchema,
  initialPolicyState,
  readPolicyState,
  type IncidentPolicySettings,
  type PolicyResult,
  type PolicyState,
  type UncheckedScope,
} from '../../src/core/incident-policy.ts'
import { at, MINUTE_MS, pageCycles, pages } from '../support/cycles.ts'

interface FindingFields {
  kind?: FindingKind
  scope?: string
  severity?: Severity
  summary?: string
  sites?: string[]
  vantages?: string[]
  details?: Finding['evidence']['details']
}

/** A finding made in cycle `index`; a black hole at fra seen by par unless told otherwise. */
function finding(index: number, fields: FindingFields = {}): Finding {
  return {
    kind: fields.kind ?? 'black-hole',
    target: 'lab',
    scope: fields.scope ?? 'site:fra',
    severity: fields.severity ?? 'critical',
    summary: fields.summary ?? 'suspected black hole at fra',
    at: at(index),
    evidence: { sites: fields.sites ?? ['fra'], vantages: fields.vantages ?? ['par'], latest: [], details: fields.details ?? {} },
  }
}

const blackHoleAt = (index: number) => [finding(index)]
const clean = () => []

function policy(input: Record<string, unknown> = {}): IncidentPolicySettings {
  return IncidentPolicySettingsSchema.parse(input)
}

interface Run {
  results: PolicyResult[]
  notifications: Notification[]
  state: PolicyState
}

/** Cycles 0..count-1 through the policy, `now` at each cycle's start, the state through JSON in between. */
function runPolicy(
  count: number,
  findingsAt: (index: number) => Finding[],
  params = policy(),
  unheardAt: (index: number) => string[] = () => [],
): Run {
  let state = initialPolicyState()
  const results: PolicyResult[] = []
  for (let index = 0; index < count; index += 1) {
    const result = decideIncidents({ state, findings: findingsAt(index), now: at(index), params, unheardVantages: unheardAt(index) })
    state = readPolicyState(JSON.parse(JSON.stringify(result.state)))
    results.push(result)
  }
  return { results, notifications: results.flatMap((result) => result.notifications), state }
}

describe('incident policy: opening and resolving', () => {
  it('opens an incident on the 2nd failing cycle, not the 1st', () => {
    const run = runPolicy(2, blackHoleAt)
    expect(run.results[0]?.notifications).toEqual([])
    expect(pages(run.notifications)).toEqual(['trigger black-hole site:fra'])
    expect(run.results[1]?.incidents).toEqual([
      expect.objectContaining({ key: 'lab/black-hole/site:fra', status: 'open', openedAt: at(1), flapping: false }),
    ])
  })

  it('resolves after 2 clean cycles in a row, with a resolve notification', () => {
    const run = runPolicy(6, (index) => (index < 3 ? blackHoleAt(index) : clean()))
    expect(pages(run.notifications)).toEqual(['trigger black-hole site:fra', 'resolve black-hole site:fra'])
    expect(pageCycles(run.notifications)).toEqual([1, 4])
    expect(run.notifications[1]?.incident).toMatchObject({ status: 'resolved', resolvedAt: at(4), lastSeenAt: at(2) })
  })

  it('keeps one incident open for a finding that comes every other cycle, instead of never opening', () => {
    const run = runPolicy(20, (index) => (index % 2 === 0 ? blackHoleAt(index) : clean()))
    expect(pages(run.notifications)).toEqual(['trigger black-hole site:fra'])
    expect(pageCycles(run.notifications)).toEqual([2])
  })

  it('forgets a single failing cycle after resolveAfterCycles clean ones', () => {
    const run = runPolicy(8, (index) => (index === 0 || index === 3 ? blackHoleAt(index) : clean()))
    expect(run.notifications).toEqual([])
    expect(run.state.tracks).toEqual({})
  })

  it('makes one incident of several findings with the same key, and keeps its highest severity', () => {
    const run = runPolicy(3, (index) => [
      finding(index, { severity: index === 1 ? 'critical' : 'error' }),
      finding(index, { severity: 'warning' }),
    ])
    expect(run.results[2]?.incidents.map((incident) => [incident.key, incident.severity])).toEqual([['lab/black-hole/site:fra', 'critical']])
  })

  it('records what changed on the incident timeline', () => {
    const run = runPolicy(5, (index) =>
      index < 3 ? [finding(index, { summary: index < 2 ? 'par fails' : 'par and lon fail' })] : clean(),
    )
    expect(run.results[4]?.incidents[0]?.updates).toEqual([
      { at: at(1), text: 'opened: par fails' },
      { at: at(2), text: 'par and lon fail' },
      { at: at(4), text: 'resolved' },
    ])
  })
})

describe('incident policy: vantages that did not report', () => {
  it('holds an open incident while every vantage it is about is unheard: no data is not a clean cycle', () => {
    const run = runPolicy(
      8,
      (index) => (index < 2 ? blackHoleAt(index) : clean()),
      policy(),
      (index) => (index >= 2 && index < 6 ? ['par'] : []),
    )
    expect(pages(run.notifications)).toEqual(['trigger black-hole site:fra', 'resolve black-hole site:fra'])
    expect(pageCycles(run.notifications)).toEqual([1, 7])
  })

  it('does not count an unheard cycle as failing either', () => {
    const params = policy({ openAfterCycles: 2, resolveAfterCycles: 1 })
    const withGap = runPolicy(3, (index) => (index === 1 ? clean() : blackHoleAt(index)), params, (index) => (index === 1 ? ['par'] : []))
    const withClean = runPolicy(3, (index) => (index === 1 ? clean() : blackHoleAt(index)), params)
    expect(pageCycles(withGap.notifications)).toEqual([2])
    expect(withClean.notifications).toEqual([])
  })
})

describe('incident policy: reminders', () => {
  it('reminds every reminderMinutes while the incident stays open', () => {
    const run = runPolicy(130, blackHoleAt, policy({ reminderMinutes: 60 }))
    expect(pages(run.notifications)).toEqual(['trigger black-hole site:fra', 'reminder black-hole site:fra', 'reminder black-hole site:fra'])
    expect(pageCycles(run.notifications)).toEqual([1, 61, 121])
    expect(run.notifications.map((notification) => notification.id)).toEqual([
      `lab/black-hole/site:fra|${at(1)}|trigger|0`,
      `lab/black-hole/site:fra|${at(1)}|reminder|1`,
      `lab/black-hole/site:fra|${at(1)}|reminder|2`,
    ])
  })

  it('sends no reminders with reminderMinutes 0', () => {
    expect(pages(runPolicy(130, blackHoleAt, policy({ reminderMinutes: 0 })).notifications)).toEqual(['trigger black-hole site:fra'])
  })
})

describe('incident policy: maintenance windows', () => {
  const window = (fromCycle: number, toCycle: number, extra: Record<string, unknown> = {}) => ({ start: at(fromCycle), end: at(toCycle), ...extra })

  it('mutes the trigger during the window and announces the incident when the window ends', () => {
    const run = runPolicy(15, blackHoleAt, policy({ maintenance: [window(0, 10, { reason: 'router swap' })] }))
    expect(pages(run.notifications)).toEqual(['trigger black-hole site:fra'])
    expect(pageCycles(run.notifications)).toEqual([10])
    expect(run.notifications[0]?.incident.updates.map((update) => update.text)).toEqual([
      'opened: suspected black hole at fra',
      'in maintenance (router swap): not announced',
      'maintenance over: announced',
    ])
  })

  it('mutes reminders during the window, without making them up afterwards', () => {
    const run = runPolicy(130, blackHoleAt, policy({ maintenance: [window(30, 100)] }))
    expect(pageCycles(run.notifications)).toEqual([1, 121])
    expect(run.notifications[1]?.id).toBe(`lab/black-hole/site:fra|${at(1)}|reminder|2`)
  })

  it('sends nothing for an incident that opens and resolves inside the window', () => {
    const run = runPolicy(12, (index) => (index < 4 ? blackHoleAt(index) : clean()), policy({ maintenance: [window(0, 10)] }))
    expect(run.notifications).toEqual([])
    expect(run.results[5]?.incidents).toEqual([expect.objectContaining({ status: 'resolved' })])
  })

  it('still sends the resolve of an incident announced before the window', () => {
    const run = runPolicy(12, (index) => (index < 6 ? blackHoleAt(index) : clean()), policy({ maintenance: [window(5, 20)] }))
    expect(pages(run.notifications)).toEqual(['trigger black-hole site:fra', 'resolve black-hole site:fra'])
    expect(pageCycles(run.notifications)).toEqual([1, 7])
  })

  it('mutes only the listed sites and targets of a window', () => {
    const findingsAt = (index: number) => [finding(index), finding(index, { scope: 'site:ber', sites: ['ber'] })]
    const siteWindow = runPolicy(3, findingsAt, policy({ maintenance: [window(0, 10, { sites: ['fra'] })] }))
    const otherTarget = runPolicy(3, findingsAt, policy({ maintenance: [window(0, 10, { targets: ['k-root'] })] }))
    expect(pages(siteWindow.notifications)).toEqual(['trigger black-hole site:ber'])
    expect(otherTarget.notifications).toHaveLength(2)
  })

  it('mutes a vantage-scoped incident when one of its sites is in maintenance, a target-wide one only when all are', () => {
    const findingsAt = (index: number) => [
      finding(index, { kind: 'catchment-shift', scope: 'vantage:par', severity: 'info', sites: ['fra', 'ams'] }),
      finding(index, { kind: 'outage', scope: 'target', sites: ['fra', 'ber'], vantages: ['par', 'lon'] }),
    ]
    const run = runPolicy(3, findingsAt, policy({ maintenance: [window(0, 10, { sites: ['fra'] })] }))
    expect(pages(run.notifications)).toEqual(['trigger outage target'])
  })

  it('accepts ISO 8601 times and rejects a window that ends before it starts', () => {
    const parsed = policy({ maintenance: [{ start: '2026-01-05T12:00:00Z', end: '2026-01-05T14:00:00+01:00' }] })
    expect(parsed.maintenance).toEqual([{ start: at(0), end: at(60) }])
    const backwards = IncidentPolicySettingsSchema.safeParse({ maintenance: [{ start: at(10), end: at(0) }] })
    expect(backwards.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([['maintenance.0.end', 'end must be after start']])
    expect(IncidentPolicySettingsSchema.safeParse({ maintenance: [{ start: 'tomorrow', end: at(0) }] }).success).toBe(false)
  })
})

describe('incident policy: flapping', () => {
  const onOff = (index: number) => (index % 4 < 2 && index < 20 ? blackHoleAt(index) : clean())

  it('holds an incident that reopens within the damping window open until it has been quiet that long', () => {
    const run = runPolicy(60, onOff, policy({ dampingWindowMinutes: 30 }))
    expect(pages(run.notifications)).toEqual([
      'trigger black-hole site:fra',
      'resolve black-hole site:fra',
      'trigger black-hole site:fra',
      'resolve black-hole site:fra',
    ])
    expect(pageCycles(run.notifications)).toEqual([1, 3, 5, 47])
    expect(run.notifications[2]?.incident.flapping).toBe(true)
  })

  it('storms without damping (the behaviour damping prevents)', () => {
    expect(runPolicy(60, onOff, policy({ dampingWindowMinutes: 0 })).notifications).toHaveLength(10)
  })

  it('does not open shift incidents for a vantage whose flapping incident is open or found this cycle', () => {
    const run = runPolicy(6, (index) => [
      finding(index, { kind: 'catchment-flapping', scope: 'vantage:par', severity: 'info', sites: ['fra', 'ams'] }),
      finding(index, { kind: 'catchment-shift', scope: 'vantage:par', severity: 'info', sites: ['fra', 'ams'] }),
      finding(index, { kind: 'catchment-shift', scope: 'vantage:ber', severity: 'info', sites: ['ber', 'ams'], vantages: ['ber'] }),
    ])
    expect(pages(run.notifications)).toEqual(['trigger catchment-flapping vantage:par', 'trigger catchment-shift vantage:ber'])
  })

  it('lets target-wide flapping absorb per-vantage flapping, shifts and site-down findings', () => {
    const run = runPolicy(6, (index) => [
      finding(index, { kind: 'catchment-flapping', scope: 'target', severity: 'warning', sites: ['fra', 'ams'], vantages: ['par', 'lon'] }),
      finding(index, { kind: 'catchment-flapping', scope: 'vantage:par', severity: 'info' }),
      finding(index, { kind: 'catchment-shift', scope: 'vantage:lon', severity: 'info', vantages: ['lon'] }),
      finding(index, { kind: 'site-down', scope: 'site:fra', severity: 'error', vantages: ['par', 'lon'] }),
      finding(index, { kind: 'black-hole', scope: 'site:ber', vantages: ['sin'] }),
    ])
    expect(pages(run.notifications)).toEqual(['trigger black-hole site:ber', 'trigger catchment-flapping target'])
  })
})

describe('incident policy: flapping and failovers', () => {
  it("absorbs site-down's clean failover like a site-down finding, but not the black hole's failover of failing vantages", () => {
    const run = runPolicy(6, (index) => [
      finding(index, { kind: 'catchment-flapping', scope: 'target', severity: 'warning', sites: ['fra', 'ams'], vantages: ['par', 'lon'] }),
      finding(index, { kind: 'failover', scope: 'site:fra', severity: 'warning', vantages: ['par', 'lon'], details: { confirmed: true } }),
      finding(index, { kind: 'failover', scope: 'site:ber', severity: 'warning', vantages: ['sin'], details: { confirmed: false } }),
    ])
    expect(pages(run.notifications)).toEqual(['trigger catchment-flapping target', 'trigger failover site:ber'])
  })
})

describe('incident policy: one incident per cause', () => {
  const failover = (index: number) =>
    finding(index, { kind: 'failover', severity: 'warning', summary: 'fra is withdrawn from BGP and its vantages moved: par to ams: clean failover', details: { confirmed: true } })
  const shift = (index: number) =>
    finding(index, {
      kind: 'catchment-shift',
      scope: 'vantage:par',
      severity: 'info',
      summary: 'par moved from fra to ams (RTT 12 ms → 31 ms), on ams for 3 cycles',
      sites: ['fra', 'ams'],
      details: { fromSites: ['fra'], toSites: ['ams'] },
    })

  it('continues a black hole as the same incident when the site goes on to fail over: one trigger, one resolve', () => {
    const run = runPolicy(12, (index) => (index < 4 ? blackHoleAt(index) : index < 9 ? [failover(index)] : clean()))
    expect(pages(run.notifications)).toEqual(['trigger black-hole site:fra', 'resolve black-hole site:fra'])
    const resolved = run.results.flatMap((result) => result.incidents).find((incident) => incident.status === 'resolved')
    expect(resolved).toMatchObject({ severity: 'critical', lastFinding: { kind: 'failover' } })
    expect(resolved?.updates.map((update) => update.text)).toContain('fra is withdrawn from BGP and its vantages moved: par to ams: clean failover')
  })

  it('makes one incident of a site-down and a black hole of the same site in one cycle, the most severe, noting the other', () => {
    const siteDown = (index: number) => finding(index, { kind: 'site-down', severity: 'error', summary: 'fra answers none of the vantages it served' })
    const run = runPolicy(3, (index) => [siteDown(index), ...blackHoleAt(index)])
    expect(pages(run.notifications)).toEqual(['trigger black-hole site:fra'])
    expect(run.results[1]?.incidents[0]?.lastFinding.evidence.details['alsoFound']).toEqual(['site-down: fra answers none of the vantages it served'])
  })

  it("takes a vantage's shift away from a site with a finding as that site's evidence, not an incident of its own", () => {
    const run = runPolicy(5, (index) => [failover(index), ...(index >= 2 ? [shift(index)] : [])])
    expect(pages(run.notifications)).toEqual(['trigger failover site:fra'])
    expect(run.results[3]?.incidents[0]?.lastFinding.evidence.details['alsoFound']).toEqual([
      'catchment-shift: par moved from fra to ams (RTT 12 ms → 31 ms), on ams for 3 cycles',
    ])
  })

  it('still pages a shift away from a site nothing is wrong with', () => {
    expect(pages(runPolicy(3, (index) => [shift(index)]).notifications)).toEqual(['trigger catchment-shift vantage:par'])
  })

  it('keeps sites apart: a black hole at fra and a failover at ams are two incidents', () => {
    const amsFailover = (index: number) => finding(index, { kind: 'failover', scope: 'site:ams', severity: 'warning', sites: ['ams'] })
    const run = runPolicy(2, (index) => [...blackHoleAt(index), amsFailover(index)])
    expect(pages(run.notifications)).toEqual(['trigger black-hole site:fra', 'trigger failover site:ams'])
  })
})

describe('incident policy: overlapping runs', () => {
  it('gives the same notification ids when two runs compute the same transition from the same stored state', () => {
    const stored = JSON.stringify(runPolicy(1, blackHoleAt).state)
    const decide = (now: number) =>
      decideIncidents({ state: readPolicyState(JSON.parse(stored)), findings: blackHoleAt(1), now, params: policy() })
    const first = decide(at(1))
    const second = decide(at(1) + 2_500)
    expect(first.notifications.map((notification) => notification.id)).toEqual([`lab/black-hole/site:fra|${at(1)}|trigger|0`])
    expect(second.notifications.map((notification) => notification.id)).toEqual(first.notifications.map((notification) => notification.id))
  })
})

describe('incident policy: state', () => {
  it('is plain JSON with a schemaVersion, and survives a round trip unchanged', () => {
    const { state } = runPolicy(3, blackHoleAt)
    expect(state.schemaVersion).toBe(1)
    expect(JSON.parse(JSON.stringify(state))).toEqual(state)
    expect(Object.keys(state.tracks)).toEqual(['lab/black-hole/site:fra'])
  })

  it('starts empty when nothing was stored, and refuses a state of an unknown version', () => {
    expect(readPolicyState(null)).toEqual({ schemaVersion: 1, tracks: {} })
    expect(() => readPolicyState({ schemaVersion: 99, tracks: {} })).toThrow(/schemaVersion 99/)
  })

  it('forgets a resolved key once the damping window has passed', () => {
    const run = runPolicy(40, (index) => (index < 3 ? blackHoleAt(index) : clean()), policy({ dampingWindowMinutes: 30 }))
    expect(run.results[20]?.state.tracks).not.toEqual({})
    expect(run.state.tracks).toEqual({})
  })
})

describe('IncidentPolicySettingsSchema', () => {
  it('defaults to open after 2, resolve after 2, remind every 60 minutes, damp for 30 minutes, no maintenance', () => {
    expect(policy()).toEqual({ openAfterCycles: 2, resolveAfterCycles: 2, reminderMinutes: 60, dampingWindowMinutes: 30, maintenance: [] })
    expect(MINUTE_MS).toBe(60_000)
  })
})

describe('incident policy: findings that could not be made', () => {
  const PREFIX_SCOPE = 'prefix:192.0.2.0/24'
  const visibilityLoss = (index: number, scope = PREFIX_SCOPE, source = 'ripestat'): Finding => {
    const made = finding(index, { kind: 'bgp-visibility-loss', scope, severity: 'error', summary: '192.0.2.0/24 is seen by 3 of 40 peers', sites: [], vantages: [] })
    return { ...made, evidence: { ...made.evidence, details: { prefix: '192.0.2.0/24', source } } }
  }
  const ripestatDown: UncheckedScope = { kind: 'bgp-visibility-loss', scope: PREFIX_SCOPE, source: 'ripestat', reason: 'ripestat is unavailable: HTTP 500' }

  function runWithUnchecked(count: number, findingsAt: (index: number) => Finding[], uncheckedAt: (index: number) => UncheckedScope[]): Run {
    let state = initialPolicyState()
    const results: PolicyResult[] = []
    for (let index = 0; index < count; index += 1) {
      const result = decideIncidents({ state, findings: findingsAt(index), now: at(index), params: policy(), unchecked: uncheckedAt(index) })
      state = readPolicyState(JSON.parse(JSON.stringify(result.state)))
      results.push(result)
    }
    return { results, notifications: results.flatMap((result) => result.notifications), state }
  }

  it('holds an open BGP incident while its source cannot check it: neither resolved nor re-triggered', () => {
    const run = runWithUnchecked(
      9,
      (index) => (index < 2 ? [visibilityLoss(index)] : []),
      (index) => (index >= 2 && index < 7 ? [ripestatDown] : []),
    )
    expect(pages(run.notifications)).toEqual(['trigger bgp-visibility-loss prefix:192.0.2.0/24', 'resolve bgp-visibility-loss prefix:192.0.2.0/24'])
    expect(pageCycles(run.notifications)).toEqual([1, 8])
  })

  it('continues the same incident when the finding comes back after the source was down', () => {
    const run = runWithUnchecked(
      8,
      (index) => (index < 2 || index >= 6 ? [visibilityLoss(index)] : []),
      (index) => (index >= 2 && index < 6 ? [ripestatDown] : []),
    )
    expect(pages(run.notifications)).toEqual(['trigger bgp-visibility-loss prefix:192.0.2.0/24'])
    expect(run.results[7]?.incidents[0]).toMatchObject({ openedAt: at(1), status: 'open', lastSeenAt: at(7) })
  })

  it('covers the narrower scopes of the prefix, and only findings made from the source that is down', () => {
    const upstream = `${PREFIX_SCOPE}@upstream:AS64511`
    const fromOther = (index: number) => visibilityLoss(index, PREFIX_SCOPE, 'lg')
    const run = runWithUnchecked(
      5,
      (index) => (index < 2 ? [visibilityLoss(index, upstream), fromOther(index)] : []),
      (index) => (index >= 2 ? [ripestatDown] : []),
    )
    expect(pages(run.notifications)).toEqual([
      `trigger bgp-visibility-loss ${PREFIX_SCOPE}`,
      `trigger bgp-visibility-loss ${upstream}`,
      `resolve bgp-visibility-loss ${PREFIX_SCOPE}`,
    ])
    expect(run.state.tracks[`lab/bgp-visibility-loss/${upstream}`]?.incident?.status).toBe('open')
  })

  it('does not hold other kinds, or the same kind about another prefix', () => {
    const otherPrefix = visibilityLoss(0, 'prefix:198.51.100.0/24')
    const run = runWithUnchecked(
      5,
      (index) => (index < 2 ? [finding(index), { ...otherPrefix, at: at(index) }] : []),
      () => [ripestatDown],
    )
    expect(pages(run.notifications).filter((page) => page.startsWith('resolve'))).toEqual([
      'resolve bgp-visibility-loss prefix:198.51.100.0/24',
      'resolve black-hole site:fra',
    ])
  })
})
