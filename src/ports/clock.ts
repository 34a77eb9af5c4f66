export interface Clock {
  /** Wall-clock epoch ms: when something happened. */
  nowMs(): number
  /** Monotonic ms, fractional where the runtime allows: how long something took. */
  monotonicMs(): number
}
