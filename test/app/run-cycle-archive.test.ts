// A monitor cycle with an archive configured: its observations reach Timestream (the loopback double,
// through the real SDK), and an archive that refuses records or cannot be reached is a problem of the
// cycle, never its failure.
import { afterEach, describe, expect, it } from 'vitest'
import { createTimestreamArchive } from '../../src/adapters/archive/timestream.ts'
import { createMemoryStore } from '../../src/adapters/store/memory.ts'
import { createMemoryTransport, type MemoryReply } from '../../src/adapters/transport/memory.ts'
import { createLocalRunner } from '../../src/app/local-runner.ts'
import { runCycle, type CycleDeps } from '../../src/app/run-cycle.ts'
import { openArchive } from '../../src/cli/archive-wiring.ts'
import { parseConfig, type Config } from '../../src/core/config.ts'
import { decodeMessage } from '../../src/core/dns/wire.ts'
import { evaluateCycle, requiredHistoryCycles } from '../../src/core/evaluate.ts'
import type { ObservationArchive } from '../../src/ports/observation-archive.ts'
import type { VantageRunner } from '../../src/ports/vantage-runner.ts'
import { soaReply } from '../support/dns-replies.ts'
import { TEST_CREDENTIALS, TEST_REGION, isolateAwsSdk, startTimestreamServer, type TimestreamServer } from '../support/timestream-server.ts'

isolateAwsSdk()

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0)
const VANTAGES = ['par', 'ber']
const DATABASE = 'anycast'
const TABLE = 'observations'
const ENV = { AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey }

function configWithArchive(endpoint: string): Config {
  const site = (id: string) => ({ id, label: id.toUpperCase(), latitude: 50, longitude: 8, match: { exact: [`${id}-1`] } })
  const parsed = parseConfig({
    targets: [
      { id: 'lab', label: 'Lab', addresses: ['198.51.100.53'], qname: 'example', transports: ['udp', 'tcp'], sites: [site('fra'), site('ams')] },
      { id: 'other', label: 'Other', addresses: ['203.0.113.53'], qname: 'example', transports: ['udp'], sites: [site('fra')] },
    ],
    vantages: VANTAGES.map((id) => ({ id, label: id, region: id, runner: { kind: 'local' } })),
    archive: { kind: 'timestream', region: TEST_REGION, database: DATABASE, table: TABLE, endpoint },
  })
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors))
  return parsed.config
}

/** Every query is answered by the fra node, 20 ms later. */
function answeringRunner(vantage: string): VantageRunner {
  const respond = (bytes: Uint8Array): MemoryReply => {
    const decoded = decodeMessage(bytes)
    if (!decoded.ok) return { kind: 'silence' }
    return { kind: 'replies', replies: [soaReply({ id: decoded.message.id, question: decoded.message.questions[0]! }, { nsid: 'fra-1' })], rttMs: 20 }
  }
  const transport = (name: 'udp' | 'tcp') => createMemoryTransport(name, respond)
  return createLocalRunner(vantage, {
    transports: { udp: transport('udp'), tcp: transport('tcp') },
    clock: { nowMs: () => T0, monotonicMs: () => 0 },
    random: () => 0.5,
  })
}

function cycleDeps(config: Config, archive: ObservationArchive): CycleDeps {
  return {
    config,
    store: createMemoryStore(),
    runners: VANTAGES.map(answeringRunner),
    clock: { nowMs: () => T0, monotonicMs: () => 0 },
    evaluate: (input) => evaluateCycle({ ...input, params: { detection: config.detection, incidents: config.incidents } }),
    routesFor: () => [],
    historyCycles: requiredHistoryCycles(config.detection),
    archive,
  }
}

