// A vantage that probes on its own schedule somewhere else (the agent, the Lambda probe) and pushes its
// observations to the ingest API. In a cycle it probes nothing: it hands over what the vantage pushed.
//
// The cycle's window: the vantage's inbox observations made before the cycle's start that no earlier
// cycle took. The store hands them over and marks them taken in one atomic step (takeIngested), so each
// observation lands in exactly one cycle: the first that asks after it arrived. One that arrives late
// (an agent's disk buffer emptied after an outage) goes to the first cycle after its arrival; its
// observedAt still puts it in the right rollup buckets, but that cycle's catchment counts old and new
// answers together. A vantage that pushed nothing for the window is missing from the cycle, with the reason.
import type { MonitorStore } from '../ports/store.ts'
import type { VantageRunner } from '../ports/vantage-runner.ts'

export function createRemoteRunner(options: { vantage: string; store: Pick<MonitorStore, 'takeIngested'> }): VantageRunner {
  const { vantage, store } = options
  return {
    vantage,
    run: async (plan) => {
      const observations = await store.takeIngested(vantage, plan.cycleStartedAt)
      if (observations.length > 0) return observations
      const before = new Date(plan.cycleStartedAt).toISOString()
      throw new Error(`runner:remote:${vantage}: pushed nothing since the previous cycle (no observation made before ${before} left to take)`)
    },
  }
}
