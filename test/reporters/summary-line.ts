// Prints the plain closing line 'tests: N passed, N failed, N skipped' that CI reads, after vitest's own summary.
import type { Reporter, TestModule } from 'vitest/node'

export function summaryLineReporter(write: (text: string) => void = (text) => process.stdout.write(text)): Reporter {
  return {
    onTestRunEnd(testModules: ReadonlyArray<TestModule>) {
      const counts = { passed: 0, failed: 0, skipped: 0 }
      for (const module of testModules) {
        // A file that failed to load has no tests, but it is a failure all the same.
        if (module.state() === 'failed' && module.children.size === 0) counts.failed += 1
        for (const test of module.children.allTests()) {
          const state = test.result().state
          if (state === 'passed') counts.passed += 1
          else if (state === 'failed') counts.failed += 1
          else counts.skipped += 1
        }
      }
      write(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`)
    },
  }
}
