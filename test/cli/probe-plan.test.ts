import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.ts'

async function probePlan(stdin: string) {
  const out: string[] = []
  const err: string[] = []
  const exitCode = await main(['probe-plan'], { stdout: (t) => out.push(t), stderr: (t) => err.push(t), readStdin: async () => stdin })
  return { exitCode, stdout: out.join(''), stderr: err.join('') }
}

describe('probe-plan command', () => {
  it('refuses input that is not JSON, with exit 2 and one line', async () => {
    const result = await probePlan('{not json')
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(/^anycast-monitor probe-plan: stdin is not JSON: .+\n$/)
    expect(result.stdout).toBe('')
  })

  it('names every bad field of a plan by its path', async () => {
    const plan = { vantage: 'par', cycleStartedAt: 1, concurrency: 2, tasks: [{ target: 'lab', address: 'not-an-ip', port: 0 }] }
    const result = await probePlan(JSON.stringify(plan))
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('tasks[0].address:')
    expect(result.stderr).toContain('tasks[0].port:')
  })

  it('prints an empty list for a plan without tasks', async () => {
    const result = await probePlan(JSON.stringify({ vantage: 'par', cycleStartedAt: 1, concurrency: 2, tasks: [] }))
    expect(result).toEqual({ exitCode: 0, stdout: '[]\n', stderr: '' })
  })
})
