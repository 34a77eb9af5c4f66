// The incident policy: from one cycle's findings to incidents and notifications, with all its memory
// in a plain JSON state that the store keeps between cycles.
//
// Per incident key (target/kind/scope) it keeps a track:
// - An episode starts with a cycle that has the finding. The incident opens once the episode counts
//   openAfterCycles cycles with the finding, and the episode ends after resolveAfterCycles clean
//   cycles in a row (resolving the incident if it opened). So a finding that comes every other cycle
//   opens one incident and keeps it open, instead of never opening.
// - "No data" holds: a cycle without the finding, in which every vantage its last finding named did not
//   report, counts as neither failing nor clean. The same for a finding that could not be made this
//   cycle (`unchecked`: a BGP source stale or unavailable): its absence is no recovery, and a later
//   finding continues the same incident instead of opening a new one.
// - Flapping is damped twice. Catchment flapping absorbs the findings it explains: while a flapping
//   finding or incident covers a vantage (or the whole target), that vantage's shift findings, the
//   target's site-down findings and clean failovers (site-down's, with BGP) whose vantages all flap,
//   and (for target-wide flapping) per-vantage flapping findings count as absent. And an incident that
//   reopens within dampingWindowMinutes of its previous resolve is marked flapping and resolves only
//   once its finding has been absent for the whole damping window (and resolveAfterCycles cycles).
// - Maintenance mutes triggers and reminders of the incidents a window covers; the incidents are still
//   opened and resolved. One opened during maintenance is announced when the window ends, if it is
//   still open; one that resolves before then was never announced and gets no resolve either. A resolve
//   always goes out for an incident that was announced, in maintenance or not: a page that was sent
//   must be closed.
// - Reminders: every reminderMinutes after the trigger while open. One that falls due in maintenance
//   is skipped, not sent when the window ends; reminders are numbered by periods since the trigger.
// - Notification ids are `${key}|${openedAt}|${event}|${sequence}`, where openedAt is the startedAt of
//   the cycle that opened the incident. Two runs that compute the same transition from the same stored
//   state produce the same ids, whatever their clocks, and the outbox keeps one copy.
import { z } from 'zod'
import { compareText, uniqueSorted } from './catchment.ts'
import type { Finding, FindingKind, Incident, Notification, NotificationEvent, Severity } from './findings.ts'
import { maintenanceAt, MaintenanceWindowSchema, type MaintenanceWindow } from './maintenance.ts'

const MS_PER_MINUTE = 60_000
const MAX_INCIDENT_UPDATES = 50

export const IncidentPolicySettingsSchema = z
  .strictObject({
    openAfterCycles: z
      .number()
      .int()
      .min(1)
      .max(1_000)
      .default(2)
      .describe('Cycles with a finding (without resolveAfterCycles clean cycles in between) that open its incident.'),
    resolveAfterCycles: z
      .number()
      .int()
      .min(1)
      .max(1_000)
      .default(2)
      .describe('Clean cycles in a row that resolve an open incident.'),
    reminderMinutes: z
      .number()
      .int()
      .min(0)
      .max(10_080)
      .default(60)
      .describe('Minutes between reminders while an incident stays open; 0 sends none.'),
    dampingWindowMinutes: z
      .number()
      .int()
      .min(0)
      .max(10_080)
      .default(30)
      .describe(
        'An incident that reopens within this many minutes of resolving is flapping: it then resolves only after its ' +
          'finding has been absent this long. 0 turns damping off.',
      ),
    maintenance: z.array(MaintenanceWindowSchema).default([]).describe('Maintenance windows: no triggers or reminders inside them.'),
  })
  .describe('When findings open and resolve incidents, and what gets notified.')

export type IncidentPolicySettings = z.output<typeof IncidentPolicySettingsSchema>

export const POLICY_STATE_SCHEMA_VERSION = 1

/** The policy's memory for one incident key. */
export interface Track {
  key: string
  /** Cycles with the finding in the current episode. */
  failingCycles: number
  /** Clean cycles in a row. */
  cleanCycles: number
  lastFinding: Finding
  /** The open incident, or null while the episode has not opened one (or between episodes). */
  incident: Incident | null
  /** When the trigger went out; null until then (not yet opened, or muted by maintenance). */
  announcedAt: number | null
  /** Sequence number of the last reminder sent for the open incident. */
  remindersSent: number
  /** When the key's last incident resolved, for damping. */
  lastResolvedAt: number | null
  /** When maintenance first held back this incident's trigger; null otherwise. */
  mutedAt: number | null
}

