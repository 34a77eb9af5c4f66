// A counting semaphore: at most `limit` tasks run at once, the rest wait their turn in arrival order.
// RIPEstat refuses more than 8 concurrent requests from one IP, so every request of a source passes here.

export interface Semaphore {
  run<T>(task: () => Promise<T>): Promise<T>
  /** Tasks running now (for tests and logs). */
  inFlight(): number
}

export function createSemaphore(limit: number): Semaphore {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`semaphore limit must be a positive integer, not ${limit}`)
  let running = 0
  const waiting: (() => void)[] = []
  const acquire = (): Promise<void> => {
    if (running < limit) {
      running += 1
      return Promise.resolve()
    }
    // The slot is handed over by release(): running stays the same.
    return new Promise((resolve) => waiting.push(resolve))
  }
  const release = (): void => {
    const next = waiting.shift()
    if (next === undefined) running -= 1
    else next()
  }
  return {
    async run(task) {
      await acquire()
      try {
        return await task()
      } finally {
        release()
      }
    },
    inFlight: () => running,
  }
}
