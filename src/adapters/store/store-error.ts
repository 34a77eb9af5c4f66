/** A store operation failed; `origin` names the adapter ('store:sqlite', 'store:memory'), `cause` keeps the driver's error. */
export class StoreError extends Error {
  readonly origin: string

  constructor(origin: string, message: string, options?: { cause?: unknown }) {
    super(`${origin}: ${message}`, options)
    this.name = 'StoreError'
    this.origin = origin
  }
}

/** Runs `operation`, turning whatever it throws into a StoreError that says what was being done. */
export function guarded<T>(origin: string, what: string, operation: () => T): T {
  try {
    return operation()
  } catch (cause) {
    if (cause instanceof StoreError) throw cause
    throw new StoreError(origin, `${what} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
}