/** The policy's whole state for a target: plain JSON, stored as one document. */
export interface PolicyState {
  schemaVersion: typeof POLICY_STATE_SCHEMA_VERSION
  tracks: Record<string, Track>
}

export function initialPolicyState(): PolicyState {
  return { schemaVersion: POLICY_STATE_SCHEMA_VERSION, tracks: {} }
}

/** The stored document as a state: nothing stored yet gives the initial state; an unknown version throws. */
export function readPolicyState(stored: unknown): PolicyState {
  if (stored === null || stored === undefined) return initialPolicyState()
  const candidate = stored as Partial<PolicyState>
  if (candidate.schemaVersion !== POLICY_STATE_SCHEMA_VERSION || typeof candidate.tracks !== 'object' || candidate.tracks === null) {
    throw new Error(`incident policy state has schemaVersion ${String(candidate.schemaVersion)}; expected ${POLICY_STATE_SCHEMA_VERSION}`)
  }
  return stored as PolicyState
}

export function incidentKey(finding: Pick<Finding, 'target' | 'kind' | 'scope'>): string {
  return `${finding.target}/${finding.kind}/${finding.scope}`
}

export function notificationId(incident: Pick<Incident, 'key' | 'openedAt'>, event: NotificationEvent, sequence: number): string {
  return `${incident.key}|${incident.openedAt}|${event}|${sequence}`
}

/** Findings that could not be made this cycle, and why: incidents they would keep open are held. */
export interface UncheckedScope {
  kind: FindingKind
  /** Matches a finding's scope when equal, or when the scope continues with '@' ('prefix:P' covers 'prefix:P@upstream:AS1'). */
  scope: string
  /** When set, only findings made from this source's data (details.source) are held. */
  source?: string
  reason: string
}

export interface PolicyInput {
  state: PolicyState
  /** Every finding of the cycle, for one target. */
  findings: readonly Finding[]
  now: number
  params: IncidentPolicySettings
  /** Vantages that did not report this cycle: incidents about them alone are held, not counted clean. */
  unheardVantages?: readonly string[]
  /** Findings that could not be made this cycle: incidents about them are held, not counted clean. */
  unchecked?: readonly UncheckedScope[]
}

export interface PolicyResult {
  state: PolicyState
  /** Incidents opened, updated or resolved this cycle. */
  incidents: Incident[]
  notifications: Notification[]
}

interface Context {
  now: number
  params: IncidentPolicySettings
  unheard: ReadonlySet<string>
  unchecked: readonly UncheckedScope[]
}

interface Step {
  track: Track | null
  /** The incident this step opened, changed or resolved. */
  touched: Incident | null
  notifications: Notification[]
}

export function decideIncidents(input: PolicyInput): PolicyResult {
  const context: Context = { now: input.now, params: input.params, unheard: new Set(input.unheardVantages ?? []), unchecked: input.unchecked ?? [] }
  const active = activeFindings(input.findings, input.state)
  const keys = uniqueSorted([...Object.keys(input.state.tracks), ...active.keys()])
  const state = initialPolicyState()
  const incidents: Incident[] = []
  const notifications: Notification[] = []
  for (const key of keys) {
    const step = stepTrack(key, input.state.tracks[key], active.get(key), context)
    if (step.track !== null) state.tracks[key] = step.track
    if (step.touched !== null) incidents.push(step.touched)
    notifications.push(...step.notifications)
  }
  return { state, incidents, notifications }
}

function stepTrack(key: string, previous: Track | undefined, finding: Finding | undefined, context: Context): Step {
  const step = transition(key, previous, finding, context)
  return step.track?.incident ? announce(step, step.track, step.track.incident, context) : step
}

/** Counts the cycle as failing, clean or no data, opening or resolving the incident on the way. */
function transition(key: string, previous: Track | undefined, finding: Finding | undefined, context: Context): Step {
  if (finding !== undefined) return onFailing(previous ?? newTrack(key, finding), finding, context)
  if (previous === undefined) return { track: null, touched: null, notifications: [] }
  if (isHeld(previous, context)) return { track: previous, touched: null, notifications: [] }
  return onClean(previous, context)
}

/** Every vantage the last finding named is unheard, or its finding could not be made: no data, so nothing changes. */
function isHeld(track: Track, context: Context): boolean {
  const vantages = track.lastFinding.evidence.vantages
  const unheard = vantages.length > 0 && vantages.every((vantage) => context.unheard.has(vantage))
  return unheard || context.unchecked.some((entry) => uncheckedCovers(entry, track.lastFinding))
}

