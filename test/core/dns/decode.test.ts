import { describe, expect, it } from 'vitest'
import { identityOf, judgeReply } from '../../../src/core/dns/decode.ts'
import { buildChaosQuery, buildIdentityQuery } from '../../../src/core/dns/query.ts'
import { chaosTxtReply, emptyReply, soaReply } from '../../support/dns-replies.ts'
import { hexFixture } from '../../support/hex-fixture.ts'

const query = buildIdentityQuery({ id: 0x1234, qname: 'example' })

describe('judging a reply', () => {
  it('accepts a response to our question and hands back the NSID bytes', () => {
    const verdict = judgeReply(soaReply(query, { nsid: 'fra-1' }), query)
    expect(verdict).toMatchObject({ accepted: true, answer: { rcode: 0, truncated: false } })
    if (!verdict.accepted) return
    expect(identityOf(verdict.answer, query.question)).toEqual({ source: 'nsid', hex: '6672612d31', text: 'fra-1' })
  })

  it('matches the echoed name case-insensitively (0x20 randomisation, upper-casing servers)', () => {
    expect(judgeReply(soaReply(query, { question: { name: 'EXAMPLE' } }), query).accepted).toBe(true)
  })

  it.each([
    ['a query echoed back (QR=0)', soaReply(query, { isResponse: false }), /QR=0/],
    ['another transaction id', soaReply(query, { id: 0x4321 }), /id 17185 is not query id 4660/],
    ['another name', soaReply(query, { question: { name: 'example.org' } }), /question example.org IN SOA/],
    ['another type', emptyReply(query, { question: { type: 'NS' } }), /question example IN NS/],
    ['another class', emptyReply(query, { question: { class: 'CH' } }), /question example CH SOA/],
    ['a NOERROR reply without the question', soaReply(query, { omitQuestion: true }), /no question section/],
  ])('rejects %s as a mismatch', (_case, bytes, detail) => {
    const verdict = judgeReply(bytes, query)
    expect(verdict).toMatchObject({ accepted: false, reason: 'mismatch' })
    if (!verdict.accepted) expect(verdict.detail).toMatch(detail)
  })

  it('accepts an error reply that dropped the question, as FORMERR and NOTIMP replies may', () => {
    expect(judgeReply(emptyReply(query, { omitQuestion: true, rcode: 1 }), query)).toMatchObject({ accepted: true, answer: { rcode: 1 } })
  })

  it('rejects a packet cut inside the NSID option, which dns-packet alone would accept with a shorter NSID', () => {
    const whole = soaReply(query, { nsid: 'a-long-node-identity' })
    const verdict = judgeReply(whole.subarray(0, whole.length - 3), query)
    expect(verdict).toMatchObject({ accepted: false, reason: 'malformed' })
    if (!verdict.accepted) expect(verdict.detail).toMatch(/truncated/)
  })

  it('rejects anything shorter than a header, and garbage, as malformed without throwing', () => {
    expect(judgeReply(new Uint8Array([0x12, 0x34, 0x80]), query)).toMatchObject({ accepted: false, reason: 'malformed' })
    expect(judgeReply(new Uint8Array(64).fill(0xc0), query)).toMatchObject({ accepted: false, reason: 'malformed' })
  })

  it('reports the extended RCODE: BADVERS is 16, not NOERROR', () => {
    expect(judgeReply(soaReply(query, { extendedRcode: 1 }), query)).toMatchObject({ accepted: true, answer: { rcode: 16 } })
  })

  it('reports the TC bit', () => {
    expect(judgeReply(emptyReply(query, { truncated: true }), query)).toMatchObject({ accepted: true, answer: { truncated: true } })
  })
})

describe('identity of an answer', () => {
  it('reads hostname.bind from a real K-root capture', () => {
    const chaos = buildChaosQuery({ id: 0x88ee, name: 'hostname.bind' })
    const verdict = judgeReply(hexFixture('response-k-root-hostname-bind'), chaos)
    expect(verdict.accepted).toBe(true)
    if (!verdict.accepted) return
    expect(identityOf(verdict.answer, chaos.question)).toEqual({
      source: 'hostname.bind',
      hex: Buffer.from('ns1.fi-hel.k.ripe.net').toString('hex'),
      text: 'ns1.fi-hel.k.ripe.net',
    })
  })

  it('joins the character-strings of a TXT answer', () => {
    const chaos = buildChaosQuery({ id: 7, name: 'id.server' })
    const verdict = judgeReply(chaosTxtReply(chaos, ['ams', '-2']), chaos)
    if (!verdict.accepted) throw new Error(verdict.detail)
    expect(identityOf(verdict.answer, chaos.question)?.text).toBe('ams-2')
  })

  it('keeps non-printable NSID bytes as hex only', () => {
    const verdict = judgeReply(soaReply(query, { nsid: new Uint8Array([0x66, 0x00, 0x1b, 0xff]) }), query)
    if (!verdict.accepted) throw new Error(verdict.detail)
    expect(identityOf(verdict.answer, query.question)).toEqual({ source: 'nsid', hex: '66001bff', text: null })
  })

  it('is absent when the answer has no NSID, which is not the same as no answer', () => {
    const verdict = judgeReply(soaReply(query), query)
    expect(verdict.accepted).toBe(true)
    if (verdict.accepted) expect(identityOf(verdict.answer, query.question)).toBeNull()
  })

  it('is absent for an empty NSID option and for a NODATA CHAOS answer', () => {
    const empty = judgeReply(soaReply(query, { nsid: new Uint8Array(0) }), query)
    if (empty.accepted) expect(identityOf(empty.answer, query.question)).toBeNull()
    const chaos = buildChaosQuery({ id: 9, name: 'id.server' })
    const nodata = judgeReply(emptyReply(chaos), chaos)
    if (!nodata.accepted) throw new Error(nodata.detail)
    expect(identityOf(nodata.answer, chaos.question)).toBeNull()
  })
})
