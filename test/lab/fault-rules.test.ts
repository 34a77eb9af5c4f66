// The lab's partial failures without a lab (always runs): argument parsing (a refusal is one line and
// exit 2 from the CLI), the nftables ruleset a block loads, the reading of its counters, the
// withdrawn-families file, and the speakers' configs with a family withdrawn. The faults themselves
// run in test/lab/partial-failures.e2e.test.ts.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  UsageError,
  blockedPaths,
  parseFaultCommand,
  parseFaultRules,
  parseWithdrawnFamilies,
  renderBlockRuleset,
  renderWithdrawnFamilies,
  withdrawnFamiliesPath,
} from '../../lab/fault-rules.ts'
import { renderSiteBird } from '../../lab/render/bird.ts'
import { healthCheckArgs } from '../../lab/render/exabgp.ts'
import { renderBgpdConf } from '../../lab/render/frr.ts'
import { siteById } from '../../lab/topology.ts'
import { runLabCli } from './lab-harness.ts'

const HEALTH = { python: '/usr/bin/python3', script: '/x/healthcheck.py', intervalMs: 300, timeoutMs: 250, fall: 2, rise: 1 }

describe('fault command arguments', () => {
  it('parses block with a family, a transport, both, or neither (everything)', () => {
    expect(parseFaultCommand('block', ['s1', '--family', '6'])).toEqual({ command: 'block', site: 's1', families: ['ipv6'], transports: ['udp', 'tcp'] })
    expect(parseFaultCommand('block', ['--transport', 'tcp', 's3'])).toEqual({ command: 'block', site: 's3', families: ['ipv4', 'ipv6'], transports: ['tcp'] })
    expect(parseFaultCommand('block', ['s2', '--family=4', '--transport=udp'])).toEqual({ command: 'block', site: 's2', families: ['ipv4'], transports: ['udp'] })
    expect(parseFaultCommand('block', ['s2', '--family', 'ipv6'])).toMatchObject({ families: ['ipv6'] })
    expect(parseFaultCommand('block', ['s1'])).toEqual({ command: 'block', site: 's1', families: ['ipv4', 'ipv6'], transports: ['udp', 'tcp'] })
  })

  it('parses unblock, withdraw, announce, silence, unsilence', () => {
    expect(parseFaultCommand('unblock', ['s1'])).toEqual({ command: 'unblock', site: 's1' })
    expect(parseFaultCommand('withdraw', ['s2', '--family', '6'])).toEqual({ command: 'withdraw', site: 's2', family: 'ipv6' })
    expect(parseFaultCommand('announce', ['s3', '--family', '4'])).toEqual({ command: 'announce', site: 's3', family: 'ipv4' })
    expect(parseFaultCommand('silence', ['v2'])).toEqual({ command: 'silence', vantage: 'v2' })
    expect(parseFaultCommand('unsilence', ['v3'])).toEqual({ command: 'unsilence', vantage: 'v3' })
  })

  it.each([
    ['block', ['s1', '--famly', '6'], 'block: unknown option "--famly" (known: --family, --transport)'],
    ['block', ['s1', '--family', '5'], 'block: --family must be 4 or 6, not "5"'],
    ['block', ['s1', '--transport', 'sctp'], 'block: --transport must be udp or tcp, not "sctp"'],
    ['block', ['s1', '--family'], 'block: --family needs a value'],
    ['block', ['s1', '--family', '--transport', 'tcp'], 'block: --family needs a value'],
    ['block', ['s1', '--family', '4', '--family', '6'], 'block: --family given twice'],
    ['block', ['--family', '6'], 'block: missing SITE'],
    ['block', ['s1', 's2'], 'block: one SITE only, got "s1" "s2"'],
    ['block', ['s9'], 'block: unknown site "s9" (one of s1, s2, s3)'],
    ['block', ['v1'], 'block: unknown site "v1" (one of s1, s2, s3)'],
    ['unblock', ['s1', '--family', '6'], 'unblock: unknown option "--family" (it takes none)'],
    ['withdraw', ['s1'], 'withdraw: --family 4 or --family 6 is required (kill-bgp takes the whole site out)'],
    ['withdraw', ['s1', '--transport', 'tcp'], 'withdraw: unknown option "--transport" (known: --family)'],
    ['announce', ['s1', '--family', 'v6'], 'announce: --family must be 4 or 6, not "v6"'],
    ['silence', ['s1'], 'silence: unknown vantage "s1" (one of v1, v2, v3)'],
    ['unsilence', [], 'unsilence: missing VANTAGE'],
  ])('refuses %s %j', (command, args, message) => {
    expect(() => parseFaultCommand(command, args)).toThrow(new UsageError(message))
  })

  it('the CLI refuses a bad line with one line on stderr and exit 2, before touching anything', () => {
    for (const args of [
      ['block', 's1', '--famly', '6'],
      ['block', 's1', '--transport', 'quic'],
      ['withdraw', 's2'],
      ['silence', 'v7'],
    ]) {
      const result = runLabCli(...args)
      expect(result.status, result.output).toBe(2)
      expect(result.output.trim().split('\n'), result.output).toHaveLength(1)
      expect(result.output).toMatch(/^lab: /)
    }
  }, 60_000)
})

