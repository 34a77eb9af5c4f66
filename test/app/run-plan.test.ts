import { describe, expect, it } from 'vitest'
import { createMemoryTransport } from '../../src/adapters/transport/memory.ts'
import type { ProbeDeps } from '../../src/app/probe.ts'
import { runPlan } from '../../src/app/run-plan.ts'
import { decodeMessage } from '../../src/core/dns/wire.ts'
import type { ProbePlan, ProbeTask } from '../../src/ports/vantage-runner.ts'
import { soaReply } from '../support/dns-replies.ts'

const task = (address: string, transport: 'udp' | 'tcp' = 'udp'): ProbeTask => ({
  target: 'lab', address, port: 53, transport, qname: 'example', qtype: 'SOA', timeoutMs: 500, udpPayloadBytes: 1232, identityFallback: false,
})

/** Every address answers with an NSID naming itself; records how many probes were in flight at once. */
function nodesByAddress() {
  let inFlight = 0
  let maxInFlight = 0
  const respond = (bytes: Uint8Array, to: { address: string }) => {
    const decoded = decodeMessage(bytes)
    if (!decoded.ok) throw new Error(decoded.error)
    const reply = soaReply({ id: decoded.message.id, question: decoded.message.questions[0]! }, { nsid: `node-${to.address}` })
    return { kind: 'replies' as const, replies: [reply], rttMs: 1 }
  }
  const transport = (name: 'udp' | 'tcp') => {
    const memory = createMemoryTransport(name, respond)
    return { name, exchange: async (exchange: Parameters<typeof memory.exchange>[0]) => {
      inFlight += 1
      maxInFlight = Math.max(maxInFlight, inFlight)
      await new Promise((resolve) => setTimeout(resolve, 5))
      const result = await memory.exchange(exchange)
      inFlight -= 1
      return result
    } }
  }
  const deps: ProbeDeps = { transports: { udp: transport('udp'), tcp: transport('tcp') }, clock: { nowMs: () => 1, monotonicMs: () => 0 }, random: () => 0.5 }
  return { deps, maxInFlight: () => maxInFlight }
}

describe('running a probe plan', () => {
  it('returns one observation per task, in task order, labelled with the target and vantage', async () => {
    const { deps } = nodesByAddress()
    const plan: ProbePlan = { vantage: 'par', cycleStartedAt: 1, concurrency: 4, tasks: [task('192.0.2.1'), task('2001:db8::1', 'tcp'), task('192.0.2.3')] }
    const observations = await runPlan(deps, plan)
    expect(observations.map((o) => [o.vantage, o.target, o.address, o.transport, o.identity?.text])).toEqual([
      ['par', 'lab', '192.0.2.1', 'udp', 'node-192.0.2.1'],
      ['par', 'lab', '2001:db8::1', 'tcp', 'node-2001:db8::1'],
      ['par', 'lab', '192.0.2.3', 'udp', 'node-192.0.2.3'],
    ])
  })

  it('keeps at most `concurrency` probes in flight', async () => {
    const { deps, maxInFlight } = nodesByAddress()
    const tasks = Array.from({ length: 12 }, (_, index) => task(`192.0.2.${index + 1}`))
    await runPlan(deps, { vantage: 'par', cycleStartedAt: 1, concurrency: 3, tasks })
    expect(maxInFlight()).toBe(3)
  })

  it('turns a probe that throws into a network-error observation and keeps the others', async () => {
    const { deps } = nodesByAddress()
    const exchange = deps.transports.udp!.exchange
    const udp = { name: 'udp' as const, exchange: (e: Parameters<typeof exchange>[0]) => (e.address === '192.0.2.2' ? Promise.reject(new Error('bug')) : exchange(e)) }
    const tasks = ['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((address) => task(address))
    const observations = await runPlan({ ...deps, transports: { ...deps.transports, udp } }, { vantage: 'par', cycleStartedAt: 1, concurrency: 2, tasks })
    expect(observations.map((o) => [o.address, o.outcome, o.error])).toEqual([
      ['192.0.2.1', 'ok', null],
      ['192.0.2.2', 'network-error', 'probe failed inside the vantage: bug'],
      ['192.0.2.3', 'ok', null],
    ])
    expect(observations[1]).toMatchObject({ vantage: 'par', target: 'lab', transport: 'udp', rcode: null, identity: null })
  })

  it('returns nothing for an empty plan', async () => {
    expect(await runPlan(nodesByAddress().deps, { vantage: 'par', cycleStartedAt: 1, concurrency: 3, tasks: [] })).toEqual([])
  })
})
