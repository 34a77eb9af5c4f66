import { describe, expect, it } from 'vitest'
import { parseConfig, type Config } from '../../src/core/config.ts'
import { cloudflareRangeOf } from '../../src/core/net/cloudflare-ranges.ts'
import { checkWorkerConfig } from '../../src/core/worker-config.ts'

const site = { id: 'fra', label: 'FRA', latitude: 50.1, longitude: 8.7, match: { exact: ['fra-1'] } }
const edge = (id: string, locationHint = 'weur') => ({ id, label: id, region: locationHint, runner: { kind: 'cloudflare-region', locationHint } })

function config(fields: Record<string, unknown> = {}): Config {
  const parsed = parseConfig({
    targets: [{ id: 'dns', label: 'DNS', addresses: ['198.51.100.53'], qname: 'example', transports: ['udp', 'tcp'], sites: [site] }],
    vantages: [edge('fra-edge'), edge('sin-edge', 'apac')],
    ...fields,
  })
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors))
  return parsed.config
}

describe('the Worker config check', () => {
  it('runs a config of Cloudflare regions over TCP only, and says it leaves UDP out', () => {
    const check = checkWorkerConfig(config())
    expect(check.problems).toEqual([])
    expect(check.notes).toEqual(['targets dns: probed over TCP only (Workers have no outbound UDP)'])
    expect(check.config.targets.map((target) => target.transports)).toEqual([['tcp']])
  })

  it('refuses vantages only Node runs, a UDP-only target and a target in Cloudflare\'s own ranges', () => {
    const check = checkWorkerConfig(
      config({
        targets: [
          { id: 'udp-only', label: 'U', addresses: ['198.51.100.53'], qname: 'example', transports: ['udp'], sites: [site] },
          { id: 'on-cloudflare', label: 'C', addresses: ['198.51.100.54', '2606:4700:4700::1111'], qname: 'example', transports: ['tcp'], sites: [site] },
        ],
        vantages: [{ id: 'here', label: 'here', region: 'lab', runner: { kind: 'local' } }],
      }),
    )
    expect(check.problems).toEqual([
      'vantages: here has runner "local", which only the Node monitor runs; the Worker runs "cloudflare-region" vantages',
      'vantages: none has runner "cloudflare-region" or "remote": the Worker would probe from nowhere',
      'targets: udp-only is probed over UDP only; Workers have no outbound UDP: add "tcp" to its transports',
      "targets: on-cloudflare address 2606:4700:4700::1111 is in Cloudflare's range 2606:4700::/32, which Workers cannot connect to",
    ])
  })

  it('runs a config whose vantages are all remote: they push to the ingest API', () => {
    const remote = { id: 'aws-euw1', label: 'AWS eu-west-1', region: 'eu-west-1', runner: { kind: 'remote', keyEnv: 'INGEST_KEY_AWS_EUW1' } }
    expect(checkWorkerConfig(config({ vantages: [remote] })).problems).toEqual([])
  })

  it('knows the public resolver and the published ranges, and nothing else', () => {
    expect(cloudflareRangeOf('1.1.1.1')).toBe('1.1.1.0/24')
    expect(cloudflareRangeOf('104.16.132.229')).toBe('104.16.0.0/13')
    expect(cloudflareRangeOf('193.0.14.129')).toBeNull()
    expect(cloudflareRangeOf('not an address')).toBeNull()
  })

  it('leaves RIS Live to the Node monitor and polls RIPEstat', () => {
    const check = checkWorkerConfig(
      config({
        bgp: {
          sources: { ripestat: { sourceapp: 'test' }, risLive: {} },
          targets: [{ target: 'dns', prefixes: [{ prefix: '198.51.100.0/24', originAsns: [64500] }] }],
        },
      }),
    )
    expect(check.notes).toContain('bgp.sources.risLive: not used on the Worker, which polls RIPEstat instead')
    expect(check.config.bgp?.sources).toEqual({ ripestat: expect.objectContaining({ sourceapp: 'test' }) })
  })

  it('says it leaves the Timestream archive to the Node monitor', () => {
    const check = checkWorkerConfig(config({ archive: { kind: 'timestream', region: 'eu-west-1', database: 'anycast', table: 'observations' } }))
    expect(check.problems).toEqual([])
    expect(check.notes).toContain('archive: not used on the Worker, which keeps its observations in D1; the Node monitor archives to Timestream')
  })
})

