/** A vantage that could not report: the cycle records it as missing, with this message, and goes on. */
export class VantageRunnerError extends Error {
  constructor(
    readonly origin: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${origin}: ${message}`, options)
    this.name = 'VantageRunnerError'
  }
}
