// Every sample in test/fixtures/bgp/ (copied from shared/fixtures, plus constructed birdwatcher
// bodies) parses with the schema of its endpoint and normalises to the values it shows. The
// *.from-docs.json files hold placeholders like "<int: ms>": they are instantiated with a value of the
// announced type first, so that what is checked is their shape.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { BirdwatcherProtocolsSchema, BirdwatcherRoutesSchema, birdwatcherDataAt, routesOfBirdwatcher, sessionsOf } from '../../../src/core/bgp/birdwatcher.ts'
import { RisLiveMessageSchema, eventsOfRisMessage } from '../../../src/core/bgp/ris-live.ts'
import {
  dumpVisibilityOf,
  lookingGlassView,
  parseRipestatBody,
  rpkiCheckOf,
  updatesOf,
  type RipestatParse,
} from '../../../src/core/bgp/ripestat-normalise.ts'
import { RIPESTAT_DATA_SCHEMAS, type RipestatDataCall } from '../../../src/core/bgp/ripestat-schemas.ts'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/bgp')

function jsonFiles(dir: string): string[] {
  return readdirSync(join(FIXTURES, dir))
    .filter((name) => name.endsWith('.json'))
    .map((name) => `${dir}/${name}`)
}

function load(path: string): unknown {
  const json = JSON.parse(readFileSync(join(FIXTURES, path), 'utf8')) as unknown
  return path.endsWith('.from-docs.json') ? instantiate(json) : json
}

/** A value of the type a docs placeholder announces; the order matters ("string|int: ASN" before "<int"). */
function placeholderValue(placeholder: string): unknown {
  const rules: [RegExp, unknown][] = [
    [/bool/, true],
    [/string\|int: ASN/, 64500],
    [/ASN/, '64500'],
    [/^<int/, 1],
    [/^<float/, 1.5],
    [/ISO8601/, '2026-01-05T12:00:00'],
    [/rrc number\]-\[peer IP/, '00-2001:db8::1'],
    [/asn:value/, '64500:1'],
    [/RRC id/, 'RRC00'],
    [/prefix/, '192.0.2.0/24'],
  ]
  return rules.find(([pattern]) => pattern.test(placeholder))?.[1] ?? 'text'
}

/** The field name says more than a bare "<string>" (the second bgp-updates entry's source_id). */
const VALUE_BY_FIELD: Record<string, string> = { source_id: '00-2001:db8::1' }

function instantiate(value: unknown, field = ''): unknown {
  if (typeof value === 'string') return /^<.*>$/.test(value) ? (VALUE_BY_FIELD[field] ?? placeholderValue(value)) : value
  if (Array.isArray(value)) return value.map((item) => instantiate(item, field))
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, instantiate(item, key)]))
  return value
}

function ripestat<C extends RipestatDataCall>(call: C, path: string): Extract<RipestatParse<C>, { ok: true }>['data'] {
  const parsed = parseRipestatBody(call, load(path))
  if (!parsed.ok) throw new Error(parsed.error)
  return parsed.data
}

const ripestatFiles = jsonFiles('ripestat')
const risLiveFiles = jsonFiles('ris-live')

describe('the BGP fixtures', () => {
  it('are all here, and each RIPEstat file is named after a data call with a schema', () => {
    expect(ripestatFiles.length).toBe(8)
    expect(risLiveFiles.length).toBe(2)
    for (const path of ripestatFiles) expect(Object.keys(RIPESTAT_DATA_SCHEMAS)).toContain(path.split('/')[1]?.split('.')[0])
  })

  it.each(ripestatFiles)('%s parses as its data call, envelope judged ok', (path) => {
    const call = path.split('/')[1]?.split('.')[0] as RipestatDataCall
    expect(parseRipestatBody(call, load(path))).toMatchObject({ ok: true })
  })

  it.each(risLiveFiles)('%s parses as a RIS Live ris_message', (path) => {
    expect(RisLiveMessageSchema.safeParse(load(path)).success).toBe(true)
  })

  it.each([
    ['birdwatcher/routes-prefix.constructed.json', BirdwatcherRoutesSchema],
    ['birdwatcher/protocols-bgp.constructed.json', BirdwatcherProtocolsSchema],
  ] as const)('%s parses as birdwatcher', (path, schema) => {
    expect(schema.safeParse(load(path)).success).toBe(true)
  })
})

