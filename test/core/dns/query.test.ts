import { describe, expect, it } from 'vitest'
import { buildChaosQuery, buildIdentityQuery, transactionId } from '../../../src/core/dns/query.ts'
import { decodeMessage } from '../../../src/core/dns/wire.ts'
import { hex, hexFixture } from '../../support/hex-fixture.ts'

describe('query builder', () => {
  it('builds IN SOA with an empty NSID option in an OPT record of payload 1232, byte for byte', () => {
    const query = buildIdentityQuery({ id: 0x1234, qname: 'example' })
    expect(hex(query.bytes)).toBe(hex(hexFixture('query-in-soa-example-nsid')))
  })

  it('treats a trailing dot as the same name', () => {
    expect(hex(buildIdentityQuery({ id: 0x1234, qname: 'example.' }).bytes)).toBe(hex(hexFixture('query-in-soa-example-nsid')))
  })

  it('encodes the root zone and a custom payload size', () => {
    const query = buildIdentityQuery({ id: 0xffff, qname: '.', udpPayloadBytes: 4096 })
    expect(hex(query.bytes)).toBe(hex(hexFixture('query-in-soa-root-nsid-4096')))
  })

  it('builds plain CHAOS TXT queries for hostname.bind and id.server', () => {
    expect(hex(buildChaosQuery({ id: 0xbeef, name: 'hostname.bind' }).bytes)).toBe(hex(hexFixture('query-ch-txt-hostname-bind')))
    expect(hex(buildChaosQuery({ id: 1, name: 'id.server' }).bytes)).toBe(hex(hexFixture('query-ch-txt-id-server')))
  })

  it('round-trips through the decoder with the question and NSID request intact', () => {
    const query = buildIdentityQuery({ id: 42, qname: 'Example.NET', qtype: 'NS' })
    const decoded = decodeMessage(query.bytes)
    expect(decoded.ok).toBe(true)
    if (!decoded.ok) return
    expect(decoded.message).toMatchObject({
      id: 42,
      isResponse: false,
      questions: [{ name: 'Example.NET', type: 'NS', class: 'IN' }],
      opt: { udpPayloadBytes: 1232, options: [{ code: 3, data: new Uint8Array(0) }] },
    })
    expect(decoded.trailingBytes).toBe(0)
  })

  it('draws 16-bit transaction ids from the injected randomness', () => {
    expect(transactionId(() => 0)).toBe(0)
    expect(transactionId(() => 0.5)).toBe(0x8000)
    expect(transactionId(() => 0.9999999)).toBe(0xffff)
  })
})
