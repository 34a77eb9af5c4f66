import type { Observation } from '../../core/model.ts'
import type { PartialReport } from '../../ports/vantage-runner.ts'

/**
 * A vantage that could not report: the cycle records it as missing, with this message, and goes on.
 * `partial` holds what it measured before it failed (empty when it ran nothing): the cycle keeps it.
 */
export class VantageRunnerError extends Error implements PartialReport {
  readonly partial: readonly Observation[]

  constructor(
    readonly origin: string,
    message: string,
    options?: { cause?: unknown; partial?: readonly Observation[] },
  ) {
    super(`${origin}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'VantageRunnerError'
    this.partial = options?.partial ?? []
  }
}