describe('normalising the real samples', () => {
  it('reads the looking-glass peer: collector, peer, path, origin (a string ASN), community string, times in UTC', () => {
    const view = lookingGlassView(ripestat('looking-glass', 'ripestat/looking-glass.sample.json'))
    expect(view.collectors).toEqual(['rrc00'])
    expect(view.dataAt).toBe(Date.UTC(2021, 3, 15, 12, 51, 4))
    expect(view.routes).toEqual([
      {
        collector: 'rrc00',
        peerIp: '2.56.11.1',
        peerAsn: 34854,
        asPath: [34854, 6939, 1853, 1853, 1205],
        originAsn: 1205,
        communities: ['34854:1009'],
        largeCommunities: [],
        changedAt: Date.UTC(2021, 3, 15, 8, 21, 7),
      },
    ])
  })

  it('reads routing-status visibility for the family of the prefix asked', () => {
    const data = ripestat('routing-status', 'ripestat/routing-status.sample.json')
    expect(dumpVisibilityOf(data, '130.38.0.0/16')).toEqual({ peersSeeing: 328, peersTotal: 328, at: Date.UTC(2021, 4, 15, 8) })
    expect(dumpVisibilityOf(data, '2001:1840:c000::/44')).toEqual({ peersSeeing: 339, peersTotal: 339, at: Date.UTC(2021, 4, 15, 8) })
  })

  it('reads the routing-status of a prefix from the docs shape, with an integer origin', () => {
    const data = ripestat('routing-status', 'ripestat/routing-status.prefix.from-docs.json')
    expect(data.origins?.[0]?.origin).toBe(64500)
    expect(dumpVisibilityOf(data, '192.0.2.0/24')).toMatchObject({ peersSeeing: 1, peersTotal: 1 })
  })

  it('reads rpki-validation status valid, with routinator as validator', () => {
    const data = ripestat('rpki-validation', 'ripestat/rpki-validation.sample.json')
    expect(rpkiCheckOf(data, 398826)).toEqual({ originAsn: 398826, status: 'valid', detail: 'valid', validator: 'routinator' })
    expect(data.validating_roas?.map((roa) => roa.validity)).toEqual(['valid', 'invalid_asn'])
  })

  it('reads bgp-updates from the docs shape: an announcement with path and community, a withdrawal, an IPv6 peer in source_id', () => {
    const updates = updatesOf(ripestat('bgp-updates', 'ripestat/bgp-updates.from-docs.json'), { from: 0, until: 1 })
    expect(updates.events.map((event) => [event.type, event.collector, event.peerIp, event.asPath, event.communities])).toEqual([
      ['announce', 'rrc00', '2001:db8::1', [1, 1, 1], ['64500:1']],
      ['withdraw', 'rrc00', '2001:db8::1', [], []],
    ])
  })

  it('turns RIS Live [asn, value] community pairs into "asn:value" and the host into a collector', () => {
    const message = RisLiveMessageSchema.parse(load('ris-live/ris_message.update-announce-communities.rrc01.sample.json'))
    const [event] = eventsOfRisMessage(message)
    expect(event).toMatchObject({ type: 'announce', collector: 'rrc01', peerIp: '195.66.226.38', prefix: '102.66.116.0/24', at: 1640553894840 })
    expect(event?.communities.slice(0, 4)).toEqual(['0:5713', '0:6939', '0:32934', '8714:65010'])
  })

  it('makes one announcement of a prefix sent with a global and a link-local next hop', () => {
    const message = RisLiveMessageSchema.parse(load('ris-live/ris_message.update-announce-with-raw.rrc20.sample.json'))
    expect(eventsOfRisMessage(message).map((event) => [event.type, event.prefix, event.asPath])).toEqual([
      ['announce', '2602:fd9e:f00::/40', [58299, 49981, 397666]],
    ])
  })

  it('reads birdwatcher routes: string path, [a, b] communities, peer from the session, data time from cached_at', () => {
    const routesBody = BirdwatcherRoutesSchema.parse(load('birdwatcher/routes-prefix.constructed.json'))
    const sessions = sessionsOf(BirdwatcherProtocolsSchema.parse(load('birdwatcher/protocols-bgp.constructed.json')))
    expect([...sessions.values()].map((session) => [session.name, session.established])).toEqual([
      ['R_transit_a', true],
      ['R_transit_b', true],
      ['R_peer_c', false],
    ])
    expect(birdwatcherDataAt(routesBody)).toBe(Date.UTC(2026, 0, 5, 11, 59, 30, 123))
    const [first] = routesOfBirdwatcher(routesBody, '192.0.2.0/24', 'lg1', sessions)
    expect(first).toEqual({
      collector: 'lg1',
      peerIp: '198.51.100.1',
      peerAsn: 64496,
      asPath: [64496, 64510, 64500],
      originAsn: 64500,
      communities: ['64500:1', '64496:3000'],
      largeCommunities: ['64500:1:1'],
      changedAt: Date.UTC(2026, 0, 5, 8),
    })
  })
})
