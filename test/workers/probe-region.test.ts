// The ProbeRegion Durable Object through its real binding, inside workerd, against the DNS daemons and the
// scripted responder that global-setup.ts runs on loopback. Each test first swaps the object's socket opener
// for one that counts the sockets it opens and how many are open at once (runInDurableObject reaches the
// instance field; RPC cannot).
import { connect } from 'cloudflare:sockets'
import { runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, inject, it } from 'vitest'
import { createDurableObjectRunner, type RegionNamespace } from '../../src/adapters/runner/durable-object.ts'
import type { RegionResult } from '../../src/ports/region-probe.ts'
import type { ProbePlan, ProbeTask } from '../../src/ports/vantage-runner.ts'
import { probeLimitsOf } from '../../workers/src/probe-region.ts'
import { scenarioQname, type LoopbackDnsServer } from './fixtures.ts'

const sockets = { opened: 0, open: 0, peak: 0 }

const countingConnect: typeof connect = (address, options) => {
  const socket = connect(address, options)
  sockets.opened += 1
  sockets.open += 1
  sockets.peak = Math.max(sockets.peak, sockets.open)
  const closed = (): void => void (sockets.open -= 1)
  socket.closed.then(closed, closed)
  return socket
}

const LOOPBACK_ADDRESS = '127.0.0.1'
const PROBE_TIMEOUT_MS = 2_000
const STALL_TIMEOUT_MS = 300
const FREE_PLAN_SUBREQUESTS = 50
const MAX_CONNECTIONS = 6

const task = (fields: Partial<ProbeTask> & { port: number; qname: string }): ProbeTask => ({
  target: 'loopback', address: LOOPBACK_ADDRESS, transport: 'tcp', qtype: 'SOA', timeoutMs: PROBE_TIMEOUT_MS,
  udpPayloadBytes: 1232, identityFallback: true, ...fields,
})
const plan = (tasks: ProbeTask[]): ProbePlan => ({ vantage: 'cf-weur', cycleStartedAt: Date.now(), tasks, concurrency: 16 })
const region = () => env.PROBE_REGION.get(env.PROBE_REGION.idFromName('weur'), { locationHint: 'weur' })
const available = (servers: LoopbackDnsServer[]) => servers.flatMap((server) => (server.available ? [server] : []))

/** The report of an invocation that ran, or the test fails with the refusal. */
function ran(result: RegionResult) {
  if (!result.ok) throw new Error(result.error)
  return result
}

beforeEach(async () => {
  Object.assign(sockets, { opened: 0, open: 0, peak: 0 })
  await runInDurableObject(region(), (instance) => {
    ;(instance as unknown as { openSocket: typeof connect }).openSocket = countingConnect
  })
})

describe('the ProbeRegion Durable Object', () => {
  it('probes the loopback DNS daemons over TCP and reads their identities, reporting no colo locally', async (context) => {
    const servers = available(inject('dnsServers'))
    if (servers.length === 0) return context.skip('no DNS daemon on this machine')
    const before = Date.now()
    const report = ran(await region().runPlan(plan(servers.map((server) => task({ target: server.kind, port: server.port, qname: server.zone })))))
    expect(report.colo).toBeNull()
    expect(report.ranAt).toBeGreaterThanOrEqual(before)
    expect(report.observations).toEqual(
      servers.map((server) =>
        expect.objectContaining({
          vantage: 'cf-weur',
          target: server.kind,
          transport: 'tcp',
          outcome: 'ok',
          identity: expect.objectContaining({ source: server.expectedIdentity.source, text: server.expectedIdentity.text }),
        }),
      ),
    )
  })

  it('completes a plan with more probes than connections, queued, never holding more than 6 sockets open', async () => {
    const stalls = Array.from({ length: 14 }, () => task({ port: inject('responderPort'), qname: scenarioQname('stall'), timeoutMs: STALL_TIMEOUT_MS }))
    const report = ran(await region().runPlan(plan(stalls)))
    expect(report.observations.map((o) => o.outcome)).toEqual(stalls.map(() => 'timeout'))
    expect(sockets.opened).toBe(14)
    expect(sockets.peak).toBe(MAX_CONNECTIONS)
  })

  it('returns error observations for a closed port while the other targets answer', async () => {
    const answer = task({ target: 'up', port: inject('responderPort'), qname: scenarioQname('answer') })
    const closed = task({ target: 'down', port: inject('closedPort'), qname: scenarioQname('answer') })
    const report = ran(await region().runPlan(plan([answer, closed, answer, closed])))
    expect(report.observations.map((o) => [o.target, o.outcome])).toEqual([
      ['up', 'ok'],
      ['down', 'network-error'],
      ['up', 'ok'],
      ['down', 'network-error'],
    ])
    expect(report.observations[1]).toMatchObject({ connectMs: null, rttMs: null, identity: null, error: expect.any(String) })
  })

  it('refuses a plan whose worst case exceeds its subrequest budget, naming the numbers, and opens no socket', async () => {
    const tasks = Array.from({ length: 17 }, () => task({ port: inject('responderPort'), qname: scenarioQname('answer') }))
    expect(await region().runPlan(plan(tasks))).toEqual({
      ok: false,
      error: 'plan for cf-weur refused: its 17 tasks can make up to 51 connect() calls, over the budget of 50 per invocation; split it into 2 invocations first',
    })
    expect(sockets.opened).toBe(0)
  })

  it('refuses an invalid plan, naming the field', async () => {
    const result = await region().runPlan({ ...plan([]), concurrency: 0 })
    expect(result).toEqual({ ok: false, error: expect.stringMatching(/^ProbeRegion: invalid plan at concurrency: /) })
  })
})

