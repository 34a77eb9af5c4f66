import { describe, expect, it } from 'vitest'
import { createMemoryTransport, type MemoryReply } from '../../src/adapters/transport/memory.ts'
import { runProbe, type ProbeDeps, type ProbeRequest } from '../../src/app/probe.ts'
import { decodeMessage } from '../../src/core/dns/wire.ts'
import { chaosTxtReply, soaReply, type ReplyOptions } from '../support/dns-replies.ts'

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0)
const request: ProbeRequest = { vantage: 'fra', address: '198.51.100.53', port: 53, transport: 'udp', qname: 'example', timeoutMs: 500 }

interface SeenQuery { id: number; name: string; class: string; transport: string }

/** A node that answers each question the way `answer` says; records what it was asked. */
type NodeAnswer = (ReplyOptions & { txt?: string[] }) | 'silence' | MemoryReply

function node(answer: (q: SeenQuery) => NodeAnswer) {
  const asked: string[] = []
  const respond = (transport: string) => (bytes: Uint8Array): MemoryReply => {
    const decoded = decodeMessage(bytes)
    if (!decoded.ok) throw new Error(decoded.error)
    const question = decoded.message.questions[0]!
    const seen = { id: decoded.message.id, name: question.name, class: question.class, transport }
    asked.push(`${transport} ${question.class} ${question.name}`)
    const spec = answer(seen)
    if (spec === 'silence') return { kind: 'silence' }
    if ('kind' in spec) return spec
    const query = { id: seen.id, question }
    const replyBytes = spec.txt ? chaosTxtReply(query, spec.txt, spec) : soaReply(query, spec)
    return { kind: 'replies', replies: [replyBytes], rttMs: 12.5 }
  }
  const deps: ProbeDeps = {
    transports: { udp: createMemoryTransport('udp', respond('udp')), tcp: createMemoryTransport('tcp', respond('tcp')) },
    clock: { nowMs: () => NOW, monotonicMs: () => 0 },
    random: () => 0.25,
  }
  return { deps, asked }
}

describe('a probe', () => {
  it('names the node from the NSID of the IN answer and asks nothing else', async () => {
    const { deps, asked } = node(() => ({ nsid: 'fra-1' }))
    const observation = await runProbe(deps, request)
    expect(observation).toEqual({
      observedAt: NOW, vantage: 'fra', target: '198.51.100.53', address: '198.51.100.53', port: 53, qname: 'example', transport: 'udp',
      outcome: 'ok', rcode: 0, rttMs: 12.5, connectMs: null,
      identity: { source: 'nsid', hex: '6672612d31', text: 'fra-1' },
      retriedOverTcp: false, ignoredReplies: 0, error: null,
    })
    expect(asked).toEqual(['udp IN example'])
  })

  it('falls back to CHAOS hostname.bind when the answer has no NSID', async () => {
    const { deps, asked } = node((q) => (q.class === 'CH' ? { txt: ['bind-ams-1'] } : {}))
    const observation = await runProbe(deps, request)
    expect(observation.identity).toEqual({ source: 'hostname.bind', hex: Buffer.from('bind-ams-1').toString('hex'), text: 'bind-ams-1' })
    expect(asked).toEqual(['udp IN example', 'udp CH hostname.bind'])
  })

  it('tries id.server when hostname.bind is refused', async () => {
    const { deps, asked } = node((q) => (q.name === 'hostname.bind' ? { rcode: 5 } : q.class === 'CH' ? { txt: ['pdns-lhr-3'] } : {}))
    const observation = await runProbe(deps, request)
    expect(observation.identity?.source).toBe('id.server')
    expect(asked).toEqual(['udp IN example', 'udp CH hostname.bind', 'udp CH id.server'])
  })

  it('answers without identity when every source is silent about it, which is not a failure', async () => {
    const { deps } = node((q) => (q.class === 'CH' ? 'silence' : {}))
    const observation = await runProbe(deps, request)
    expect(observation).toMatchObject({ outcome: 'ok', rcode: 0, identity: null, error: null })
  })

  it('does not fall back when told not to', async () => {
    const { deps, asked } = node(() => ({}))
    await runProbe(deps, { ...request, identityFallback: false })
    expect(asked).toEqual(['udp IN example'])
  })

  it('retries a truncated UDP answer over TCP and keeps the answer from TCP', async () => {
    const { deps, asked } = node((q) => (q.transport === 'udp' ? { truncated: true } : { nsid: 'ams-2' }))
    const observation = await runProbe(deps, request)
    expect(observation).toMatchObject({ transport: 'udp', retriedOverTcp: true, outcome: 'ok', connectMs: 0, identity: { text: 'ams-2' } })
    expect(asked).toEqual(['udp IN example', 'tcp IN example'])
  })

  it('reports silence as a timeout with no rcode, no RTT and no identity', async () => {
    const { deps, asked } = node(() => 'silence')
    const observation = await runProbe(deps, request)
    expect(observation).toMatchObject({ outcome: 'timeout', rcode: null, rttMs: null, identity: null })
    expect(observation.error).toMatch(/deadline/)
    expect(asked).toEqual(['udp IN example'])
  })

  it('says what arrived when only mismatching replies came back', async () => {
    const { deps } = node((q) => ({ kind: 'replies', replies: [soaReply({ id: q.id, question: { name: q.name, type: 'SOA', class: q.class } }, { id: 1 })], rttMs: 1 }))
    const observation = await runProbe(deps, { ...request })
    expect(observation).toMatchObject({ outcome: 'mismatch', ignoredReplies: 1 })
    expect(observation.error).toMatch(/reply id 1 is not query id 16384/)
  })

  it.each([
    [2, 'servfail'],
    [5, 'refused'],
    [3, 'rcode-error'],
  ] as const)('maps RCODE %i to %s and still records the identity', async (rcode, outcome) => {
    const { deps } = node(() => ({ rcode, nsid: 'lhr-1' }))
    const observation = await runProbe(deps, request)
    expect(observation).toMatchObject({ outcome, rcode, identity: { text: 'lhr-1' } })
  })

  it('reports a network refusal as a network error', async () => {
    const { deps } = node(() => ({ kind: 'network-error', error: 'ECONNREFUSED' }))
    expect(await runProbe(deps, request)).toMatchObject({ outcome: 'network-error', error: 'ECONNREFUSED' })
  })

  it('resolves the site through the given site table', async () => {
    const { deps } = node(() => ({ nsid: 'fra-1' }))
    const observation = await runProbe(deps, { ...request, siteOf: (identity) => (identity?.text?.startsWith('fra') ? 'fra' : 'unknown') })
    expect(observation.site).toBe('fra')
  })

  it('returns a network error observation when the runtime has no transport of that kind', async () => {
    const { deps } = node(() => ({}))
    delete deps.transports.udp
    expect(await runProbe(deps, request)).toMatchObject({ outcome: 'network-error', error: 'no udp transport in this runtime' })
  })
})
