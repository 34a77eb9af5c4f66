import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  compileSiteTable,
  configJsonSchema,
  formatConfigErrors,
  parseConfig,
  resolveSite,
  type ConfigError,
  type Site,
} from '../../src/core/config.ts'
import { GENERATED_CONFIG_FILES } from '../../scripts/render-config-schema.ts'

const REPO_ROOT = new URL('../../', import.meta.url)
const EXAMPLES_DIR = new URL('examples/', REPO_ROOT)

type Fields = Record<string, unknown>

const site = (fields: Fields = {}) => ({
  id: 'fra',
  label: 'Frankfurt',
  latitude: 50.11,
  longitude: 8.68,
  match: { exact: ['bind-fra-1'] },
  ...fields,
})
const target = (fields: Fields = {}) => ({
  id: 'lab',
  label: 'Lab',
  addresses: ['198.51.100.53'],
  qname: 'example.',
  sites: [site()],
  ...fields,
})
const vantage = (fields: Fields = {}) => ({
  id: 'vp-par',
  label: 'Paris',
  region: 'weur',
  runner: { kind: 'local' },
  ...fields,
})
const config = (fields: Fields = {}) => ({ targets: [target()], vantages: [vantage()], ...fields })
const withTarget = (fields: Fields) => config({ targets: [target(fields)] })
const withSites = (...sites: Fields[]) => withTarget({ sites })
const withVantage = (fields: Fields) => config({ vantages: [vantage(fields)] })

function readExample(name: string): unknown {
  return JSON.parse(readFileSync(new URL(name, EXAMPLES_DIR), 'utf8'))
}

function errorsOf(input: unknown): ConfigError[] {
  const result = parseConfig(input)
  if (result.ok) throw new Error('expected the config to be rejected')
  return result.errors
}

