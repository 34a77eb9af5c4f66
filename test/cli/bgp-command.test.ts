// `anycast-monitor bgp` end to end against a RIPEstat-shaped server on 127.0.0.1: config file in, view out.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { BgpView } from '../../src/app/bgp-view.ts'
import { bgpCommand } from '../../src/cli/bgp-command.ts'
import { PREFIX } from '../support/bgp.ts'
import { startHttpReceiver, type HttpReceiver } from '../support/http-receiver.ts'
import { envelope, lookingGlassData, ripestatScript, SOURCEAPP } from '../support/ripestat-server.ts'

const dir = mkdtempSync(join(tmpdir(), 'bgp-command-'))
function configFile(name: string, bgp: unknown): string {
  const path = join(dir, name)
  const site = (id: string, extra: object = {}) => ({ id, label: id.toUpperCase(), latitude: 50, longitude: 8, match: { exact: [`${id}-1`] }, ...extra })
  const config = {
    targets: [{ id: 'lab', label: 'Lab', addresses: ['198.51.100.53'], qname: 'example.', sites: [site('fra', { community: '64500:1' }), site('ber')] }],
    vantages: [{ id: 'par', label: 'Paris', region: 'weur', runner: { kind: 'local' } }],
    ...(bgp === undefined ? {} : { bgp }),
  }
  writeFileSync(path, JSON.stringify(config))
  return path
}

const receivers: HttpReceiver[] = []
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()))
})

/** A RIPEstat whose looking glass is current by the wall clock: the command runs on real time. */
async function ripestat(): Promise<HttpReceiver> {
  const receiver = await startHttpReceiver(
    ripestatScript((call) => (call === 'looking-glass' ? envelope(call, lookingGlassData(Date.now() - 30_000)) : undefined)),
  )
  receivers.push(receiver)
  return receiver
}

const bgpBlock = (baseUrl: string) => ({
  sources: { ripestat: { baseUrl, sourceapp: SOURCEAPP } },
  targets: [{ target: 'lab', prefixes: [{ prefix: PREFIX, originAsns: [64500] }], upstreamAsnBySite: { ber: 64511 } }],
})

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await bgpCommand(argv, { stdout: (text) => out.push(text), stderr: (text) => err.push(text), readStdin: async () => '' })
  return { code, out: out.join(''), err: err.join('') }
}

describe('anycast-monitor bgp', () => {
  it('prints the joined view as JSON: the site each peer routes to, by community or by upstream', async () => {
    const server = await ripestat()
    const { code, out } = await run(['--config', configFile('ok.json', bgpBlock(server.url)), '--prefix', PREFIX, '--json'])
    expect(code).toBe(0)
    const view = JSON.parse(out) as BgpView
    const [source] = view.prefixes[0]?.sources ?? []
    expect(view.prefixes.map((prefix) => [prefix.target, prefix.prefix, prefix.expectedOriginAsns])).toEqual([['lab', PREFIX, [64500]]])
    expect(source).toMatchObject({ source: 'ripestat', result: 'snapshot', sites: { fra: 'announced', ber: 'announced' }, catchment: { fra: 3, ber: 2 } })
    expect(source?.peers.map((peer) => [peer.collector, peer.peerIp, peer.site, peer.siteMatchedBy])).toEqual([
      ['rrc00', '10.0.0.1', 'fra', 'community'],
      ['rrc00', '10.0.0.2', 'fra', 'community'],
      ['rrc00', '2001:db8::3', 'fra', 'community'],
      ['rrc01', '10.1.0.1', 'ber', 'upstream'],
      ['rrc01', '10.1.0.2', 'ber', 'upstream'],
    ])
  })

  it('prints a readable summary without --json, for every configured prefix when no --prefix is given', async () => {
    const server = await ripestat()
    const { code, out } = await run(['--config', configFile('ok.json', bgpBlock(server.url))])
    expect(code).toBe(0)
    expect(out).toMatch(new RegExp(`^${PREFIX.replace('.', '\\.')} \\(target lab\\)\\n  ripestat: snapshot\\n`))
    expect(out).toContain('    sites: fra announced, ber announced\n')
  })

  it('shows a prefix no target lists, without sites', async () => {
    const server = await ripestat()
    const { code, out } = await run(['--config', configFile('ok.json', bgpBlock(server.url)), '--prefix', '203.0.113.0/24', '--json'])
    expect(code).toBe(0)
    expect((JSON.parse(out) as BgpView).prefixes[0]).toMatchObject({ target: null, prefix: '203.0.113.0/24', sources: [{ sites: {} }] })
  })

  it('exits 1 when no source had fresh data', async () => {
    const receiver = await startHttpReceiver(() => ({ status: 404, body: 'not here' }))
    receivers.push(receiver)
    const { code, out } = await run(['--config', configFile('down.json', bgpBlock(receiver.url)), '--json'])
    expect(code).toBe(1)
    expect((JSON.parse(out) as BgpView).prefixes[0]?.sources[0]).toMatchObject({ result: 'unavailable', reason: 'looking-glass: HTTP 404: not here' })
  })

  it('exits 2 on bad arguments or a config without a valid bgp block, saying where', async () => {
    expect(await run([])).toMatchObject({ code: 2, err: expect.stringMatching(/needs --config FILE/) })
    expect(await run(['--config', configFile('x.json', undefined), '--prefix', 'nope'])).toMatchObject({ code: 2, err: expect.stringMatching(/not an IPv4 or IPv6 prefix/) })
    expect(await run(['--config', configFile('none.json', undefined)])).toMatchObject({ code: 2, err: expect.stringMatching(/has no "bgp" block/) })
    const ghost = { ...bgpBlock('http://127.0.0.1:9'), targets: [{ target: 'ghost', prefixes: [{ prefix: PREFIX, originAsns: [1] }] }] }
    expect(await run(['--config', configFile('ghost.json', ghost)])).toMatchObject({ code: 2, err: expect.stringMatching(/bgp\.targets\[0\]\.target: no target "ghost"/) })
    const noSourceapp = { ...bgpBlock('http://127.0.0.1:9'), sources: { ripestat: {} } }
    expect(await run(['--config', configFile('nosa.json', noSourceapp)])).toMatchObject({ code: 2, err: expect.stringMatching(/bgp\.sources\.ripestat\.sourceapp/) })
  })
})