describe('the nftables ruleset of a block', () => {
  it('drops DNS to the VIP over the blocked family and transport only, in a table of its own', () => {
    const text = renderBlockRuleset({ site: 's1', families: ['ipv6'], transports: ['udp', 'tcp'] })
    expect(text).toBe(`# npm run lab -- block s1 (lab/faults.ts): silently drop DNS to the VIP
add table inet aml_fault
add chain inet aml_fault input { type filter hook input priority -10; policy accept; }
add rule inet aml_fault input ip6 daddr 2001:db8:53::53 udp dport 53 counter drop comment "aml block s1 ipv6/udp"
add rule inet aml_fault input ip6 daddr 2001:db8:53::53 tcp dport 53 counter drop comment "aml block s1 ipv6/tcp"
`)
    const tcp = renderBlockRuleset({ site: 's3', families: ['ipv4', 'ipv6'], transports: ['tcp'] })
    expect(tcp).toContain('ip daddr 198.51.100.53 tcp dport 53 counter drop comment "aml block s3 ipv4/tcp"')
    expect(tcp).toContain('ip6 daddr 2001:db8:53::53 tcp dport 53 counter drop comment "aml block s3 ipv6/tcp"')
    expect(tcp).not.toMatch(/udp/)
    // Silent: no reject (which would answer with ICMP or a RST), nothing but port 53 (BGP on 179 stays).
    expect(tcp).not.toMatch(/reject/)
    expect(tcp.match(/dport 53 /g)).toHaveLength(2)
  })

  it('leaves out paths the site already drops, so blocks accumulate without duplicates', () => {
    const text = renderBlockRuleset({ site: 's2', families: ['ipv4', 'ipv6'], transports: ['udp'] }, ['aml block s2 ipv6/udp'])
    expect(text).toContain('"aml block s2 ipv4/udp"')
    expect(text).not.toContain('"aml block s2 ipv6/udp"')
    expect(blockedPaths({ families: ['ipv6', 'ipv4'], transports: ['tcp', 'udp'] })).toEqual([
      { family: 'ipv4', transport: 'udp' },
      { family: 'ipv4', transport: 'tcp' },
      { family: 'ipv6', transport: 'udp' },
      { family: 'ipv6', transport: 'tcp' },
    ])
  })

  it('passes nft --check when nft is installed (in a throwaway network namespace, nothing is loaded)', () => {
    if (process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v nft && command -v unshare']).status !== 0) return
    const dir = mkdtempSync(join(tmpdir(), 'aml-nft-'))
    try {
      const file = join(dir, 'fault.nft')
      writeFileSync(file, renderBlockRuleset({ site: 's1', families: ['ipv4', 'ipv6'], transports: ['udp', 'tcp'] }))
      const check = spawnSync('unshare', ['--net', 'nft', '--check', '-f', file], { encoding: 'utf8' })
      expect(check.status, check.stderr).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('reads the rules and their drop counters back from nft -j', () => {
    // `nft -j list table inet aml_fault` inside aml-s1 after block s1 --family 6 --transport tcp and one dig +tcp from v1.
    const json = JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
        { table: { family: 'inet', name: 'aml_fault', handle: 2 } },
        { chain: { family: 'inet', table: 'aml_fault', name: 'input', handle: 1, type: 'filter', hook: 'input', prio: -10, policy: 'accept' } },
        {
          rule: {
            family: 'inet',
            table: 'aml_fault',
            chain: 'input',
            handle: 2,
            comment: 'aml block s1 ipv6/tcp',
            expr: [
              { match: { op: '==', left: { payload: { protocol: 'ip6', field: 'daddr' } }, right: '2001:db8:53::53' } },
              { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 53 } },
              { counter: { packets: 1, bytes: 80 } },
              { drop: null },
            ],
          },
        },
        { rule: { family: 'inet', table: 'aml_fault', chain: 'input', handle: 3, comment: 'someone else', expr: [] } },
      ],
    })
    expect(parseFaultRules(json)).toEqual([{ comment: 'aml block s1 ipv6/tcp', family: 'ipv6', transport: 'tcp', packets: 1, bytes: 80 }])
    expect(parseFaultRules('{"nftables":[]}')).toEqual([])
  })
})