const servers: TimestreamServer[] = []
const archives: ObservationArchive[] = []
afterEach(async () => {
  await Promise.all(archives.splice(0).map((archive) => archive.close()))
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function timestream(): Promise<TimestreamServer> {
  const server = await startTimestreamServer({ tables: [{ database: DATABASE, table: TABLE }], now: () => T0 })
  servers.push(server)
  return server
}

function keep<T extends ObservationArchive | null>(archive: T): T {
  if (archive) archives.push(archive)
  return archive
}

describe('a monitor cycle with an archive', () => {
  it('archives every observation it stored, built from the config block', async () => {
    const server = await timestream()
    const config = configWithArchive(server.url)
    const archive = keep(openArchive(config, ENV))
    if (!archive) throw new Error('the config has an archive block')
    const deps = cycleDeps(config, archive)
    const report = await runCycle(deps)
    expect(report.problems).toEqual([])
    const observations = report.cycles.flatMap((cycle) => cycle.observations)
    expect(observations).toHaveLength(6)
    const stored = (await Promise.all(['lab', 'other'].map((target) => deps.store.recentCycles(target, 1)))).flat().flatMap((cycle) => cycle.observations)
    expect(stored).toEqual(observations)
    const key = (target: string, vantage: string, transport: string, site: string | null, time: number) => [target, vantage, transport, site, time].join(' ')
    expect(server.records.map((record) => key(record.dimensions.target!, record.dimensions.vantage!, record.dimensions.transport!, record.dimensions.site ?? null, record.time)).sort()).toEqual(
      observations.map((o) => key(o.target, o.vantage, o.transport, o.site ?? null, o.observedAt)).sort(),
    )
    expect(server.records.every((record) => record.measures.outcome?.value === 'ok' && record.dimensions.site === 'fra')).toBe(true)
    expect(server.callsOf('WriteRecords')).toHaveLength(1)
    expect(server.callsOf('WriteRecords')[0]?.authorization).toContain(`Credential=${TEST_CREDENTIALS.accessKeyId}/`)
  })

  it('reports an unreachable archive as a problem of each target, and still stores, evaluates and reports the cycle', async () => {
    const server = await timestream()
    await server.close()
    const sleeps: number[] = []
    const archive = keep(
      createTimestreamArchive({
        region: TEST_REGION, database: DATABASE, table: TABLE, endpoint: server.url, credentials: TEST_CREDENTIALS,
        random: () => 0.5,
        sleep: async (ms) => void sleeps.push(ms),
      }),
    )
    const deps = cycleDeps(configWithArchive(server.url), archive)
    const report = await runCycle(deps)
    expect(report.cycles.map((cycle) => [cycle.target, cycle.observations.length])).toEqual([['lab', 4], ['other', 2]])
    expect(await deps.store.recentCycles('lab', 5)).toHaveLength(1)
    expect(report.conflicts).toEqual([])
    expect(report.problems).toEqual(
      ['lab', 'other'].map((target) => ({ target, step: 'archive', error: expect.stringMatching(/^archive:timestream: WriteRecords failed after 4 attempts: .*ECONNREFUSED/) })),
    )
    expect(sleeps).toHaveLength(3)
  })

  it('reports the observations the archive refused, with the reason, as a problem of their target', async () => {
    const server = await timestream()
    const config = configWithArchive(server.url)
    const archive = keep(openArchive(config, ENV))
    if (!archive) throw new Error('the config has an archive block')
    const first = await runCycle(cycleDeps(config, archive))
    const [taken] = first.cycles[0]?.observations ?? []
    if (!taken) throw new Error('no observation')
    // The same cycle time again, with another RTT for one series: Timestream keeps the first.
    await archive.archive([{ ...taken, observedAt: T0 + 1, rttMs: 99 }])
    const deps = cycleDeps(config, archive)
    deps.clock = { nowMs: () => T0 + 1, monotonicMs: () => 0 }
    deps.runners = VANTAGES.map((vantage) => ({ vantage, run: async (plan, signal) => (await answeringRunner(vantage).run(plan, signal)).map((o) => ({ ...o, observedAt: T0 + 1 })) }))
    const report = await runCycle(deps)
    expect(report.problems).toEqual([
      { target: 'lab', step: 'archive', error: expect.stringMatching(/^the archive refused 1 observation: par udp 198\.51\.100\.53 at \d+: A record with the same dimensions/) },
    ])
    expect(report.cycles.flatMap((cycle) => cycle.observations)).toHaveLength(6)
  })
})
