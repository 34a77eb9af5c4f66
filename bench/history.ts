// The generated history the benchmarks load: one-minute cycles for 5 targets x 12 vantages from START_MS,
// one UDP observation per vantage and target (99.3% ok, the rest timeouts, SERVFAIL, REFUSED, network
// errors; jittered RTTs with 1% spikes), each (target, vantage) moving to another of its target's 8
// sites (`${target.slice(0, 3)}-s0` .. `-s7`) for 1-3 hours with a 1% chance per hour. Shared by
// bench/store.ts and bench/status-page.ts so that both measure the same data.
import { performance } from 'node:perf_hooks'
import type { SqliteStore } from '../src/adapters/store/sqlite.ts'
import type { CycleRecord } from '../src/core/findings.ts'
import type { Observation, Outcome } from '../src/core/model.ts'

export const MINUTE_MS = 60_000
export const HOUR_MS = 3_600_000
export const DAY_MS = 86_400_000
export const START_MS = Date.UTC(2026, 7, 1)
export const TARGETS = ['k-root', 'b-root', 'ns1-example', 'ns2-example', 'anycast-dns'] as const
export const VANTAGES = ['fra', 'par', 'ams', 'lon', 'waw', 'mad', 'nyc', 'chi', 'sfo', 'gru', 'sin', 'syd'] as const
export const SITES_PER_TARGET = 8
export const SEED = 20_261_122
/** Chance per (target, vantage) and hour that its route moves to another site for 1-3 hours. */
const SHIFT_CHANCE_PER_HOUR = 0.01
const OUTCOME_WEIGHTS: [Outcome, number][] = [['ok', 0.993], ['timeout', 0.004], ['servfail', 0.001], ['refused', 0.001], ['network-error', 0.001]]

export interface Path {
  target: string
  vantage: string
  homeSite: string
  awaySite: string
  homeRttMs: number
  awayRttMs: number
  /** The route is on awaySite until this time (a catchment shift in progress). */
  awayUntil: number
}

export function pathsOf(random: () => number): Path[] {
  return TARGETS.flatMap((target) =>
    VANTAGES.map((vantage) => {
      const site = (): string => `${target.slice(0, 3)}-s${Math.floor(random() * SITES_PER_TARGET)}`
      const homeRttMs = 1 + random() * 150
      return { target, vantage, homeSite: site(), awaySite: site(), homeRttMs, awayRttMs: homeRttMs + 5 + random() * 80, awayUntil: 0 }
    }),
  )
}

function pickOutcome(random: () => number): Outcome {
  let roll = random()
  for (const [outcome, weight] of OUTCOME_WEIGHTS) {
    roll -= weight
    if (roll < 0) return outcome
  }
  return 'ok'
}

/** Jittered RTT: mostly within 10% of the base, 1% of probes 2-5x slower. */
function rttOf(random: () => number, baseMs: number): number {
  const jitter = 1 + Math.abs(random() + random() + random() - 1.5) * 0.12
  const spike = random() < 0.01 ? 2 + random() * 3 : 1
  return Math.round(baseMs * jitter * spike * 1000) / 1000
}

function observationOf(random: () => number, path: Path, atMs: number): Observation {
  const outcome = pickOutcome(random)
  const away = atMs < path.awayUntil
  const site = away ? path.awaySite : path.homeSite
  const answered = outcome === 'ok' || outcome === 'servfail' || outcome === 'refused'
  const text = `${site}.${path.target}`
  const base: Observation = {
    observedAt: atMs + Math.floor(random() * 900), vantage: path.vantage, target: path.target, address: '192.0.2.53', port: 53,
    qname: '.', transport: 'udp', outcome, rcode: null, rttMs: null, connectMs: null, identity: null,
    retriedOverTcp: false, ignoredReplies: 0, error: outcome === 'ok' ? null : `${outcome} (generated)`,
  }
  if (!answered) return base
  return {
    ...base,
    rcode: outcome === 'ok' ? 0 : outcome === 'servfail' ? 2 : 5,
    rttMs: rttOf(random, away ? path.awayRttMs : path.homeRttMs),
    identity: { source: 'nsid', hex: Buffer.from(text).toString('hex'), text },
    site,
  }
}

export function cyclesAt(random: () => number, paths: Path[], atMs: number): CycleRecord[] {
  if (atMs % HOUR_MS === 0) {
    for (const path of paths) if (random() < SHIFT_CHANCE_PER_HOUR) path.awayUntil = atMs + (1 + Math.floor(random() * 3)) * HOUR_MS
  }
  return TARGETS.map((target) => ({
    cycleId: `${target}@${atMs}`,
    target,
    startedAt: atMs,
    observations: paths.filter((path) => path.target === target).map((path) => observationOf(random, path, atMs)),
    missingVantages: [],
  }))
}

/** Writes one-minute cycles from START_MS up to endMs with writeCycles, one transaction per hour of cycles. */
export async function loadHistory(store: SqliteStore, random: () => number, paths: Path[], endMs: number): Promise<{ seconds: number; cycles: number }> {
  const startedAt = performance.now()
  let cycles = 0
  for (let hourMs = START_MS; hourMs < endMs; hourMs += HOUR_MS) {
    const batch: CycleRecord[] = []
    for (let atMs = hourMs; atMs < hourMs + HOUR_MS && atMs < endMs; atMs += MINUTE_MS) batch.push(...cyclesAt(random, paths, atMs))
    await store.writeCycles(batch)
    cycles += batch.length
    if ((hourMs - START_MS) % (10 * DAY_MS) === 0 && hourMs > START_MS) {
      process.stderr.write(`  loaded ${(hourMs - START_MS) / DAY_MS} days, ${((performance.now() - startedAt) / 1000).toFixed(0)} s\n`)
    }
  }
  return { seconds: (performance.now() - startedAt) / 1000, cycles }
}
