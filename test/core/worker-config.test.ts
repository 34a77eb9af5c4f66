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
