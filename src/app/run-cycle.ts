import { siteOfIdentity } from '../core/catchment.ts'
import { compileSiteTable, type Config, type SiteResolver, type Target } from '../core/config.ts'
import type { CycleRecord, Finding, Incident, Notification } from '../core/findings.ts'
import type { Observation } from '../core/model.ts'
import type { Clock } from '../ports/clock.ts'
import type { ArchiveRejection, ObservationArchive } from '../ports/observation-archive.ts'
import type { MonitorStore } from '../ports/store.ts'
import type { PartialReport, ProbePlan, ProbeTask, VantageRunner } from '../ports/vantage-runner.ts'
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
  const plans = deps.runners.map((runner) => planFor(runner.vantage, startedAt, tasks))
  const runnerWorstCasesMs = deps.runners.map((runner, index) => runner.worstCaseMs?.(plans[index] as ProbePlan))
  const deadline = AbortSignal.timeout(cycleDeadlineMs(deps.config, tasks.length, runnerWorstCasesMs))
  const cycleSignal = signal ? AbortSignal.any([deadline, signal]) : deadline
  const [reports, bgp] = await Promise.all([
    Promise.allSettled(deps.runners.map((runner, index) => runner.run(plans[index] as ProbePlan, cycleSignal))),
    deps.bgp ? checkBgp(deps.bgp, deps.config.targets, startedAt, cycleSignal) : NO_BGP_CHECK,
  ])
  const report: CycleReport = { startedAt, cycles: [], findings: [], notifications: [], conflicts: [], problems: [] }
  for (const target of deps.config.targets) {
    const cycle = cycleRecord(target, startedAt, deps.runners, reports, tasks.filter((task) => task.target === target.id).length)
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

/**
 * Every probe is bounded by the probe timeout, so a vantage needs at most this long for its plan: 16
 * probes in flight, plus the runner's margin. A runner that knows its own worst case (a Cloudflare
 * region, see VantageRunner.worstCaseMs) is given that instead; the cycle waits for the slowest.
 */
export function cycleDeadlineMs(config: Config, taskCount: number, runnerWorstCasesMs: readonly (number | undefined)[] = []): number {
  const rounds = Math.max(1, Math.ceil(taskCount / TASKS_IN_FLIGHT_PER_VANTAGE))
  const estimate = rounds * config.probe.timeoutMs + RUNNER_MARGIN_MS
  if (runnerWorstCasesMs.length === 0) return estimate
  return Math.max(...runnerWorstCasesMs.map((worstCaseMs) => worstCaseMs ?? estimate))
}

/**
 * The target's observations from every runner, and the runners missing for it. A runner that failed
 * after reporting in part keeps what it measured; it is missing for this target unless it reported all
 * of the target's `plannedProbes`, and the reason says how many it reported.
 */
function cycleRecord(
  target: Target,
  startedAt: number,
  runners: readonly VantageRunner[],
  reports: PromiseSettledResult<Observation[]>[],
  plannedProbes: number,
): CycleRecord {
  const siteOf = compileSiteTable(target.sites)
  const observations: Observation[] = []
  const missingVantages: CycleRecord['missingVantages'] = []
  runners.forEach((runner, index) => {
    const report = reports[index] as PromiseSettledResult<Observation[]>
    const reported = report.status === 'fulfilled' ? report.value : partialOf(report.reason)
    const ofTarget = reported.filter((observation) => observation.target === target.id)
    if (report.status === 'rejected' && ofTarget.length < plannedProbes) {
      const part = ofTarget.length === 0 ? '' : `reported ${ofTarget.length} of ${plannedProbes} probes of this target, then `
      missingVantages.push({ vantage: runner.vantage, reason: `${part}${errorText(report.reason)}` })
    }
    // A remote vantage may have pushed for some targets only.
    if (report.status === 'fulfilled' && ofTarget.length === 0) missingVantages.push({ vantage: runner.vantage, reason: 'reported no observation of this target' })
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

/** What a runner's rejection says it measured before failing (PartialReport); nothing otherwise. */
function partialOf(reason: unknown): readonly Observation[] {
  const partial = typeof reason === 'object' && reason !== null && 'partial' in reason ? (reason as PartialReport).partial : undefined
  return Array.isArray(partial) ? partial : []
}

function errorText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason)
}