/** The unchecked entry is about this finding: same kind, same or a narrower scope, same source when it names one. */
export function uncheckedCovers(entry: UncheckedScope, finding: Pick<Finding, 'kind' | 'scope' | 'evidence'>): boolean {
  if (entry.kind !== finding.kind) return false
  if (finding.scope !== entry.scope && !finding.scope.startsWith(`${entry.scope}@`)) return false
  return entry.source === undefined || finding.evidence.details['source'] === entry.source
}

function onFailing(base: Track, finding: Finding, context: Context): Step {
  const track: Track = { ...base, failingCycles: base.failingCycles + 1, cleanCycles: 0, lastFinding: finding }
  if (track.incident !== null) {
    track.incident = updateIncident(track.incident, finding)
    return { track, touched: track.incident, notifications: [] }
  }
  if (track.failingCycles < context.params.openAfterCycles) return { track, touched: null, notifications: [] }
  track.incident = openIncident(track, finding, context)
  return { track, touched: track.incident, notifications: [] }
}

function onClean(previous: Track, context: Context): Step {
  const track: Track = { ...previous, cleanCycles: previous.cleanCycles + 1 }
  if (track.cleanCycles < context.params.resolveAfterCycles) return { track, touched: null, notifications: [] }
  if (track.incident === null) return { track: retire({ ...track, failingCycles: 0 }, context), touched: null, notifications: [] }
  const dampingMs = context.params.dampingWindowMinutes * MS_PER_MINUTE
  if (track.incident.flapping && context.now - track.incident.lastSeenAt < dampingMs) return { track, touched: null, notifications: [] }
  return resolve(track, track.incident, context)
}

function resolve(track: Track, open: Incident, context: Context): Step {
  const incident: Incident = { ...open, status: 'resolved', resolvedAt: context.now, updates: withUpdate(open.updates, context.now, 'resolved') }
  const notifications = track.announcedAt === null ? [] : [notificationOf(incident, 'resolve', 0, context.now)]
  const next: Track = { ...track, incident: null, failingCycles: 0, announcedAt: null, remindersSent: 0, mutedAt: null, lastResolvedAt: context.now }
  return { track: retire(next, context), touched: incident, notifications }
}

/** Forget a quiet key, unless it resolved recently enough that a reopening would count as flapping. */
function retire(track: Track, context: Context): Track | null {
  const dampingMs = context.params.dampingWindowMinutes * MS_PER_MINUTE
  return track.lastResolvedAt !== null && context.now - track.lastResolvedAt < dampingMs ? track : null
}

function newTrack(key: string, finding: Finding): Track {
  return {
    key,
    failingCycles: 0,
    cleanCycles: 0,
    lastFinding: finding,
    incident: null,
    announcedAt: null,
    remindersSent: 0,
    lastResolvedAt: null,
    mutedAt: null,
  }
}

function openIncident(track: Track, finding: Finding, context: Context): Incident {
  const dampingMs = context.params.dampingWindowMinutes * MS_PER_MINUTE
  const flapping = track.lastResolvedAt !== null && context.now - track.lastResolvedAt < dampingMs
  const opened = { at: finding.at, text: `opened: ${finding.summary}` }
  const flappingNote = { at: finding.at, text: 'reopened within the damping window: flapping, held open until quiet' }
  return {
    key: track.key,
    kind: finding.kind,
    target: finding.target,
    scope: finding.scope,
    severity: finding.severity,
    status: 'open',
    openedAt: finding.at,
    resolvedAt: null,
    lastSeenAt: finding.at,
    flapping,
    lastFinding: finding,
    updates: flapping ? [opened, flappingNote] : [opened],
  }
}

function updateIncident(incident: Incident, finding: Finding): Incident {
  const changed = finding.summary !== incident.lastFinding.summary
  return {
    ...incident,
    severity: moreSevere(incident.severity, finding.severity),
    lastSeenAt: finding.at,
    lastFinding: finding,
    updates: changed ? withUpdate(incident.updates, finding.at, finding.summary) : incident.updates,
  }
}

/** Trigger, reminder, or nothing for an open incident, depending on maintenance and time. */
function announce(step: Step, track: Track, incident: Incident, context: Context): Step {
  const subject = { target: incident.target, scope: incident.scope, sites: incident.lastFinding.evidence.sites }
  const window = maintenanceAt(context.params.maintenance, context.now, subject)
  if (window !== null) return track.announcedAt === null ? muteTrigger(step, track, incident, window, context) : muteReminder(step, track, context)
  if (track.announcedAt === null) {
    const announced: Incident =
      track.mutedAt === null ? incident : { ...incident, updates: withUpdate(incident.updates, context.now, 'maintenance over: announced') }
    const next: Track = { ...track, incident: announced, announcedAt: context.now, mutedAt: null }
    return { track: next, touched: announced, notifications: [...step.notifications, notificationOf(announced, 'trigger', 0, context.now)] }
  }
  const sequence = reminderDue(track, track.announcedAt, context)
  if (sequence === null) return step
  const next: Track = { ...track, remindersSent: sequence }
  return { ...step, track: next, notifications: [...step.notifications, notificationOf(incident, 'reminder', sequence, context.now)] }
}

