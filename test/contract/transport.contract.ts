// What every DnsTransport promises, whatever carries the bytes: the matching answer wins over strays,
// one deadline bounds the wait, failures come back as results and never as rejections.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { judgeReply } from '../../src/core/dns/decode.ts'
import { buildIdentityQuery, type BuiltQuery } from '../../src/core/dns/query.ts'
import type { DnsTransport } from '../../src/ports/transport.ts'
import { soaReply } from '../support/dns-replies.ts'
import { answer, startHostileResponder, type HostileResponder } from '../support/hostile-responder.ts'

const DEADLINE_MS = 300
const SLACK_MS = 1000

export function transportContract(make: () => DnsTransport, address: string): void {
  const transport = make()
  let responder: HostileResponder
  const query = (qname: string): BuiltQuery => buildIdentityQuery({ id: 0x2b2b, qname })
  const exchange = (built: BuiltQuery, port: number, deadlineMs = DEADLINE_MS) =>
    transport.exchange({ address, port, query: built.bytes, judge: (reply) => judgeReply(reply, built), signal: AbortSignal.timeout(deadlineMs) })

  beforeAll(async () => {
    // The first label of the query name says how to misbehave.
    responder = await startHostileResponder(
      (asked) => {
        const mode = asked.question.name.split('.')[0]
        if (mode === 'silent') return []
        if (mode === 'stray-first') return answer(asked, soaReply(asked, { id: asked.id ^ 0xffff, nsid: 'spoof' }), soaReply(asked, { nsid: 'node-1' }))
        return answer(asked, soaReply(asked, { nsid: 'node-1' }))
      },
      { address },
    )
  })
  afterAll(() => responder.stop())

  describe(`${transport.name} to ${address}`, () => {
    it('returns the answer with its round trip time', async () => {
      const result = await exchange(query('answer.example'), responder.port)
      expect(result).toMatchObject({ kind: 'answer', answer: { rcode: 0 }, ignoredReplies: 0 })
      if (result.kind !== 'answer') return
      expect(Buffer.from(result.answer.nsid ?? []).toString()).toBe('node-1')
      expect(result.rttMs).toBeGreaterThan(0)
      expect(result.connectMs === null).toBe(transport.name === 'udp')
    })

    it('ignores and counts a reply with another id, and takes the answer behind it', async () => {
      expect(await exchange(query('stray-first.example'), responder.port)).toMatchObject({ kind: 'answer', ignoredReplies: 1 })
    })

    it('ends at the deadline with a timeout when nothing comes back', async () => {
      const startedAt = performance.now()
      const result = await exchange(query('silent.example'), responder.port)
      const elapsedMs = performance.now() - startedAt
      expect(result).toMatchObject({ kind: 'no-answer', outcome: 'timeout' })
      expect(elapsedMs).toBeGreaterThanOrEqual(DEADLINE_MS - 5)
      expect(elapsedMs).toBeLessThan(DEADLINE_MS + SLACK_MS)
    })

    it('reports a closed port as a network error, not a timeout', async () => {
      const closed = await startHostileResponder(() => [], { address })
      await closed.stop()
      expect(await exchange(query('answer.example'), closed.port, 2000)).toMatchObject({ kind: 'no-answer', outcome: 'network-error' })
    })

    it('returns at once when the deadline has already passed', async () => {
      const built = query('answer.example')
      const signal = AbortSignal.abort()
      const result = await transport.exchange({ address, port: responder.port, query: built.bytes, judge: (reply) => judgeReply(reply, built), signal })
      expect(result).toMatchObject({ kind: 'no-answer', outcome: 'timeout' })
    })
  })
}
