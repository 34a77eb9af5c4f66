// The Timestream archive through the real AWS SDK clients against the loopback double of
// test/support/timestream-server.ts, with a custom endpoint (so the SDK never tries endpoint discovery),
// dummy credentials and an explicit region: nothing leaves the machine.
import { DescribeEndpointsCommand, TimestreamWriteClient } from '@aws-sdk/client-timestream-write'
import { QueryCommand, TimestreamQueryClient } from '@aws-sdk/client-timestream-query'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryArchive } from '../../../src/adapters/archive/memory.ts'
import { createTimestreamArchive, type TimestreamArchiveOptions } from '../../../src/adapters/archive/timestream.ts'
import type { Observation } from '../../../src/core/model.ts'
import { ARCHIVE_NOW, ARCHIVE_T0, archiveContract } from '../../contract/observation-archive.contract.ts'
import { observation, timeout } from '../../contract/store.contract.ts'
import { TEST_CREDENTIALS, TEST_REGION, isolateAwsSdk, startTimestreamServer, type TimestreamServer, type TimestreamServerOptions } from '../../support/timestream-server.ts'

isolateAwsSdk()

const DATABASE = 'anycast'
const TABLE = 'observations'
const MINUTE_MS = 60_000
const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000

const servers: TimestreamServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function setup(serverOptions: Partial<TimestreamServerOptions> = {}, archiveOptions: Partial<TimestreamArchiveOptions> = {}) {
  const server = await startTimestreamServer({
    tables: [{ database: DATABASE, table: TABLE }],
    now: () => ARCHIVE_NOW,
    memoryStoreRetentionMs: 30 * DAY_MS,
    ...serverOptions,
  })
  servers.push(server)
  const sleeps: number[] = []
  const archive = createTimestreamArchive({
    region: TEST_REGION,
    database: DATABASE,
    table: TABLE,
    endpoint: server.url,
    credentials: TEST_CREDENTIALS,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms)
    },
    ...archiveOptions,
  })
  return { server, archive, sleeps }
}

const at = (ms: number, overrides: Partial<Observation> = {}) => observation({ observedAt: ARCHIVE_T0 + ms, ...overrides })
const minutes = (count: number, overrides: Partial<Observation> = {}) => Array.from({ length: count }, (_, i) => at(i * MINUTE_MS, overrides))

