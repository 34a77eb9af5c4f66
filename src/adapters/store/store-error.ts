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
    throw storeErrorOf(origin, what, cause)
  }
}

/** guarded for an asynchronous operation: its rejection becomes a StoreError. */
export async function guardedAsync<T>(origin: string, what: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (cause) {
    throw storeErrorOf(origin, what, cause)
  }
}

function storeErrorOf(origin: string, what: string, cause: unknown): StoreError {
  if (cause instanceof StoreError) return cause
  return new StoreError(origin, `${what} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
}
