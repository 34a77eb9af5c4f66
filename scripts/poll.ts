// The scripts' one way to wait for something to show (the API, a page, a dev server): ask, and ask
// again every intervalMs until the answer is there or the deadline (epoch ms) has passed.
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** The first non-null answer of `attempt`, or null once `deadlineAt` has passed. */
export async function pollUntil<T>(attempt: () => Promise<T | null>, deadlineAt: number, intervalMs: number): Promise<T | null> {
  while (Date.now() < deadlineAt) {
    const answer = await attempt()
    if (answer !== null) return answer
    await sleep(intervalMs)
  }
  return null
}
