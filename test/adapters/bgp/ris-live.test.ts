// The RIS Live source against a RIS-Live-shaped WebSocket server on 127.0.0.1. Nothing leaves the
// machine. A feed that fails (silent, dropped, sending garbage) turns the results stale or
// unavailable with the reason, and never into a withdrawal.
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { createRisLiveSource, reconnectDelayMs, type RisLiveSource, type RisLiveSourceOptions } from '../../../src/adapters/bgp/ris-live.ts'
import { bgpSiteStatus } from '../../../src/core/bgp/attribution.ts'
import { BgpDetectionSettingsSchema, runBgpDetectors } from '../../../src/core/bgp/detectors/index.ts'
import type { BgpSourceResult, BgpUpdateEvent } from '../../../src/core/bgp/model.ts'
import { risLiveUrl } from '../../../src/core/bgp/ris-live.ts'
import type { BgpSource } from '../../../src/ports/bgp-source.ts'
import { fresh, input, PREFIX, route, RULES, snapshot, unavailable } from '../../support/bgp.ts'
import { startRisLiveServer, waitFor, type RisLiveTestServer } from '../../support/ris-live-server.ts'

const V6_PREFIX = '2001:db8::/32'
const SILENCE_MS = 400
const PING_INTERVAL_MS = 50