describe('the Worker config check of the time a region needs', () => {
  /** One target with `count` addresses, probed over TCP: `count` tasks for every region. */
  const manyAddresses = (count: number) => [
    { id: 'wide', label: 'Wide', addresses: Array.from({ length: count }, (_, i) => `198.51.${100 + Math.floor(i / 250)}.${(i % 250) + 1}`), qname: 'example', transports: ['tcp'], sites: [site] },
  ]

  it('refuses a region whose plan cannot finish within the interval, naming the region, tasks, invocations, worst case and interval', () => {
    const check = checkWorkerConfig(config({ targets: manyAddresses(40), probe: { intervalSeconds: 30, timeoutMs: 5_000 } }))
    const how =
      '(≤16 tasks per invocation within 50 subrequests, each probe up to 5000 ms): lower probe.timeoutMs, set probe.identityFallback to false, ' +
      'probe fewer addresses, raise probe.intervalSeconds, or on the Paid plan raise PROBE_SUBREQUESTS_PER_INVOCATION'
    expect(check.problems).toEqual([
      `vantages: fra-edge (weur): 40 TCP tasks need 3 invocations of ≤6 sockets, worst case 43.0 s > interval 30 s ${how}`,
      `vantages: sin-edge (apac): 40 TCP tasks need 3 invocations of ≤6 sockets, worst case 43.0 s > interval 30 s ${how}`,
    ])
  })

  it('runs the same plan within a one-minute interval and the default 2 s timeout (19 s at worst)', () => {
    expect(checkWorkerConfig(config({ targets: manyAddresses(40) })).problems).toEqual([])
  })

  it('accepts a worst case equal to the interval and refuses one 100 ms over it', () => {
    expect(checkWorkerConfig(config({ targets: manyAddresses(6), probe: { intervalSeconds: 5, timeoutMs: 4_000 } })).problems).toEqual([])
    expect(checkWorkerConfig(config({ targets: manyAddresses(6), probe: { intervalSeconds: 5, timeoutMs: 4_100 } })).problems).toEqual([
      expect.stringMatching(/^vantages: fra-edge \(weur\): 6 TCP tasks need 1 invocation of ≤6 sockets, worst case 5\.1 s > interval 5 s /),
      expect.stringMatching(/^vantages: sin-edge \(apac\): /),
    ])
  })

  it('counts the invocations by the budget it is given: one on the Paid plan, each with its margin', () => {
    const paid = { maxConnections: 6, subrequestBudget: 10_000 }
    expect(checkWorkerConfig(config({ targets: manyAddresses(40), probe: { intervalSeconds: 30, timeoutMs: 5_000 } }), paid).problems[0]).toMatch(
      /^vantages: fra-edge \(weur\): 40 TCP tasks need 1 invocation of ≤6 sockets, worst case 36\.0 s > interval 30 s \(≤3333 tasks per invocation within 10000 subrequests/,
    )
    const slowStart = { maxConnections: 6, subrequestBudget: 49, invocationMarginMs: 3_000 }
    expect(checkWorkerConfig(config({ targets: manyAddresses(16), probe: { intervalSeconds: 8, timeoutMs: 2_000 } }), slowStart).problems[0]).toMatch(/worst case 9\.0 s > interval 8 s/)
  })

  it('does not suggest turning off a fallback that is already off', () => {
    const [problem] = checkWorkerConfig(config({ targets: manyAddresses(40), probe: { intervalSeconds: 30, timeoutMs: 5_000, identityFallback: false } })).problems
    expect(problem).toMatch(/40 TCP tasks need 1 invocation of ≤6 sockets, worst case 36\.0 s > interval 30 s \(≤50 tasks per invocation/)
    expect(problem).not.toMatch(/identityFallback/)
  })

  it('refuses a region whose probes cannot fit any invocation, naming it', () => {
    expect(checkWorkerConfig(config(), { maxConnections: 6, subrequestBudget: 2 }).problems).toEqual([
      expect.stringMatching(/^vantages: fra-edge \(weur\): task 0 can make up to 3 connect\(\) calls .* more than the budget of 2 per invocation$/),
      expect.stringMatching(/^vantages: sin-edge \(apac\): task 0 /),
    ])
  })

  it('does not count remote vantages, which probe on their own schedule', () => {
    const remote = { id: 'aws-euw1', label: 'AWS eu-west-1', region: 'eu-west-1', runner: { kind: 'remote', keyEnv: 'INGEST_KEY_AWS_EUW1' } }
    expect(checkWorkerConfig(config({ targets: manyAddresses(400), vantages: [remote], probe: { intervalSeconds: 5 } })).problems).toEqual([])
  })
})
