import { siteOfIdentity } from '../core/catchment.ts'
import { compileSiteTable, type Config, type SiteResolver, type Target } from '../core/config.ts'
import type { CycleRecord, Finding, Incident, Notification } from '../core/findings.ts'
import type { Observation } from '../core/model.ts'
import type { Clock } from '../ports/clock.ts'
import type { ArchiveRejection, ObservationArchive } from '../ports/observation-archive.ts'
import type { MonitorStore } from '../ports/store.ts'
import type { ProbePlan, ProbeTask, VantageRunner } from '../ports/vantage-runner.ts'
import { bgpEvaluationInput, bgpViewOf, checkBgp, type BgpCheck, type BgpCheckDeps, type BgpEvaluationInput } from './bgp-check.ts'

/** What the pure evaluation (detectors + incident policy) needs and returns for one target. */
export interface EvaluationInput extends BgpEvaluationInput {
  target: Target
  history: CycleRecord[]
  policyState: unknown
  now: number
}
export interface EvaluationOutput {
  findings: Finding[]
  state: unknown
  incidents: Incident[]
  notifications: Notification[]
}

export interface CycleDeps {
  config: Config
  runners: readonly VantageRunner[]
  store: MonitorStore
  clock: Clock
  evaluate: (input: EvaluationInput) => EvaluationOutput
  /** The alert routes a notification goes to. */
  routesFor: (notification: Notification) => string[]
  /** How many recent cycles the evaluation reads (the longest detector window). */
  historyCycles: number
  /** Present when the config has a `bgp` block: the sources are asked alongside the probes. */
  bgp?: BgpCheckDeps
  /** Present when the config has an `archive` block: every cycle's observations are archived there too. */
  archive?: ObservationArchive
}

export interface CycleReport {
  startedAt: number
  cycles: CycleRecord[]
  findings: Finding[]
  notifications: Notification[]
  /** Targets whose policy state another run changed first; their notifications were left to that run. */
  conflicts: string[]
  /** What failed without failing the cycle (saving a BGP view, archiving), for the log. */
  problems: CycleProblem[]
}

export interface CycleProblem {
  target: string
  /** What the cycle was doing: saving the BGP view, or archiving (refused observations, or the archive unreachable). */
  step: 'save-bgp-view' | 'archive'
  error: string
}

/** Time a runner gets on top of its probes' own deadlines (process start in a namespace, JSON). */
const RUNNER_MARGIN_MS = 5_000
const TASKS_IN_FLIGHT_PER_VANTAGE = 16

/** One cycle: every vantage probes every target, the results are stored, evaluated, and alerts queued. */
export async function runCycle(deps: CycleDeps, signal?: AbortSignal): Promise<CycleReport> {
  const startedAt = deps.clock.nowMs()
  const tasks = probeTasks(deps.config)
  const deadline = AbortSignal.timeout(cycleDeadlineMs(deps.config, tasks.length))
  const cycleSignal = signal ? AbortSignal.any([deadline, signal]) : deadline
  const [reports, bgp] = await Promise.all([
    Promise.allSettled(deps.runners.map((runner) => runner.run(planFor(runner.vantage, startedAt, tasks), cycleSignal))),
    deps.bgp ? checkBgp(deps.bgp, deps.config.targets, startedAt, cycleSignal) : NO_BGP_CHECK,
  ])
  const report: CycleReport = { startedAt, cycles: [], findings: [], notifications: [], conflicts: [], problems: [] }
  for (const target of deps.config.targets) {
    const cycle = cycleRecord(target, startedAt, deps.runners, reports)
    await deps.store.writeCycle(cycle)
    report.cycles.push(cycle)
    const problem = await saveBgpView(deps, target, bgp, startedAt)
    if (problem) report.problems.push(problem)
    const evaluated = await evaluateAndSave(deps, target, startedAt, bgpEvaluationInput(bgp.joins.get(target.id)))
    if (!evaluated) report.conflicts.push(target.id)
    else {
      report.findings.push(...evaluated.findings)
      report.notifications.push(...evaluated.notifications)
    }
  }
  if (deps.archive) report.problems.push(...(await archiveCycles(deps.archive, report.cycles)))
  return report
}

const NO_BGP_CHECK: BgpCheck = { joins: new Map(), resultsByPrefix: new Map() }

/** The status page's view of the target's BGP check; a failure is reported, and the cycle goes on. */
async function saveBgpView(deps: CycleDeps, target: Target, check: BgpCheck, startedAt: number): Promise<CycleProblem | null> {
  if (!deps.bgp) return null
  try {
    const view = bgpViewOf(deps.bgp.settings, target, check, startedAt)
    if (view) await deps.store.saveBgpView(target.id, view)
    return null
  } catch (error) {
    return { target: target.id, step: 'save-bgp-view', error: errorText(error) }
  }
}

/** Rejections listed in a problem; the rest are counted. */
const REJECTIONS_SHOWN = 3

/**
 * The cycle's observations go to the archive in one call, after the store has them. What the archive
 * refuses, or its being unreachable, is a problem of the targets concerned; the cycle goes on.
 */