describe('timestream archive', () => {
  archiveContract(async () => {
    const { archive, server } = await setup()
    return { ...archive, close: async () => archive.close().then(() => server.close()) }
  })

  it('writes one multi-measure record per observation: dimensions, measures and time in ms, signed for timestream', async () => {
    const { server, archive } = await setup()
    const tcp = at(1234, { transport: 'tcp', rttMs: 14.75, connectMs: 3.25, identity: { source: 'hostname.bind', hex: '6b312e616d7331', text: 'k1.ams1' } })
    const binary = at(2000, { identity: { source: 'nsid', hex: '00ff', text: null }, site: 'unknown', rttMs: 9 })
    const silent = timeout({ observedAt: ARCHIVE_T0 + 5678 })
    expect(await archive.archive([tcp, binary, silent])).toEqual({ written: 3, rejected: [] })

    const [call] = server.callsOf('WriteRecords')
    expect(call?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDANYCASTTEST\/\d{8}\/eu-west-1\/timestream\/aws4_request, /)
    const dims = (site?: string, transport = 'udp') => [
      { Name: 'target', Value: 'k-root', DimensionValueType: 'VARCHAR' },
      { Name: 'vantage', Value: 'fra', DimensionValueType: 'VARCHAR' },
      { Name: 'transport', Value: transport, DimensionValueType: 'VARCHAR' },
      { Name: 'address', Value: '193.0.14.129', DimensionValueType: 'VARCHAR' },
      ...(site === undefined ? [] : [{ Name: 'site', Value: site, DimensionValueType: 'VARCHAR' }]),
    ]
    expect(call?.body).toEqual({
      DatabaseName: DATABASE,
      TableName: TABLE,
      CommonAttributes: { MeasureName: 'observation', MeasureValueType: 'MULTI', TimeUnit: 'MILLISECONDS' },
      Records: [
        {
          Dimensions: dims('ams1', 'tcp'),
          Time: String(ARCHIVE_T0 + 1234),
          MeasureValues: [
            { Name: 'outcome', Value: 'ok', Type: 'VARCHAR' },
            { Name: 'rtt_ms', Value: '14.75', Type: 'DOUBLE' },
            { Name: 'connect_ms', Value: '3.25', Type: 'DOUBLE' },
            { Name: 'rcode', Value: '0', Type: 'BIGINT' },
            { Name: 'identity', Value: 'k1.ams1', Type: 'VARCHAR' },
            { Name: 'identity_hex', Value: '6b312e616d7331', Type: 'VARCHAR' },
          ],
        },
        {
          Dimensions: dims('unknown'),
          Time: String(ARCHIVE_T0 + 2000),
          MeasureValues: [
            { Name: 'outcome', Value: 'ok', Type: 'VARCHAR' },
            { Name: 'rtt_ms', Value: '9', Type: 'DOUBLE' },
            { Name: 'rcode', Value: '0', Type: 'BIGINT' },
            { Name: 'identity_hex', Value: '00ff', Type: 'VARCHAR' },
          ],
        },
        { Dimensions: dims(), Time: String(ARCHIVE_T0 + 5678), MeasureValues: [{ Name: 'outcome', Value: 'timeout', Type: 'VARCHAR' }] },
      ],
    })
    expect(server.records.map((record) => [record.measureName, record.time, record.dimensions.site ?? null, Object.keys(record.measures)])).toEqual([
      ['observation', ARCHIVE_T0 + 1234, 'ams1', ['outcome', 'rtt_ms', 'connect_ms', 'rcode', 'identity', 'identity_hex']],
      ['observation', ARCHIVE_T0 + 2000, 'unknown', ['outcome', 'rtt_ms', 'rcode', 'identity_hex']],
      ['observation', ARCHIVE_T0 + 5678, null, ['outcome']],
    ])
  })

  it('sends 250 observations as WriteRecords calls of 100, 100 and 50 records, in order', async () => {
    const { server, archive } = await setup()
    const batch = minutes(250)
    expect(await archive.archive(batch)).toEqual({ written: 250, rejected: [] })
    const calls = server.callsOf('WriteRecords')
    expect(calls.map((call) => (call.body.Records as unknown[]).length)).toEqual([100, 100, 50])
    expect(server.records.map((record) => record.time)).toEqual(batch.map((o) => o.observedAt))
  })

  it('keeps the other records when Timestream rejects some, and reports each with its batch index and reason', async () => {
    const { server, archive } = await setup({ memoryStoreRetentionMs: 3 * DAY_MS })
    const batch = minutes(250)
    await archive.archive([{ ...(batch[130] as Observation), rttMs: 99 }])
    batch[240] = { ...(batch[240] as Observation), observedAt: ARCHIVE_NOW - 4 * DAY_MS }
    const receipt = await archive.archive(batch)
    expect(receipt.written).toBe(248)
    expect(receipt.rejected).toEqual([
      { index: 130, reason: expect.stringMatching(/same dimensions, measure name and time already exists.*\(existing version 1\)$/) },
      { index: 240, reason: expect.stringMatching(/outside the time range .* of the memory store/) },
    ])
    expect(server.callsOf('WriteRecords').map((call) => call.status)).toEqual([200, 200, 419, 419])
    expect(server.records).toHaveLength(1 + 248)
    expect(server.records.find((record) => record.time === batch[130]?.observedAt)?.measures.rtt_ms?.value).toBe('99')
  })

  it('retries throttling with jittered, growing backoff, then succeeds', async () => {
    const { server, archive, sleeps } = await setup()
    server.failNext('WriteRecords', 2, 'throttling')
    expect(await archive.archive(minutes(3))).toEqual({ written: 3, rejected: [] })
    expect(server.callsOf('WriteRecords').map((call) => call.status)).toEqual([429, 429, 200])
    // random() is 0.5: half of the 200 ms ceiling, then half of 400 ms.
    expect(sleeps).toEqual([100, 200])
    expect(server.records).toHaveLength(3)
  })

  it('retries 5xx answers, modelled or not', async () => {
    const { server, archive } = await setup()
    server.failNext('WriteRecords', 1, 'internal')
    server.failNext('WriteRecords', 1, 'unavailable')
    expect(await archive.archive(minutes(2))).toEqual({ written: 2, rejected: [] })
    expect(server.callsOf('WriteRecords').map((call) => call.status)).toEqual([500, 503, 200])
  })

  it('gives up after its attempts with an error naming the archive, the call and the last failure', async () => {
    const { server, archive, sleeps } = await setup({}, { retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000 } })
    server.failNext('WriteRecords', 10, 'throttling')
    await expect(archive.archive(minutes(2))).rejects.toThrow(/^archive:timestream: WriteRecords failed after 3 attempts: ThrottlingException: Rate exceeded\.$/)
    expect(server.callsOf('WriteRecords')).toHaveLength(3)
    expect(sleeps).toEqual([50, 100])
    expect(server.records).toEqual([])
  })

  it('says how much was written when a later batch fails for good', async () => {
    const { server, archive } = await setup({}, { retry: { maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 1000 } })
    server.failNext('WriteRecords', 2, 'internal', { after: 1 })
    await expect(archive.archive(minutes(150))).rejects.toThrow(/InternalServerException: .* \(100 of 150 observations were written before\)$/)
    expect(server.records).toHaveLength(100)
  })

  it('does not retry what another attempt cannot fix: a missing table', async () => {
    const { server, archive, sleeps } = await setup({ tables: [] })
    await expect(archive.archive(minutes(1))).rejects.toThrow(/^archive:timestream: WriteRecords failed: ResourceNotFoundException: The table observations in database anycast does not exist\.$/)
    expect(server.callsOf('WriteRecords')).toHaveLength(1)
    expect(sleeps).toEqual([])
  })

  it('follows NextToken through small pages, an empty first page included, asking the same query each time', async () => {
    const { server, archive } = await setup({}, { maxRowsPerPage: 4 })
    const observations = ['ams', 'fra', 'lhr'].flatMap((vantage, v) =>
      Array.from({ length: 6 }, (_, hour) => at(hour * HOUR_MS + v * MINUTE_MS, { vantage, rttMs: 10 * v + hour })),
    )
    await archive.archive(observations)
    const query = { target: 'k-root', from: ARCHIVE_T0, until: ARCHIVE_T0 + DAY_MS, bucketMs: HOUR_MS }
    const series = await archive.rttSeries(query)
    const reference = createMemoryArchive()
    await reference.archive(observations)
    expect(series).toHaveLength(18)
    expect(series).toEqual(await reference.rttSeries(query))

    const calls = server.callsOf('Query')
    // 18 rows and MaxRows 4: an empty first page with a token, then pages of 4, 4, 4, 4 and 2.
    expect(calls).toHaveLength(6)
    expect(new Set(calls.map((call) => call.body.QueryString)).size).toBe(1)
    expect(calls.map((call) => [call.body.MaxRows, typeof call.body.NextToken])).toEqual([[4, 'undefined'], ...Array(5).fill([4, 'string'])])
  })

  it('follows NextToken when Timestream cuts the pages itself', async () => {
    const { server, archive } = await setup({ pageRows: 5, now: () => ARCHIVE_T0 + 7 * DAY_MS })
    const receipt = await archive.archive(['ams', 'fra'].flatMap((vantage, v) => Array.from({ length: 6 }, (_, day) => at(day * DAY_MS + v * MINUTE_MS, { vantage }))))
    expect(receipt).toEqual({ written: 12, rejected: [] })
    const days = await archive.uptime({ target: 'k-root', from: ARCHIVE_T0, until: ARCHIVE_T0 + 7 * DAY_MS })
    expect(days).toHaveLength(12)
    expect(days.slice(0, 3)).toEqual([
      { vantage: 'ams', dayStart: ARCHIVE_T0, probes: 1, ok: 1 },
      { vantage: 'fra', dayStart: ARCHIVE_T0, probes: 1, ok: 1 },
      { vantage: 'ams', dayStart: ARCHIVE_T0 + DAY_MS, probes: 1, ok: 1 },
    ])
    expect(server.callsOf('Query')).toHaveLength(3)
  })

  it('asks a throttled page again with the same NextToken', async () => {
    const { server, archive, sleeps } = await setup({ pageRows: 2 })
    await archive.archive(['ams', 'fra', 'lhr', 'nrt'].map((vantage) => at(0, { vantage })))
    server.failNext('Query', 1, 'throttling', { after: 1 })
    const latest = await archive.latest({ target: 'k-root', since: ARCHIVE_T0 })
    expect(latest.map((entry) => entry.vantage)).toEqual(['ams', 'fra', 'lhr', 'nrt'])
    const calls = server.callsOf('Query')
    expect(calls.map((call) => call.status)).toEqual([200, 429, 200])
    expect(calls[2]?.body.NextToken).toBe(calls[1]?.body.NextToken)
    expect(sleeps).toEqual([100])
  })

  it('gives up on a query with an error naming the query, the page and the failure', async () => {
    const { server, archive } = await setup()
    server.failNext('Query', 10, 'internal')
    await expect(archive.uptime({ target: 'k-root', from: ARCHIVE_T0, until: ARCHIVE_T0 + DAY_MS })).rejects.toThrow(
      /^archive:timestream: uptime query failed on page 1 after 4 attempts: InternalServerException: /,
    )
  })

  it('refuses a bucket that is not a whole number of seconds before asking Timestream', async () => {
    const { server, archive } = await setup()
    await expect(archive.rttSeries({ target: 'k-root', from: ARCHIVE_T0, until: ARCHIVE_T0 + HOUR_MS, bucketMs: 1500 })).rejects.toThrow(/whole number of seconds/)
    expect(server.callsOf('Query')).toEqual([])
  })

  it('never calls DescribeEndpoints when given an endpoint: the SDK skips discovery for a custom endpoint', async () => {
    const { server, archive } = await setup()
    await archive.archive(minutes(2))
    await archive.latest({ target: 'k-root', since: ARCHIVE_T0 })
    expect(server.calls.map((call) => call.operation)).toEqual(['WriteRecords', 'Query'])
  })
})

describe('the Timestream double', () => {
  it('answers DescribeEndpoints as Timestream does, with its own address', async () => {
    const server = await startTimestreamServer({ tables: [] })
    servers.push(server)
    const client = new TimestreamWriteClient({ region: TEST_REGION, endpoint: server.url, credentials: TEST_CREDENTIALS, maxAttempts: 1 })
    const answer = await client.send(new DescribeEndpointsCommand({}))
    client.destroy()
    expect(answer.Endpoints).toEqual([{ Address: server.url.replace('http://', ''), CachePeriodInMinutes: 1440 }])
  })

  it('refuses SQL it does not know instead of guessing an answer', async () => {
    const server = await startTimestreamServer({ tables: [{ database: DATABASE, table: TABLE }] })
    servers.push(server)
    const client = new TimestreamQueryClient({ region: TEST_REGION, endpoint: server.url, credentials: TEST_CREDENTIALS, maxAttempts: 1 })
    await expect(client.send(new QueryCommand({ QueryString: `SELECT * FROM "${DATABASE}"."${TABLE}"` }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/does not know the query shape/),
    })
    client.destroy()
  })
})
