// What a remote vantage pushes to the ingest API: one batch of its observations, as JSON. The monitor
// checks the shape with zod, then what only the config can tell (targets, addresses, times); an
// observation is stored once per natural key, so a batch delivered twice adds nothing.
import { z } from 'zod'
import type { Target } from '../config.ts'
import type { Observation } from '../model.ts'
import { ObservationSchema } from '../wire-schemas.ts'

export const INGEST_BATCH_VERSION = 1
/** The largest body the monitor reads; larger ones are refused (413) before parsing. */
export const INGEST_MAX_BODY_BYTES = 1_048_576
/** At most this many observations in one batch. */
export const INGEST_MAX_OBSERVATIONS = 1000
/** What the agent and the Lambda put in one batch: well under both limits, even with long error texts. */
export const INGEST_BATCH_OBSERVATIONS = 200
/** An observation may be this far ahead of the monitor's clock (the sender's clock may run a little fast). */
export const INGEST_MAX_FUTURE_MS = 300_000
const MAX_PROBLEMS_LISTED = 10
const DAY_MS = 86_400_000

export const IngestBatchSchema = z.strictObject({
  version: z.literal(INGEST_BATCH_VERSION),
  /** The vantage that probed; must be the one the request is signed as. */
  vantage: z.string().min(1),
  /** The sender's name for the batch, for logs: `${vantage}@${plan start}#${n}of${count}`. */
  batchId: z.string().min(1).max(200),
  observations: z.array(ObservationSchema).min(1).max(INGEST_MAX_OBSERVATIONS),
})
export type IngestBatch = z.output<typeof IngestBatchSchema>

/** One batch ready to send: its id and its exact JSON body. */
export interface IngestBatchBody {
  batchId: string
  body: string
}

/** The observations of one plan run as batch bodies of at most INGEST_BATCH_OBSERVATIONS each, in order. */
export function ingestBatchBodies(vantage: string, planStartedAt: number, observations: readonly Observation[]): IngestBatchBody[] {
  const count = Math.ceil(observations.length / INGEST_BATCH_OBSERVATIONS)
  return Array.from({ length: count }, (_, index) => {
    const batchId = `${vantage}@${planStartedAt}#${index + 1}of${count}`
    const slice = observations.slice(index * INGEST_BATCH_OBSERVATIONS, (index + 1) * INGEST_BATCH_OBSERVATIONS)
    const batch: IngestBatch = { version: INGEST_BATCH_VERSION, vantage, batchId, observations: slice }
    return { batchId, body: JSON.stringify(batch) }
  })
}

/**
 * What identifies an observation, wherever it is delivered from: one vantage queries one address of a
 * target over one transport once per plan, and stamps the query with its start time.
 */
export function naturalKeyOf(observation: Pick<Observation, 'vantage' | 'target' | 'address' | 'transport' | 'observedAt'>): string {
  return [observation.vantage, observation.target, observation.address, observation.transport, observation.observedAt].join('|')
}

export interface BatchContext {
  /** The vantage the request is signed as. */
  vantage: string
  targets: readonly Target[]
  nowMs: number
  /** Days the store keeps observations: an older one would be pruned at once, and could come back as new. */
  observationsDays: number
}

/** What the config says is wrong with a well-formed batch, at most MAX_PROBLEMS_LISTED lines; empty when nothing. */
export function batchProblems(batch: IngestBatch, context: BatchContext): string[] {
  const problems: string[] = []
  if (batch.vantage !== context.vantage) problems.push(`vantage: the batch names "${batch.vantage}" but is signed as "${context.vantage}"`)
  const addressesByTarget = new Map(context.targets.map((target) => [target.id, new Set(target.addresses.map((a) => a.toLowerCase()))]))
  const oldestMs = context.nowMs - context.observationsDays * DAY_MS
  batch.observations.forEach((observation, index) => {
    const at = `observations[${index}]`
    if (observation.vantage !== batch.vantage) problems.push(`${at}.vantage: "${observation.vantage}" is not the batch's vantage "${batch.vantage}"`)
    const addresses = addressesByTarget.get(observation.target)
    if (addresses === undefined) problems.push(`${at}.target: "${observation.target}" is not a target of this monitor`)
    else if (!addresses.has(observation.address.toLowerCase())) {
      problems.push(`${at}.address: ${observation.address} is not an address of target "${observation.target}"`)
    }
    if (observation.observedAt > context.nowMs + INGEST_MAX_FUTURE_MS) problems.push(`${at}.observedAt: ${observation.observedAt} is in the future`)
    if (observation.observedAt < oldestMs) problems.push(`${at}.observedAt: older than the ${context.observationsDays} days the monitor keeps`)
  })
  return problems.length <= MAX_PROBLEMS_LISTED
    ? problems
    : [...problems.slice(0, MAX_PROBLEMS_LISTED), `... and ${problems.length - MAX_PROBLEMS_LISTED} more`]
}