async function archiveCycles(archive: ObservationArchive, cycles: readonly CycleRecord[]): Promise<CycleProblem[]> {
  const observations = cycles.flatMap((cycle) => cycle.observations)
  if (observations.length === 0) return []
  try {
    const receipt = await archive.archive(observations)
    const byTarget = new Map<string, ArchiveRejection[]>()
    for (const rejection of receipt.rejected) {
      const target = observations[rejection.index]?.target ?? 'unknown'
      byTarget.set(target, [...(byTarget.get(target) ?? []), rejection])
    }
    return [...byTarget].map(([target, rejections]) => ({ target, step: 'archive' as const, error: rejectionText(rejections, observations) }))
  } catch (error) {
    const targets = [...new Set(observations.map((observation) => observation.target))]
    return targets.map((target) => ({ target, step: 'archive' as const, error: errorText(error) }))
  }
}

function rejectionText(rejections: readonly ArchiveRejection[], observations: readonly Observation[]): string {
  const shown = rejections.slice(0, REJECTIONS_SHOWN).map((rejection) => {
    const observation = observations[rejection.index]
    const what = observation ? `${observation.vantage} ${observation.transport} ${observation.address} at ${observation.observedAt}` : `#${rejection.index}`
    return `${what}: ${rejection.reason}`
  })
  const more = rejections.length > REJECTIONS_SHOWN ? `; and ${rejections.length - REJECTIONS_SHOWN} more` : ''
  return `the archive refused ${rejections.length} observation${rejections.length === 1 ? '' : 's'}: ${shown.join('; ')}${more}`
}

async function evaluateAndSave(deps: CycleDeps, target: Target, now: number, bgp: BgpEvaluationInput): Promise<EvaluationOutput | null> {
  const history = await deps.store.recentCycles(target.id, deps.historyCycles)
  const stored = await deps.store.loadPolicyState(target.id)
  const output = deps.evaluate({ target, history, policyState: stored.state, now, ...bgp })
  const outbox = output.notifications.flatMap((notification) => deps.routesFor(notification).map((route) => ({ route, notification })))
  const saved = await deps.store.savePolicyState(target.id, stored.version, output.state, output.incidents, outbox)
  return saved ? output : null
}

export function probeTasks(config: Config): ProbeTask[] {
  return config.targets.flatMap((target) =>
    target.addresses.flatMap((address) =>
      target.transports.map((transport) => ({
        target: target.id,
        address,
        port: target.port,
        transport,
        qname: target.qname,
        qtype: target.qtype,
        timeoutMs: config.probe.timeoutMs,
        udpPayloadBytes: config.probe.udpPayloadBytes,
        identityFallback: config.probe.identityFallback,
      })),
    ),
  )
}

/** What a vantage probes in a cycle; an agent or a Lambda probe builds its own plan the same way. */
export function planFor(vantage: string, cycleStartedAt: number, tasks: ProbeTask[]): ProbePlan {
  return { vantage, cycleStartedAt, tasks, concurrency: TASKS_IN_FLIGHT_PER_VANTAGE }
}

/** Every probe is bounded by the probe timeout, so a vantage needs at most this long for its plan. */
export function cycleDeadlineMs(config: Config, taskCount: number): number {
  const rounds = Math.max(1, Math.ceil(taskCount / TASKS_IN_FLIGHT_PER_VANTAGE))
  return rounds * config.probe.timeoutMs + RUNNER_MARGIN_MS
}

function cycleRecord(
  target: Target,
  startedAt: number,
  runners: readonly VantageRunner[],
  reports: PromiseSettledResult<Observation[]>[],
): CycleRecord {
  const siteOf = compileSiteTable(target.sites)
  const observations: Observation[] = []
  const missingVantages: CycleRecord['missingVantages'] = []
  runners.forEach((runner, index) => {
    const report = reports[index] as PromiseSettledResult<Observation[]>
    if (report.status === 'rejected') {
      missingVantages.push({ vantage: runner.vantage, reason: errorText(report.reason) })
      return
    }
    const ofTarget = report.value.filter((observation) => observation.target === target.id)
    // A remote vantage may have pushed for some targets only.
    if (ofTarget.length === 0) missingVantages.push({ vantage: runner.vantage, reason: 'reported no observation of this target' })
    // A runner reports for the vantage it was asked to be, whatever it claims.
    for (const observation of ofTarget) observations.push(withSite({ ...observation, vantage: runner.vantage }, siteOf))
  })
  return { cycleId: `${target.id}@${startedAt}`, target: target.id, startedAt, observations, missingVantages }
}

/** Only an answer can name a site; a binary NSID is matched by its hex. Without an answer there is no site. */
function withSite(observation: Observation, siteOf: SiteResolver): Observation {
  const { site: _claimed, ...rest } = observation
  if (observation.rcode === null) return rest
  return { ...rest, site: observation.identity ? siteOfIdentity(observation.identity, siteOf) : siteOf(null).siteId }
}

function errorText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason)
}