const servers: RisLiveTestServer[] = []
const sources: RisLiveSource[] = []
afterEach(async () => {
  await Promise.all(sources.splice(0).map((source) => source.close()))
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function risLiveServer(): Promise<RisLiveTestServer> {
  const server = await startRisLiveServer()
  servers.push(server)
  return server
}

/** The RIB seed: ams's route through upstream AS64513 with its community, seen by peer 10.0.0.1 at rrc00. */
function seedSource(answer: (prefix: string) => BgpSourceResult = seedAnswer): BgpSource & { calls: string[] } {
  const calls: string[] = []
  return {
    name: 'ripestat',
    calls,
    snapshot: async (prefix) => {
      calls.push(prefix)
      return answer(prefix)
    },
  }
}

function seedAnswer(prefix: string): BgpSourceResult {
  const routes = prefix === PREFIX ? [route('64496 64513 64500', { peer: '10.0.0.1', communities: ['64500:3'] })] : []
  return fresh(snapshot(routes, { prefix, dataAt: Date.now() - 30_000, fetchedAt: Date.now() }))
}

function risLive(server: RisLiveTestServer, seed: BgpSource, options: Partial<RisLiveSourceOptions> = {}): RisLiveSource {
  const source = createRisLiveSource({
    url: server.url,
    prefixes: [PREFIX, V6_PREFIX],
    seed,
    silenceMs: SILENCE_MS,
    pingIntervalMs: PING_INTERVAL_MS,
    reconnectInitialDelayMs: 20,
    reconnectMaxDelayMs: 100,
    random: () => 0.5,
    ...options,
  })
  sources.push(source)
  return source
}

const ask = (source: BgpSource, prefix = PREFIX, timeoutMs = 2_000) => source.snapshot(prefix, AbortSignal.timeout(timeoutMs))

interface UpdateFields {
  peer: string
  path?: number[]
  community?: [number, number][]
  announce?: string[]
  withdraw?: string[]
}

/** A ris_message UPDATE from rrc00, timestamped now. */
function update(fields: UpdateFields) {
  return {
    type: 'ris_message',
    data: {
      timestamp: Date.now() / 1000,
      peer: fields.peer,
      peer_asn: String(fields.path?.[0] ?? 64496),
      id: '00-test',
      host: 'rrc00.ripe.net',
      type: 'UPDATE',
      path: fields.path ?? [],
      community: fields.community ?? [],
      origin: 'igp',
      announcements: fields.announce ? [{ next_hop: fields.peer, prefixes: fields.announce }] : [],
      withdrawals: fields.withdraw ?? [],
    },
  }
}

function subscriptions(server: RisLiveTestServer, connection: number): { type: string; data: { prefix: string } }[] {
  const sent = (server.received[connection] ?? []) as { type: string; data: { prefix: string } }[]
  return sent.filter((message) => message.type === 'ris_subscribe')
}

function collect(source: RisLiveSource): BgpUpdateEvent[] {
  const events: BgpUpdateEvent[] = []
  source.onUpdate((event) => events.push(event))
  return events
}

/** What the monitor would conclude from a result that is not fresh: no withdrawn site, no finding. */
function expectNoWithdrawal(result: BgpSourceResult): void {
  expect(result.kind).not.toBe('snapshot')
  expect(Object.values(bgpSiteStatus(result, RULES))).toEqual(['unknown', 'unknown', 'unknown'])
  expect(runBgpDetectors(input([result]), BgpDetectionSettingsSchema.parse({})).findings).toEqual([])
}

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../fixtures/bgp/ris-live/${name}`, import.meta.url), 'utf8'))
}

describe('the RIS Live source', () => {
  it('sends one ris_subscribe per prefix, for UPDATEs of it and its more-specifics, and starts each prefix from the seed', async () => {
    const server = await risLiveServer()
    const seed = seedSource()
    const result = await ask(risLive(server, seed))
    expect(subscriptions(server, 0)).toEqual(
      [PREFIX, V6_PREFIX].map((prefix) => ({
        type: 'ris_subscribe',
        data: { prefix, moreSpecific: true, type: 'UPDATE', socketOptions: { includeRaw: false, acknowledge: true } },
      })),
    )
    expect(seed.calls.sort()).toEqual([PREFIX, V6_PREFIX].sort())
    expect(result.kind).toBe('snapshot')
    const current = result.kind === 'snapshot' ? result.snapshot : null
    expect(current).toMatchObject({ source: 'ris-live', prefix: PREFIX, collectors: ['rrc00'], gaps: [{ part: 'rpki' }] })
    expect(current?.routes.map((entry) => [entry.peerIp, entry.asPath.join(' '), entry.communities])).toEqual([['10.0.0.1', '64496 64513 64500', ['64500:3']]])
  })

  it('connects to RIS Live itself by default, naming the client as RIS Live asks', () => {
    expect(risLiveUrl('anycast-monitor_example')).toBe('wss://ris-live.ripe.net/v1/ws/?client=anycast-monitor_example')
  })

  it('adds or replaces a peer route on an announcement and removes it on a withdrawal, and streams both as events', async () => {
    const server = await risLiveServer()
    const source = risLive(server, seedSource())
    const events = collect(source)
    expect((await ask(source)).kind).toBe('snapshot')
    server.send(update({ peer: '10.0.0.2', path: [64497, 64510, 64500], community: [[64500, 1]], announce: [PREFIX] }))
    server.send(update({ peer: '10.0.0.1', withdraw: [PREFIX] }))
    await waitFor(() => events.length === 2, 'two update events')
    const result = await ask(source)
    const now = result.kind === 'snapshot' ? result.snapshot : null
    expect(now?.routes.map((entry) => [entry.collector, entry.peerIp, entry.peerAsn, entry.asPath, entry.originAsn, entry.communities])).toEqual([
      ['rrc00', '10.0.0.2', 64497, [64497, 64510, 64500], 64500, ['64500:1']],
    ])
    expect(now?.updates?.events.map((event) => [event.type, event.peerIp, event.prefix])).toEqual([
      ['announce', '10.0.0.2', PREFIX],
      ['withdraw', '10.0.0.1', PREFIX],
    ])
    expect(bgpSiteStatus(result, RULES)).toEqual({ fra: 'announced', ber: 'withdrawn', ams: 'withdrawn' })
  })

  it('replays the changes that arrive while the seed is read on top of it', async () => {
    const server = await risLiveServer()
    const answerSeed = new Map<string, (result: BgpSourceResult) => void>()
    const slowSeed: BgpSource = { name: 'ripestat', snapshot: (prefix) => new Promise((resolve) => answerSeed.set(prefix, resolve)) }
    const source = risLive(server, slowSeed)
    const events = collect(source)
    const pending = ask(source, PREFIX, 5_000)
    await waitFor(() => subscriptions(server, 0).length === 2, 'the subscriptions')
    server.send(update({ peer: '10.0.0.1', withdraw: [PREFIX] }))
    await waitFor(() => events.length === 1, 'the withdrawal')
    answerSeed.get(PREFIX)?.(seedAnswer(PREFIX))
    const result = await pending
    expect(result.kind === 'snapshot' ? result.snapshot.routes : null).toEqual([])
  })

  it('re-reads the seed every resyncMs in the background, so that a change the stream missed does not last', async () => {
    const server = await risLiveServer()
    let seedRoutes = [route('64496 64513 64500', { peer: '10.0.0.1', communities: ['64500:3'] })]
    const seed = seedSource((prefix) => fresh(snapshot(prefix === PREFIX ? seedRoutes : [], { prefix, dataAt: Date.now() - 1_000 })))
    const source = risLive(server, seed, { resyncMs: 50 })
    expect((await ask(source)).kind).toBe('snapshot')
    seedRoutes = [route('64497 64510 64500', { peer: '10.0.0.2', communities: ['64500:1'] })]
    await new Promise((resolve) => setTimeout(resolve, 60))
    const during = await ask(source)
    expect(during.kind === 'snapshot' ? during.snapshot.routes.map((entry) => entry.peerIp) : null).toEqual(['10.0.0.1'])
    await waitFor(() => seed.calls.filter((prefix) => prefix === PREFIX).length === 2, 'the resync')
    await new Promise((resolve) => setTimeout(resolve, 20))
    const after = await ask(source)
    expect(after.kind === 'snapshot' ? after.snapshot.routes.map((entry) => entry.peerIp) : null).toEqual(['10.0.0.2'])
  })

  it('reads the real RIS Live frames: peer AS as a string, [asn, value] communities, one IPv6 route for two next hops', async () => {
    const server = await risLiveServer()
    const prefixes = ['102.66.116.0/24', '2602:fd9e:f00::/40']
    const emptySeed = seedSource((prefix) => fresh(snapshot([], { prefix, dataAt: 0 })))
    const source = risLive(server, emptySeed, { prefixes })
    const events = collect(source)
    await ask(source, prefixes[0])
    server.send(fixture('ris_message.update-announce-communities.rrc01.sample.json'))
    server.send(fixture('ris_message.update-announce-with-raw.rrc20.sample.json'))
    await waitFor(() => events.length === 2, 'both fixture frames')
    const [v4, v6] = await Promise.all(prefixes.map((prefix) => ask(source, prefix)))
    const v4Routes = v4?.kind === 'snapshot' ? v4.snapshot.routes : []
    expect(v4Routes).toEqual([
      {
        collector: 'rrc01',
        peerIp: '195.66.226.38',
        peerAsn: 24482,
        asPath: [24482, 30844, 328471, 328471, 328471],
        originAsn: 328471,
        communities: ['0:5713', '0:6939', '0:32934', '8714:65010', '8714:65012', '24482:2', '24482:12010', '24482:12011', '24482:65201', '30844:27'],
        largeCommunities: [],
        changedAt: 1640553894840,
      },
    ])
    const v6Routes = v6?.kind === 'snapshot' ? v6.snapshot.routes : []
    expect(v6Routes.map((entry) => [entry.collector, entry.peerIp, entry.peerAsn, entry.originAsn])).toEqual([['rrc20', '2001:7f8:24::82', 58299, 397666]])
    expect(source.health().malformedFrames).toBe(0)
  })

  it('turns stale, with the silence as the reason and the routes it had, when the server stops answering even pings', async () => {
    const server = await risLiveServer()
    const source = risLive(server, seedSource())
    expect((await ask(source)).kind).toBe('snapshot')
    server.setSilent(true)
    await waitFor(() => source.health().lastProblem !== null, 'the silence to be noticed', 3_000)
    const result = await ask(source, PREFIX, 200)
    expectNoWithdrawal(result)
    expect(result).toMatchObject({ kind: 'stale', source: 'ris-live' })
    expect(source.health().lastProblem).toMatch(/^silent for 0\.\d s \(no frame, not even a pong; limit 0\.4 s\)$/)
    expect(result.kind === 'stale' ? result.snapshot.routes.map((entry) => entry.peerIp) : null).toEqual(['10.0.0.1'])
    const notChecked = runBgpDetectors(input([result]), BgpDetectionSettingsSchema.parse({})).notChecked
    expect(notChecked.map((entry) => entry.kind)).toContain('bgp-visibility-loss')
  })

  it('is unavailable, not an empty snapshot, while it has never been seeded, and says why', async () => {
    const server = await risLiveServer()
    const source = risLive(server, seedSource(() => unavailable('looking-glass: HTTP 500 (after 3 attempts)')))
    const result = await ask(source)
    expectNoWithdrawal(result)
    expect(result).toEqual({
      kind: 'unavailable',
      source: 'ris-live',
      prefix: PREFIX,
      reason: 'no starting routes yet: ripestat is unavailable: looking-glass: HTTP 500 (after 3 attempts)',
    })
  })

  it('after a dropped connection: stale while down, then reconnects, resubscribes every prefix and re-reads the seed', async () => {
    const server = await risLiveServer()
    const seed = seedSource()
    const source = risLive(server, seed, { reconnectInitialDelayMs: 300, reconnectMaxDelayMs: 300 })
    expect((await ask(source)).kind).toBe('snapshot')
    server.dropAll()
    await waitFor(() => source.health().state === 'waiting', 'the drop to be noticed')
    const down = await ask(source, PREFIX, 100)
    expectNoWithdrawal(down)
    expect(down.kind === 'stale' ? down.reason : '').toMatch(/^connection closed \(code 1006\); reconnecting in 0\.\d s$/)
    await waitFor(() => subscriptions(server, 1).length === 2, 'a second connection with its subscriptions')
    expect(subscriptions(server, 1).map((message) => message.data.prefix)).toEqual([PREFIX, V6_PREFIX])
    const again = await ask(source)
    expect(again.kind).toBe('snapshot')
    expect(seed.calls.filter((prefix) => prefix === PREFIX)).toHaveLength(2)
    expect(source.health()).toMatchObject({ state: 'open', connects: 2 })
  })

  it('counts frames that are not JSON or not in RIS Live shapes, drops them, and goes on with the next one', async () => {
    const server = await risLiveServer()
    const source = risLive(server, seedSource())
    const events = collect(source)
    await ask(source)
    server.send('this is not json')
    server.send({ no: 'type' })
    server.send({ type: 'ris_message', data: { peer: 42 } })
    server.send(update({ peer: '10.0.0.9', announce: [PREFIX] }), { binary: true })
    server.send({ type: 'ris_error', data: { message: 'client too slow' } })
    server.send({ type: 'ris_rrc_list', data: ['rrc00'] })
    server.send(update({ peer: '10.0.0.2', path: [64497, 64511, 64500], announce: [PREFIX] }))
    await waitFor(() => events.length === 1, 'the good frame')
    expect(source.health()).toMatchObject({ state: 'open', malformedFrames: 4, serverErrors: 1, lastServerError: 'client too slow' })
    const result = await ask(source)
    expect(result.kind === 'snapshot' ? result.snapshot.routes.map((entry) => entry.peerIp) : null).toEqual(['10.0.0.1', '10.0.0.2'])
  })

  it('counts the changes of more-specifics without mixing them into the prefix', async () => {
    const server = await risLiveServer()
    const source = risLive(server, seedSource())
    await ask(source)
    server.send(update({ peer: '10.0.0.3', path: [64498, 64666], announce: ['192.0.2.128/25'] }))
    await waitFor(() => source.health().otherPrefixChanges === 1, 'the more-specific')
    const result = await ask(source)
    expect(result.kind === 'snapshot' ? result.snapshot.routes.map((entry) => entry.peerIp) : null).toEqual(['10.0.0.1'])
  })

  it('answers within the caller deadline when nothing listens, as unavailable with the reason', async () => {
    const server = await risLiveServer()
    const url = server.url
    await server.close()
    servers.splice(0)
    const source = risLive({ ...server, url }, seedSource())
    const started = performance.now()
    const result = await ask(source, PREFIX, 500)
    expect(performance.now() - started).toBeLessThan(1_500)
    expectNoWithdrawal(result)
    expect(result.kind === 'unavailable' ? result.reason : '').toMatch(/ECONNREFUSED|connecting/)
  })

  it('closes for good: no reconnect after close(), and a closed source is stale with the reason', async () => {
    const server = await risLiveServer()
    const source = risLive(server, seedSource())
    await ask(source)
    await source.close()
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(server.connections()).toBe(1)
    expect(source.health().state).toBe('closed')
    expect(await ask(source)).toMatchObject({ kind: 'stale', reason: 'closed' })
  })

  it('is unavailable for a prefix it was not configured to subscribe to', async () => {
    const server = await risLiveServer()
    expect(await ask(risLive(server, seedSource()), '198.51.100.0/24')).toMatchObject({ kind: 'unavailable', reason: 'ris-live is not subscribed to 198.51.100.0/24' })
    expect(server.connections()).toBe(0)
  })
})

describe('reconnect delays', () => {
  it('double from the initial delay up to the cap, half of each jittered', () => {
    const delays = (random: number) => [0, 1, 2, 3, 10].map((attempt) => reconnectDelayMs(attempt, 1_000, 5_000, () => random))
    expect(delays(0)).toEqual([500, 1_000, 2_000, 2_500, 2_500])
    expect(delays(1)).toEqual([1_000, 2_000, 4_000, 5_000, 5_000])
  })
})
