import { describe, expect, it } from 'vitest'
import {
  collapsePrepends,
  flattenAsPath,
  normaliseCollector,
  normaliseCommunities,
  normaliseLargeCommunities,
  originOfHops,
  originsOf,
  parseAsn,
  parseAsPathHops,
  parseDataTime,
  parseSourceId,
  totalsOf,
  upstreamOf,
} from '../../../src/core/bgp/model.ts'
import { envelopeProblem, rpkiStatusOf } from '../../../src/core/bgp/ripestat-normalise.ts'
import { RipestatEnvelopeSchema } from '../../../src/core/bgp/ripestat-schemas.ts'
import { route } from '../../support/bgp.ts'

describe('BGP normalisers', () => {
  it('read an ASN given as an integer, a string or "AS..." and refuse anything else', () => {
    expect([64500, '64500', ' AS64500 ', 'as4200000000'].map(parseAsn)).toEqual([64500, 64500, 64500, 4_200_000_000])
    expect([-1, 1.5, 4_294_967_296, '', 'AS', '64500x', null, undefined, {}].map(parseAsn)).toEqual(Array(9).fill(null))
  })

  it('read communities as a space-separated string, "a:b" strings or [a, b] pairs, the same way', () => {
    const expected = ['64500:1', '65535:666']
    expect(normaliseCommunities('64500:1 65535:666')).toEqual(expected)
    expect(normaliseCommunities(['64500:1', '65535:666'])).toEqual(expected)
    expect(normaliseCommunities([[64500, 1], ['65535', '666']])).toEqual(expected)
  })

  it('drop malformed or out-of-range communities and repeats, and read nothing from nothing', () => {
    expect(normaliseCommunities('64500:1 64500:1 65536:1 1:2:3 x:y  ')).toEqual(['64500:1'])
    expect(normaliseCommunities('')).toEqual([])
    expect(normaliseCommunities(null)).toEqual([])
  })

  it('read large communities as "a:b:c" from strings or triples', () => {
    expect(normaliseLargeCommunities('4200000000:1:2')).toEqual(['4200000000:1:2'])
    expect(normaliseLargeCommunities([[64500, 1, 1]])).toEqual(['64500:1:1'])
    expect(normaliseLargeCommunities('64500:1')).toEqual([])
  })

  it('read paths as text, integers or strings, with an AS_SET origin left ambiguous', () => {
    const text = parseAsPathHops('3333 1299 {64500,64501}')
    expect(text).toEqual([3333, 1299, [64500, 64501]])
    expect(flattenAsPath(text)).toEqual([3333, 1299, 64500, 64501])
    expect(originOfHops(text)).toBeNull()
    expect(parseAsPathHops([58299, '49981', [1, 2]])).toEqual([58299, 49981, [1, 2]])
    expect(originOfHops(parseAsPathHops(['64496', '64500']))).toBe(64500)
  })

  it("find a route's upstream as the AS next to the origin, prepends ignored", () => {
    expect(collapsePrepends([1, 2, 2, 3, 3, 3])).toEqual([1, 2, 3])
    expect(upstreamOf([34854, 6939, 1853, 1853, 1205])).toBe(1853)
    expect(upstreamOf([1205, 1205])).toBeNull()
  })

  it('name collectors the same whatever the source: RRC00, rrc25.ripe.net, a source_id number', () => {
    expect(['RRC00', 'rrc25.ripe.net', '0', '21', 'lg-fra'].map(normaliseCollector)).toEqual(['rrc00', 'rrc25', 'rrc00', 'rrc21', 'lg-fra'])
  })

  it('split a source_id on its first hyphen, so IPv6 peers stay whole', () => {
    expect(parseSourceId('00-2001:db8::1')).toEqual({ collector: 'rrc00', peerIp: '2001:db8::1' })
    expect(parseSourceId('nohyphen')).toBeNull()
  })

  it('read times without a zone as UTC, BIRD times with a space, epoch seconds as numbers', () => {
    expect(parseDataTime('2021-04-15T12:51:04')).toBe(Date.UTC(2021, 3, 15, 12, 51, 4))
    expect(parseDataTime('2021-04-15T12:51:04.500+02:00')).toBe(Date.UTC(2021, 3, 15, 10, 51, 4, 500))
    expect(parseDataTime('2026-01-05 08:00:00')).toBe(Date.UTC(2026, 0, 5, 8))
    expect(parseDataTime(1640553894.84)).toBe(1640553894840)
    expect(parseDataTime('yesterday')).toBeNull()
  })

  it('count peers seeing the prefix per collector, and origins by peers', () => {
    const routes = [route('1 64500'), route('2 64500', { collector: 'rrc01' }), route('3 64511')]
    expect(totalsOf(routes, 10, new Map([['rrc02', 4]]))).toEqual({
      peersSeeing: 3,
      peersTotal: 10,
      byCollector: [
        { collector: 'rrc00', peersSeeing: 2, peersTotal: null },
        { collector: 'rrc01', peersSeeing: 1, peersTotal: null },
        { collector: 'rrc02', peersSeeing: 0, peersTotal: 4 },
      ],
    })
    expect(originsOf(routes)).toEqual([
      { originAsn: 64500, peers: 2 },
      { originAsn: 64511, peers: 1 },
    ])
  })
})

describe('the RIPEstat envelope', () => {
  const envelope = (fields: object) => RipestatEnvelopeSchema.parse({ status: 'ok', status_code: 200, messages: [], data: {}, ...fields })

  it('is fine with status ok, code 200 and only info or warning messages', () => {
    expect(envelopeProblem(envelope({ messages: [['info', 'x'], ['warning', 'query time changed']] }))).toBeNull()
  })

  it('is a failure with another status, another status_code, or an error message, which it quotes', () => {
    expect(envelopeProblem(envelope({ status: 'error', status_code: 400, messages: [['error', 'unsupported type IpAddress']] }))).toBe(
      'status "error" (status_code 400): error: unsupported type IpAddress',
    )
    expect(envelopeProblem(envelope({ status_code: 500 }))).toBe('status "ok" (status_code 500)')
    expect(envelopeProblem(envelope({ messages: [['error', 'boom']] }))).toMatch(/error: boom/)
  })

  it('reads RPKI verdicts into valid, invalid or unknown', () => {
    expect(['valid', 'invalid_asn', 'invalid_length', 'Invalid', 'unknown', 'not-found'].map(rpkiStatusOf)).toEqual([
      'valid',
      'invalid',
      'invalid',
      'invalid',
      'unknown',
      'unknown',
    ])
  })
})