describe('withdrawing one family', () => {
  it('records the withdrawn families one a line, in a file under the site dir', () => {
    expect(renderWithdrawnFamilies(['ipv6', 'ipv4', 'ipv6'])).toBe('ipv4\nipv6\n')
    expect(renderWithdrawnFamilies([])).toBe('')
    expect(parseWithdrawnFamilies('ipv6\n')).toEqual(['ipv6'])
    expect(parseWithdrawnFamilies(' ipv4 \nbogus\n')).toEqual(['ipv4'])
    expect(parseWithdrawnFamilies('')).toEqual([])
    expect(withdrawnFamiliesPath('s2')).toBe('/run/anycast-lab/s2/withdrawn-families')
  })

  it("FRR: the withdrawn family has no network statement; the session's neighbour stays activated", () => {
    const site = siteById('s1')
    const both = renderBgpdConf(site, '/x')
    const v6Out = renderBgpdConf(site, '/x', ['ipv6'])
    expect(both).toContain('  network 2001:db8:53::53/128\n')
    expect(v6Out).not.toContain('network 2001:db8:53::53/128')
    expect(v6Out).toContain('  network 198.51.100.53/32\n')
    expect(v6Out).toContain(' address-family ipv6 unicast\n  neighbor 2001:db8:ff:21::1 activate\n')
    expect(v6Out.replace(/^hostname .*$/m, '')).toBe(both.replace('  network 2001:db8:53::53/128\n', '').replace(/^hostname .*$/m, ''))
  })

  it('BIRD: the withdrawn family exports nothing, the other protocol is unchanged', () => {
    const site = siteById('s3')
    const both = renderSiteBird(site, '/x')
    const v6Out = renderSiteBird(site, '/x', ['ipv6'])
    const protocol = (text: string, name: string): string => text.slice(text.indexOf(`protocol bgp ${name} {`)).split('\n}\n')[0]!
    expect(protocol(v6Out, 'r3_v4')).toBe(protocol(both, 'r3_v4'))
    expect(protocol(v6Out, 'r3_v6')).toContain('export none;')
    expect(protocol(both, 'r3_v6')).toContain('export filter { if net != 2001:db8:53::53/128 then reject;')
    if (spawnSync('sh', ['-c', 'command -v bird']).status === 0) {
      const dir = mkdtempSync(join(tmpdir(), 'aml-bird-'))
      try {
        const file = join(dir, 'bird.conf')
        writeFileSync(file, renderSiteBird(site, dir, ['ipv6']))
        const check = spawnSync('bird', ['-p', '-c', file], { encoding: 'utf8' })
        expect(check.status, check.stderr).toBe(0)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
  })

  it("ExaBGP: the health check is given the withdrawn-families file when there is one", () => {
    const site = siteById('s2')
    expect(healthCheckArgs(site, HEALTH)).not.toContain('--withdraw-file')
    const args = healthCheckArgs(site, { ...HEALTH, withdrawFile: '/run/anycast-lab/s2/withdrawn-families' })
    expect(args.slice(-2)).toEqual(['--withdraw-file', '/run/anycast-lab/s2/withdrawn-families'])
  })
})