describe('parseConfig', () => {
  it('parses the lab example and fills in the defaults', () => {
    const result = parseConfig(readExample('lab.config.json'))
    if (!result.ok) throw new Error(formatConfigErrors(result.errors))
    const [lab] = result.config.targets
    expect(lab).toMatchObject({ port: 53, qtype: 'SOA', transports: ['udp', 'tcp'], qname: 'example.' })
    expect(lab?.sites.map((s) => s.id)).toEqual(['fra', 'ams', 'lhr'])
    expect(result.config.vantages.map((v) => v.runner)).toEqual([
      { kind: 'netns', namespace: 'vp-par' },
      { kind: 'netns', namespace: 'vp-ber' },
      { kind: 'netns', namespace: 'vp-dub' },
    ])
    expect(result.config.probe).toEqual({
      intervalSeconds: 60,
      timeoutMs: 2000,
      udpPayloadBytes: 1232,
      identityFallback: true,
    })
  })

  it('parses every example config in examples/', () => {
    const names = readdirSync(EXAMPLES_DIR).filter((name) => name.endsWith('.json'))
    expect(names.length).toBeGreaterThanOrEqual(2)
    for (const name of names) {
      const result = parseConfig(readExample(name))
      expect(result.ok ? '' : `${name}:\n${formatConfigErrors(result.errors)}`).toBe('')
    }
  })

  it('accepts a root qname, IPv6 addresses and a site matched by both exact and pattern', () => {
    const sites = [site({ match: { exact: ['a'], pattern: '^b' } })]
    const input = withTarget({ qname: '.', addresses: ['2001:7fd::1'], sites })
    expect(parseConfig(input).ok).toBe(true)
  })

  const badInputs: Array<{ name: string; input: unknown; path: string; message?: RegExp }> = [
    {
      name: 'a bad IP address',
      input: withTarget({ addresses: ['198.51.100.53', '198.51.100.300'] }),
      path: 'targets[0].addresses[1]',
      message: /IPv4 or IPv6 address literal/,
    },
    { name: 'a port out of range', input: withTarget({ port: 70_000 }), path: 'targets[0].port' },
    { name: 'a fractional port', input: withTarget({ port: 53.5 }), path: 'targets[0].port' },
    { name: 'empty transports', input: withTarget({ transports: [] }), path: 'targets[0].transports' },
    {
      name: 'an unknown transport',
      input: withTarget({ transports: ['udp', 'doh'] }),
      path: 'targets[0].transports[1]',
    },
    {
      name: 'a repeated transport',
      input: withTarget({ transports: ['udp', 'udp'] }),
      path: 'targets[0].transports[1]',
      message: /duplicate transport "udp"/,
    },
    {
      name: 'a regex that does not compile',
      input: withSites(site(), site({ id: 'ams', match: { pattern: 'ns1.(ams' } })),
      path: 'targets[0].sites[1].match.pattern',
      message: /not a valid regular expression/,
    },
    {
      name: 'a match with neither exact nor pattern',
      input: withSites(site({ match: {} })),
      path: 'targets[0].sites[0].match',
      message: /needs "exact", "pattern" or both/,
    },
    {
      name: 'a duplicate target id',
      input: config({ targets: [target(), target({ label: 'Again' })] }),
      path: 'targets[1].id',
      message: /duplicate target id "lab"/,
    },
    {
      name: 'a duplicate vantage id',
      input: config({ vantages: [vantage(), vantage()] }),
      path: 'vantages[1].id',
      message: /duplicate vantage id "vp-par"/,
    },
    {
      name: 'a duplicate site id within a target',
      input: withSites(site(), site({ match: { exact: ['other'] } })),
      path: 'targets[0].sites[1].id',
      message: /duplicate site id "fra"/,
    },
    {
      name: 'one exact identity claimed by two sites',
      input: withSites(site(), site({ id: 'ams', match: { exact: ['nsd-ams-1', 'BIND-FRA-1'] } })),
      path: 'targets[0].sites[1].match.exact[1]',
      message: /already claimed by site "fra"/,
    },
    { name: 'a latitude out of range', input: withSites(site({ latitude: 91 })), path: 'targets[0].sites[0].latitude' },
    {
      name: 'a vantage latitude without longitude',
      input: withVantage({ latitude: 48.9 }),
      path: 'vantages[0].longitude',
    },
    {
      name: 'a qname label longer than 63 characters',
      input: withTarget({ qname: `${'a'.repeat(64)}.example.` }),
      path: 'targets[0].qname',
      message: /at most 63/,
    },
    {
      name: 'a qname with a forbidden character',
      input: withTarget({ qname: 'exa mple.' }),
      path: 'targets[0].qname',
      message: /may only contain/,
    },
    {
      name: 'a qname with an empty label',
      input: withTarget({ qname: 'example..' }),
      path: 'targets[0].qname',
      message: /empty label/,
    },
    { name: 'an unsupported qtype', input: withTarget({ qtype: 'MX' }), path: 'targets[0].qtype' },
    {
      name: 'a malformed BGP community',
      input: withSites(site({ community: '65000-1' })),
      path: 'targets[0].sites[0].community',
      message: /ASN:value/,
    },
    {
      name: 'a BGP community part above 65535',
      input: withSites(site({ community: '65000:70000' })),
      path: 'targets[0].sites[0].community',
      message: /0\.\.65535/,
    },
    {
      name: 'a site id that is not a slug',
      input: withSites(site({ id: 'Fra 1' })),
      path: 'targets[0].sites[0].id',
      message: /slug/,
    },
    {
      name: 'the reserved site id "unknown"',
      input: withSites(site({ id: 'unknown' })),
      path: 'targets[0].sites[0].id',
      message: /reserved/,
    },
    {
      name: 'an unknown runner kind',
      input: withVantage({ runner: { kind: 'ssh' } }),
      path: 'vantages[0].runner.kind',
    },
    {
      name: 'a netns runner without a namespace',
      input: withVantage({ runner: { kind: 'netns' } }),
      path: 'vantages[0].runner.namespace',
      message: /is required/,
    },
    {
      name: 'a probe interval below 5 seconds',
      input: config({ probe: { intervalSeconds: 1 } }),
      path: 'probe.intervalSeconds',
    },
    {
      name: 'a misspelt field',
      input: config({ probe: { intervalSecond: 30 } }),
      path: 'probe.intervalSecond',
      message: /unknown field/,
    },
    {
      name: 'a missing required field',
      input: withTarget({ label: undefined }),
      path: 'targets[0].label',
      message: /is required/,
    },
    { name: 'a string instead of an object', input: 'targets: []', path: '' },
    { name: 'null', input: null, path: '' },
    { name: 'an array instead of an object', input: [config()], path: '' },
  ]

  it.each(badInputs)('rejects $name with an error at "$path"', ({ input, path, message }) => {
    const errors = errorsOf(input)
    const atPath = errors.filter((error) => error.path === path)
    expect(atPath, formatConfigErrors(errors)).not.toHaveLength(0)
    if (message !== undefined) expect(atPath.map((error) => error.message).join('\n')).toMatch(message)
  })

  it('reports every problem of a config at once, one line each', () => {
    const input = withTarget({ port: 0, sites: [site({ latitude: 100, longitude: 200 })] })
    const text = formatConfigErrors(errorsOf(input))
    expect(text.split('\n')).toEqual([
      'targets[0].port: Too small: expected number to be >=1',
      'targets[0].sites[0].latitude: Too big: expected number to be <=90',
      'targets[0].sites[0].longitude: Too big: expected number to be <=180',
    ])
  })

  it('takes an optional Timestream archive block and checks its region, names and endpoint', () => {
    const archive = { kind: 'timestream', region: 'eu-west-1', database: 'anycast', table: 'observations' }
    const parsed = parseConfig(config({ archive }))
    expect(parsed.ok && parsed.config.archive).toEqual(archive)
    expect(parseConfig(config()).ok && 'archive' in (parseConfig(config()) as { config: object }).config).toBe(false)
    const bad = { kind: 'timestream', region: 'Europe', database: 'a', table: 'obs/2', endpoint: 'ftp://127.0.0.1' }
    expect(formatConfigErrors(errorsOf(config({ archive: bad }))).split('\n')).toEqual([
      'archive.region: must be an AWS region, e.g. "eu-west-1"',
      'archive.database: must be 3 to 256 characters: letters, digits, "_", "." and "-"',
      'archive.table: must be 3 to 256 characters: letters, digits, "_", "." and "-"',
      'archive.endpoint: Invalid URL',
    ])
  })

  it('labels errors about the whole input as (root)', () => {
    expect(formatConfigErrors(errorsOf(42))).toBe('(root): Invalid input: expected object, received number')
  })
})

