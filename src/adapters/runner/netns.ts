import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Observation } from '../../core/model.ts'
import { ObservationListSchema } from '../../core/wire-schemas.ts'
import type { ProbePlan, VantageRunner } from '../../ports/vantage-runner.ts'
import { VantageRunnerError } from './runner-error.ts'

const CLI_PATH = fileURLToPath(new URL('../../../bin/anycast-monitor.js', import.meta.url))
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024
const STDERR_KEPT_CHARS = 2000

/**
 * A vantage inside a Linux network namespace: the plan goes to `ip netns exec NAME anycast-monitor
 * probe-plan` on stdin and the observations come back as JSON on stdout, exactly as a regional
 * function would return them. The namespace's own routing decides which anycast site answers.
 */
export function createNetnsRunner(options: { vantage: string; namespace: string; nodePath?: string }): VantageRunner {
  const origin = `runner:netns:${options.vantage}`
  return {
    vantage: options.vantage,
    run: (plan, signal) => runInNamespace(plan, signal, options.namespace, options.nodePath ?? process.execPath, origin),
  }
}

function runInNamespace(plan: ProbePlan, signal: AbortSignal, namespace: string, nodePath: string, origin: string): Promise<Observation[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', namespace, nodePath, CLI_PATH, 'probe-plan'], { stdio: ['pipe', 'pipe', 'pipe'] })
    const stdout: Buffer[] = []
    let stdoutBytes = 0
    let stderr = ''
    const onAbort = (): void => {
      child.kill('SIGKILL') // our own child, by its handle
    }
    signal.addEventListener('abort', onAbort, { once: true })
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length
      if (stdoutBytes > MAX_OUTPUT_BYTES) child.kill('SIGKILL')
      else stdout.push(chunk)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT_CHARS)
    })
    child.on('error', (cause) => reject(new VantageRunnerError(origin, `cannot start ip netns exec ${namespace}`, { cause })))
    child.on('close', (exitCode, exitSignal) => {
      signal.removeEventListener('abort', onAbort)
      if (signal.aborted) return reject(new VantageRunnerError(origin, 'did not report before the cycle deadline'))
      if (exitCode !== 0) return reject(new VantageRunnerError(origin, `probe-plan exited ${exitCode ?? exitSignal}: ${stderr.trim()}`))
      resolve(parseObservations(Buffer.concat(stdout).toString('utf8'), origin))
    })
    child.stdin.on('error', () => {}) // the child may exit before reading everything; 'close' reports it
    child.stdin.end(JSON.stringify(plan))
  })
}

function parseObservations(text: string, origin: string): Observation[] {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    throw new VantageRunnerError(origin, 'output is not JSON', { cause })
  }
  const parsed = ObservationListSchema.safeParse(json)
  if (!parsed.success) throw new VantageRunnerError(origin, `output is not a list of observations: ${parsed.error.issues[0]?.message ?? ''}`)
  return parsed.data
}
