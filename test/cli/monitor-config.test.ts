import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.ts'
import { loadMonitorConfig } from '../../src/cli/monitor-wiring.ts'

const dir = mkdtempSync(join(tmpdir(), 'monitor-config-'))
function file(name: string, content: unknown): string {
  const path = join(dir, name)
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

const valid = {
  targets: [{ id: 'lab', label: 'Lab', addresses: ['198.51.100.53'], qname: 'example', sites: [{ id: 'fra', label: 'FRA', latitude: 50, longitude: 8, match: { exact: ['fra-1'] } }] }],
  vantages: [{ id: 'par', label: 'Paris', region: 'weur', runner: { kind: 'local' } }],
  alerts: { routes: [{ name: 'oncall', kind: 'pagerduty', routingKeyEnv: 'PD_KEY' }] },
}

describe('loading the monitor config', () => {
  it('reads the secrets named in the config from the environment', async () => {
    const loaded = await loadMonitorConfig(file('ok.json', valid), { PD_KEY: 'r0utingkey' })
    expect(loaded).toMatchObject({ ok: true, routes: [{ kind: 'pagerduty', route: 'oncall', routingKey: 'r0utingkey' }] })
  })

  it('stops on a missing secret, naming the variable and its place in the config', async () => {
    const loaded = await loadMonitorConfig(file('ok.json', valid), {})
    expect(loaded.ok).toBe(false)
    if (!loaded.ok) expect(loaded.error).toMatch(/alerts\.routes\[0\]\.routingKeyEnv: .*PD_KEY/)
  })

  it('lists every problem of a bad config by its path', async () => {
    const bad = { ...valid, targets: [{ ...valid.targets[0], addresses: ['not-an-ip'], port: 0 }], probe: { timeoutMs: 5 } }
    const loaded = await loadMonitorConfig(file('bad.json', bad), { PD_KEY: 'k' })
    expect(loaded.ok).toBe(false)
    if (loaded.ok) return
    expect(loaded.error).toContain('targets[0].addresses[0]')
    expect(loaded.error).toContain('targets[0].port')
    expect(loaded.error).toContain('probe.timeoutMs')
  })

  it('refuses vantages that only the Cloudflare Worker can run, naming them', async () => {
    const edge = { id: 'fra-edge', label: 'Frankfurt (edge)', region: 'weur', runner: { kind: 'cloudflare-region', locationHint: 'weur' } }
    const loaded = await loadMonitorConfig(file('edge.json', { ...valid, vantages: [...valid.vantages, edge] }), { PD_KEY: 'k' })
    expect(loaded).toMatchObject({ ok: false, error: expect.stringMatching(/vantages fra-edge run only on the Cloudflare Worker/) })
  })

  it('rejects a Cloudflare region without a known location hint', async () => {
    const edge = { id: 'x', label: 'X', region: 'x', runner: { kind: 'cloudflare-region', locationHint: 'mars' } }
    const loaded = await loadMonitorConfig(file('mars.json', { ...valid, vantages: [edge] }), { PD_KEY: 'k' })
    expect(loaded).toMatchObject({ ok: false, error: expect.stringContaining('vantages[0].runner') })
  })

  it('reads the ingest key of every remote vantage, and stops on a missing or short one', async () => {
    const remote = { id: 'aws-euw1', label: 'AWS', region: 'eu-west-1', runner: { kind: 'remote', keyEnv: 'INGEST_KEY_AWS' } }
    const path = file('remote.json', { ...valid, vantages: [...valid.vantages, remote] })
    const key = 'a'.repeat(64)
    expect(await loadMonitorConfig(path, { PD_KEY: 'k', INGEST_KEY_AWS: ` ${key}\n` })).toMatchObject({ ok: true, ingestKeys: new Map([['aws-euw1', key]]) })
    const missing = await loadMonitorConfig(path, { PD_KEY: 'k' })
    expect(missing).toMatchObject({ ok: false, error: expect.stringMatching(/vantages\[1\]\.runner\.keyEnv: environment variable INGEST_KEY_AWS is not set/) })
    const short = await loadMonitorConfig(path, { PD_KEY: 'k', INGEST_KEY_AWS: 'secret' })
    expect(short).toMatchObject({ ok: false, error: expect.stringMatching(/INGEST_KEY_AWS holds 6 characters; an ingest key needs at least 32/) })
    if (!short.ok) expect(short.error).not.toContain('secret')
  })

  it('says so when the file is missing or not JSON', async () => {
    expect(await loadMonitorConfig(join(dir, 'absent.json'), {})).toMatchObject({ ok: false, error: expect.stringMatching(/cannot read config/) })
    expect(await loadMonitorConfig(file('broken.json', '{ targets: '), {})).toMatchObject({ ok: false, error: expect.stringMatching(/is not JSON/) })
  })

  it('makes run and serve exit 2 with the problems on stderr, before touching anything', async () => {
    const err: string[] = []
    const io = { stdout: () => {}, stderr: (text: string) => err.push(text), readStdin: async () => '' }
    expect(await main(['run', '--config', join(dir, 'absent.json'), '--once'], io)).toBe(2)
    expect(await main(['serve', '--config', join(dir, 'absent.json')], io)).toBe(2)
    expect(await main(['run', '--config', file('ok.json', valid)], io)).toBe(2)
    expect(err.join('')).toMatch(/needs --once/)
  })
})
