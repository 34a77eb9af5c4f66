// The frame of an e2e file that runs the monitor on the lab (monitor.e2e, bgp.e2e): in beforeAll it
// takes the lab lock, brings the lab up, starts the alert receivers and `serve` on a config derived
// from lab/monitor.config.json; in afterAll it stops them, takes the lab down (checking that nothing
// is left) and releases the lock. Call it inside the file's describe block.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect } from 'vitest'
import { RUN_DIR } from '../../lab/topology.ts'
import { acquireLabTestLock, labIsUp, runLabCli, type LabTestLock } from './lab-harness.ts'
import { labMonitorConfig, startAlertReceivers, startServe, type AlertReceivers, type LabMonitorConfigOptions, type ServeHandle } from './monitor-harness.ts'

export interface LabMonitorSuite {
  monitor(): ServeHandle
  alerts(): AlertReceivers
  storePath(): string
}

export interface LabMonitorSuiteOptions {
  /** Prefix of the temp dir that holds the store and the config. */
  name: string
  /** How long to wait for another lab test file of the run to release the lab. */
  lockTimeoutMs: number
  config: Omit<LabMonitorConfigOptions, 'storePath' | 'receivers'>
  /** Runs once the lab is up, before serve starts. */
  afterUp?: () => Promise<void>
}

export function useLabMonitor(options: LabMonitorSuiteOptions): LabMonitorSuite {
  let lock: LabTestLock | undefined
  let dir = ''
  let receivers: AlertReceivers | undefined
  let serve: ServeHandle | undefined

  beforeAll(async () => {
    lock = await acquireLabTestLock(options.lockTimeoutMs)
    if (labIsUp()) throw new Error(`a lab is already up (${RUN_DIR}); run npm run lab -- down first`)
    const up = runLabCli('up')
    if (up.status !== 0) throw new Error(`lab up failed:\n${up.output}`)
    await options.afterUp?.()
    dir = mkdtempSync(join(tmpdir(), `${options.name}-`))
    receivers = await startAlertReceivers()
    const config = labMonitorConfig({ ...options.config, storePath: join(dir, 'monitor.sqlite'), receivers })
    serve = await startServe({ dir, config, env: receivers.env })
  }, options.lockTimeoutMs + 90_000)

  afterAll(async () => {
    try {
      if (serve) await serve.stop(5_000)
      await receivers?.close()
    } finally {
      const down = runLabCli('down')
      lock?.release()
      if (dir) rmSync(dir, { recursive: true, force: true })
      expect(down.status, down.output).toBe(0)
      expect(labIsUp()).toBe(false)
    }
  }, 60_000)

  return {
    monitor() {
      if (!serve) throw new Error('serve did not start')
      return serve
    },
    alerts() {
      if (!receivers) throw new Error('no receivers')
      return receivers
    },
    storePath: () => join(dir, 'monitor.sqlite'),
  }
}
