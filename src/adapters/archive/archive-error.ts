/** An archive call failed; `origin` names the adapter ('archive:timestream'), `cause` keeps the SDK's error. */
export class ArchiveError extends Error {
  readonly origin: string

  constructor(origin: string, message: string, options?: { cause?: unknown }) {
    super(`${origin}: ${message}`, options)
    this.name = 'ArchiveError'
    this.origin = origin
  }
}