describe('resolveSite', () => {
  const sites: Site[] = [
    { id: 'fra', label: 'Frankfurt', latitude: 50.11, longitude: 8.68, match: { exact: ['bind-fra-1'] } },
    { id: 'lhr', label: 'London', latitude: 51.47, longitude: -0.45, match: { pattern: '^knot-lhr-\\d+$' } },
    { id: 'ams', label: 'Amsterdam', latitude: 52.37, longitude: 4.9, match: { exact: ['knot-lhr-9'], pattern: 'ams' } },
    { id: 'any', label: 'Anywhere', latitude: 0, longitude: 0, match: { pattern: '.' } },
  ]

  it('resolves an exact identity to its site', () => {
    expect(resolveSite('bind-fra-1', sites)).toEqual({ siteId: 'fra' })
  })

  it('resolves an identity matching a pattern to its site', () => {
    expect(resolveSite('knot-lhr-1', sites)).toEqual({ siteId: 'lhr' })
  })

  it('prefers an exact identity over an earlier site whose pattern also matches', () => {
    expect(resolveSite('knot-lhr-9', sites)).toEqual({ siteId: 'ams' })
  })

  it('gives a pattern match to the first site in the table', () => {
    expect(resolveSite('nsd-ams-1', sites)).toEqual({ siteId: 'ams' })
    expect(resolveSite('something-else', sites)).toEqual({ siteId: 'any' })
  })

  it('ignores case in exact identities and in patterns', () => {
    expect(resolveSite('BIND-FRA-1', sites)).toEqual({ siteId: 'fra' })
    expect(resolveSite('Knot-LHR-2', sites)).toEqual({ siteId: 'lhr' })
  })

  it('resolves a missing identity or one no site matches to unknown', () => {
    expect(resolveSite(null, sites)).toEqual({ siteId: 'unknown' })
    expect(resolveSite('ns1.de-fra.k.ripe.net', sites.slice(0, 2))).toEqual({ siteId: 'unknown' })
  })

  it('gives the same answer every time from one compiled table', () => {
    const resolve = compileSiteTable(sites)
    const identities = ['knot-lhr-1', 'knot-lhr-1', 'bind-fra-1', 'knot-lhr-2', null, 'x']
    const siteIds = identities.map((identity) => resolve(identity).siteId)
    expect(siteIds).toEqual(['lhr', 'lhr', 'fra', 'lhr', 'unknown', 'any'])
  })
})

describe('generated config files', () => {
  it.each(GENERATED_CONFIG_FILES)('$path is what the generator produces now', ({ path, render }) => {
    const committed = readFileSync(new URL(path, REPO_ROOT), 'utf8')
    expect(committed, 'run: npx tsx scripts/write-config-schema.ts').toBe(render())
  })

  it('describes every field of the config in the JSON Schema', () => {
    const undescribed: string[] = []
    collectUndescribed(configJsonSchema(), '', undescribed)
    expect(undescribed).toEqual([])
  })
})

function collectUndescribed(schema: unknown, path: string, into: string[]): void {
  if (typeof schema !== 'object' || schema === null) return
  const node = schema as {
    properties?: Record<string, { description?: string }>
    items?: unknown
    oneOf?: unknown[]
    anyOf?: unknown[]
  }
  for (const [name, property] of Object.entries(node.properties ?? {})) {
    if (property.description === undefined) into.push(`${path}.${name}`)
    collectUndescribed(property, `${path}.${name}`, into)
  }
  collectUndescribed(node.items, `${path}[]`, into)
  for (const variant of [...(node.oneOf ?? []), ...(node.anyOf ?? [])]) collectUndescribed(variant, path, into)
}