/** The number of the reminder due now (counted in reminder periods since the trigger), or null. */
function reminderDue(track: Track, announcedAt: number, context: Context): number | null {
  const reminderMs = context.params.reminderMinutes * MS_PER_MINUTE
  if (reminderMs === 0) return null
  const sequence = Math.floor((context.now - announcedAt) / reminderMs)
  return sequence > track.remindersSent ? sequence : null
}

/** A reminder that falls due in maintenance is skipped for good, not sent when the window ends. */
function muteReminder(step: Step, track: Track, context: Context): Step {
  const sequence = track.announcedAt === null ? null : reminderDue(track, track.announcedAt, context)
  return sequence === null ? step : { ...step, track: { ...track, remindersSent: sequence } }
}

function muteTrigger(step: Step, track: Track, incident: Incident, window: MaintenanceWindow, context: Context): Step {
  if (track.mutedAt !== null) return step
  const text = `in maintenance${window.reason === undefined ? '' : ` (${window.reason})`}: not announced`
  const muted: Incident = { ...incident, updates: withUpdate(incident.updates, context.now, text) }
  return { ...step, track: { ...track, incident: muted, mutedAt: context.now }, touched: muted }
}

function notificationOf(incident: Incident, event: NotificationEvent, sequence: number, now: number): Notification {
  return { id: notificationId(incident, event, sequence), event, incident, at: now }
}

/** Keeps the first update (the opening) and the latest ones. */
function withUpdate(updates: Incident['updates'], at: number, text: string): Incident['updates'] {
  const all = [...updates, { at, text }]
  return all.length <= MAX_INCIDENT_UPDATES ? all : [...all.slice(0, 1), ...all.slice(all.length - MAX_INCIDENT_UPDATES + 1)]
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2, critical: 3 }

function moreSevere(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[b] > SEVERITY_RANK[a] ? b : a
}

/**
 * The findings that count this cycle, one per incident key (the most severe), flapping-damped ones left
 * out, and one cause per incident: a site's findings (black hole, site down, failover, transport
 * divergence) share one key, that of the site's incident already under way, and the vantages' catchment
 * shifts away from such a site are its evidence, not incidents of their own.
 */
function activeFindings(findings: readonly Finding[], state: PolicyState): Map<string, Finding> {
  const cover = flappingCover(findings, state)
  const undamped = findings.filter((finding) => !isDampedByFlapping(finding, cover))
  const siteKeys = siteIncidentKeys(undamped, state)
  const active = new Map<string, Finding>()
  for (const finding of undamped) {
    const key = siteKeys.get(siteCauseOf(finding) ?? '') ?? incidentKey(finding)
    const existing = active.get(key)
    if (existing === undefined) active.set(key, finding)
    else active.set(key, SEVERITY_RANK[finding.severity] > SEVERITY_RANK[existing.severity] ? alsoFound(finding, existing) : alsoFound(existing, finding))
  }
  return absorbShifts(active, state)
}

/** The kinds that speak of one site's health: one incident per site carries them all. */
const SITE_CAUSE_KINDS: ReadonlySet<FindingKind> = new Set<FindingKind>(['black-hole', 'site-down', 'failover', 'transport-divergence'])
const SITE_SCOPE_PREFIX = 'site:'

/** `${target}/${scope}` for a finding about a site's health; null for any other. */
function siteCauseOf(finding: Pick<Finding, 'kind' | 'target' | 'scope'>): string | null {
  return SITE_CAUSE_KINDS.has(finding.kind) && finding.scope.startsWith(SITE_SCOPE_PREFIX) ? `${finding.target}/${finding.scope}` : null
}

/**
 * Per site cause, the key its findings go to: the site's track under way (an open incident first, then
 * an episode counting towards one), else the key of the cycle's most severe finding of that site.
 */
