// Benchmarks that build namespaces or start daemons must leave nothing behind, whether they end normally,
// fail, or are interrupted: steps registered here run last-in first-out, once, from `finally` or a signal.

type Step = { what: string; run: () => Promise<void> }

const steps: Step[] = []
let running: Promise<void> | undefined

export function onCleanup(what: string, run: () => Promise<void>): void {
  steps.push({ what, run })
}

/** Runs every registered step once (later calls wait for the same run); `first` runs before them. */
export function runCleanup(first?: () => Promise<void>): Promise<void> {
  running ??= (async () => {
    if (first) await first()
    for (let step = steps.pop(); step; step = steps.pop()) {
      try {
        await step.run()
      } catch (error) {
        console.error(`cleanup of ${step.what} failed: ${(error as Error).message}`)
      }
    }
  })()
  return running
}

/** On SIGINT, SIGTERM or SIGHUP: clean up, then exit with the conventional 128 + signal number. */
export function installSignalCleanup(cleanup: () => Promise<void> = runCleanup): void {
  for (const [signal, exitCode] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: cleaning up`)
      void cleanup().finally(() => process.exit(exitCode))
    })
  }
}