describe('the Durable Object runner on the real binding', () => {
  /** The binding, with the sockets each invocation opened recorded (invocations run one after the other). */
  function countingNamespace() {
    const perInvocation: { tasks: number; sockets: number }[] = []
    const namespace: RegionNamespace<DurableObjectId> = {
      idFromName: (name) => env.PROBE_REGION.idFromName(name),
      get: (id, options) => {
        const stub = env.PROBE_REGION.get(id, options)
        return {
          runPlan: async (sent) => {
            const before = sockets.opened
            const report = await stub.runPlan(sent)
            perInvocation.push({ tasks: sent.tasks.length, sockets: sockets.opened - before })
            return report
          },
        }
      },
    }
    return { namespace, perInvocation }
  }

  it('splits a plan over the free plan budget into invocations that each stay within it', async (context) => {
    const server = available(inject('dnsServers')).find((candidate) => candidate.expectedIdentity.source === 'hostname.bind')
    if (!server) return context.skip('no daemon that answers hostname.bind without NSID (bind-hostname) on this machine')
    const { namespace, perInvocation } = countingNamespace()
    const limits = probeLimitsOf(env)
    expect(limits).toEqual({ maxConnections: MAX_CONNECTIONS, subrequestBudget: FREE_PLAN_SUBREQUESTS, invocationMarginMs: 1_000 })
    const runner = createDurableObjectRunner({ vantage: 'cf-weur', locationHint: 'weur', namespace, limits })
    // Each probe asks NSID, gets none, then asks hostname.bind: two sockets, 60 for the plan, more than one invocation may open.
    const tasks = Array.from({ length: 30 }, (_, index) => task({ target: `t${index}`, port: server.port, qname: server.zone }))
    const run = await runner.runWithReport(plan(tasks), new AbortController().signal)
    expect(perInvocation).toEqual([{ tasks: 16, sockets: 32 }, { tasks: 14, sockets: 28 }])
    expect(run.invocations.map((invocation) => invocation.colo)).toEqual([null, null])
    expect(run.observations.map((o) => [o.target, o.outcome, o.identity?.source])).toEqual(tasks.map((t) => [t.target, 'ok', 'hostname.bind']))
  })

  it('refuses before calling when a single task cannot fit the budget', async () => {
    const { namespace, perInvocation } = countingNamespace()
    const runner = createDurableObjectRunner({ vantage: 'cf-weur', locationHint: 'weur', namespace, limits: { maxConnections: MAX_CONNECTIONS, subrequestBudget: 2 } })
    const run = runner.run(plan([task({ port: inject('responderPort'), qname: scenarioQname('answer') })]), new AbortController().signal)
    await expect(run).rejects.toThrow(/^runner:durable-object:cf-weur \(weur\): plan refused: task 0 can make up to 3 connect\(\) calls.*budget of 2 per invocation$/)
    expect(perInvocation).toEqual([])
  })
})