function siteIncidentKeys(findings: readonly Finding[], state: PolicyState): Map<string, string> {
  const keys = new Map<string, string>()
  const underWay = Object.values(state.tracks)
    .filter((track) => track.incident !== null || track.failingCycles > 0)
    .sort((a, b) => Number(b.incident !== null) - Number(a.incident !== null) || b.lastFinding.at - a.lastFinding.at)
  for (const track of underWay) {
    const cause = siteCauseOf(track.lastFinding)
    if (cause !== null && !keys.has(cause)) keys.set(cause, track.key)
  }
  const bySeverity = [...findings].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])
  for (const finding of bySeverity) {
    const cause = siteCauseOf(finding)
    if (cause !== null && !keys.has(cause)) keys.set(cause, incidentKey(finding))
  }
  return keys
}

/** The finding kept for a key, noting the other finding of the same cause in its details. */
function alsoFound(kept: Finding, other: Finding): Finding {
  const earlier = kept.evidence.details['alsoFound']
  const also = [...(Array.isArray(earlier) ? earlier : []), `${other.kind}: ${other.summary}`]
  return { ...kept, evidence: { ...kept.evidence, details: { ...kept.evidence.details, alsoFound: also } } }
}

/**
 * A vantage's catchment shift away from a site with a finding this cycle, or an open incident, is that
 * site's news: it goes into the site's finding (when there is one) instead of opening its own incident.
 */
function absorbShifts(active: Map<string, Finding>, state: PolicyState): Map<string, Finding> {
  const siteKeyOf = new Map<string, string>()
  for (const track of Object.values(state.tracks)) {
    const cause = track.incident === null ? null : siteCauseOf(track.lastFinding)
    if (cause !== null) siteKeyOf.set(cause, track.key)
  }
  for (const [key, finding] of active) {
    const cause = siteCauseOf(finding)
    if (cause !== null) siteKeyOf.set(cause, key)
  }
  for (const [key, finding] of [...active]) {
    if (finding.kind !== 'catchment-shift') continue
    const fromSites = finding.evidence.details['fromSites']
    const siteKey = (Array.isArray(fromSites) ? fromSites : []).map((site) => siteKeyOf.get(`${finding.target}/${SITE_SCOPE_PREFIX}${site}`)).find((found) => found !== undefined)
    if (siteKey === undefined) continue
    active.delete(key)
    const site = active.get(siteKey)
    if (site !== undefined) active.set(siteKey, alsoFound(site, finding))
  }
  return active
}

interface FlappingCover {
  /** Targets with target-wide flapping. */
  targets: Set<string>
  /** `${target}/${vantage}` pairs with flapping of their own. */
  vantages: Set<string>
}

const VANTAGE_SCOPE_PREFIX = 'vantage:'

function flappingCover(findings: readonly Finding[], state: PolicyState): FlappingCover {
  const openFlapping = Object.values(state.tracks).flatMap((track) => (track.incident?.kind === 'catchment-flapping' ? [track.incident] : []))
  const cover: FlappingCover = { targets: new Set(), vantages: new Set() }
  for (const { target, scope } of [...findings.filter((finding) => finding.kind === 'catchment-flapping'), ...openFlapping]) {
    if (scope.startsWith(VANTAGE_SCOPE_PREFIX)) cover.vantages.add(`${target}/${scope.slice(VANTAGE_SCOPE_PREFIX.length)}`)
    else cover.targets.add(target)
  }
  return cover
}

function isDampedByFlapping(finding: Finding, cover: FlappingCover): boolean {
  const wholeTarget = cover.targets.has(finding.target)
  const flaps = (vantage: string) => wholeTarget || cover.vantages.has(`${finding.target}/${vantage}`)
  switch (finding.kind) {
    case 'catchment-shift':
      return finding.evidence.vantages.length > 0 && finding.evidence.vantages.every(flaps)
    case 'catchment-flapping':
      return wholeTarget && finding.scope.startsWith(VANTAGE_SCOPE_PREFIX)
    case 'site-down':
      return finding.evidence.vantages.length > 0 && finding.evidence.vantages.every(flaps)
    case 'failover':
      // The site-down detector's clean failover (confirmed: every vantage moved) is damped like the site-down
      // finding it stands for; the black-hole detector's (vantages failing, not confirmed) is not, like a black hole.
      return finding.evidence.details['confirmed'] === true && finding.evidence.vantages.length > 0 && finding.evidence.vantages.every(flaps)
    default:
      return false
  }
}

/** Open incidents in the state, oldest first: what a status page shows between cycles. */
export function openIncidents(state: PolicyState): Incident[] {
  return Object.values(state.tracks)
    .flatMap((track) => (track.incident === null ? [] : [track.incident]))
    .sort((a, b) => a.openedAt - b.openedAt || compareText(a.key, b.key))
}
