// Unit tests of the anycast lab's topology data and pure config renderers (no namespaces needed).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { birdTimeMs, collectorPeer, parseBirdProtocols, parseBirdRoutes, parseCollectorLog } from '../../lab/collector.ts'
import { renderCollectorBird, renderRouterBird, renderSiteBird } from '../../lab/render/bird.ts'
import { renderDns } from '../../lab/render/dns.ts'
import { healthCheckArgs, renderExabgpConf } from '../../lab/render/exabgp.ts'
import { renderBgpdConf } from '../../lab/render/frr.ts'
import {
  LINKS,
  ROUTERS,
  SITES,
  VANTAGES,
  failoverCatchment,
  interfaceName,
  linkEnds,
  siteById,
  steadyCatchment,
} from '../../lab/topology.ts'

const HEALTH = { python: '/usr/bin/python3', script: '/x/healthcheck.py', intervalMs: 300, timeoutMs: 250, fall: 2, rise: 1 }

describe('lab topology', () => {
  it('gives every vantage a different steady-state site and a distinct RTT', () => {
    const catchments = VANTAGES.map(steadyCatchment)
    expect(new Set(catchments.map((c) => c.site)).size).toBe(3)
    expect(catchments.map((c) => c.rttMs)).toEqual([10, 30, 60])
  })

  it('makes every failover path land on another site with a longer RTT', () => {
    for (const vantage of VANTAGES) {
      const steady = steadyCatchment(vantage)
      const failover = failoverCatchment(vantage)
      expect(failover.site).not.toBe(steady.site)
      expect(failover.rttMs).toBeGreaterThan(steady.rttMs)
    }
    expect(VANTAGES.map((v) => failoverCatchment(v).rttMs)).toEqual([50, 80, 130])
  })

  it('uses unique interface names of at most 15 bytes and unique subnets', () => {
    const names = LINKS.flatMap((link) => [interfaceName(link, link.a), interfaceName(link, link.b)])
    expect(new Set(names).size).toBe(names.length)
    for (const name of names) expect(name.length).toBeLessThanOrEqual(15)
    const subnets = LINKS.map((link) => link.ipv4[0].replace(/\.\d+\/24$/, ''))
    expect(new Set(subnets).size).toBe(LINKS.length)
  })

  it('tags each site with its own community and ASN', () => {
    expect(SITES.map((s) => s.community.join(':'))).toEqual(['65000:1', '65000:2', '65000:3'])
    expect(new Set([...SITES, ...ROUTERS].map((n) => n.asn)).size).toBe(6)
    expect(SITES.map((s) => `${s.dns}+${s.bgp}`)).toEqual(['bind+frr', 'nsd+exabgp', 'knot+bird'])
  })

  it('connects each router to its site, its vantage, two routers and the collector', () => {
    for (const router of ROUTERS) {
      expect(linkEnds(router.id).map((end) => end.peer).sort()).toEqual(
        [router.site, router.vantage, 'col', ...Object.keys(router.routerPreference)].sort(),
      )
    }
  })
})

describe('lab config renderers', () => {
  it('renders router BIRD configs with short timers and failover preferences', () => {
    const text = renderRouterBird(ROUTERS[0]!, '/run/x/r1')
    expect(text).toContain('hold time 3;')
    expect(text).toContain('keepalive time 1;')
    expect(text).toContain('graceful restart off;')
    expect(text).toContain('neighbor 10.53.21.2 as 65001;')
    expect(text).toContain('bgp_local_pref = 150')
    expect(text).toContain('neighbor 2001:db8:ff:41::1 as 65200;')
  })

  it('renders a passive collector that logs updates', () => {
    const text = renderCollectorBird('/run/x/col')
    expect(text.match(/passive on;/g)).toHaveLength(6)
    expect(text).toContain('export none;')
    expect(text).toContain('print "UPDATE "')
    expect(text).toContain('mrtdump "/run/x/col/updates.mrt";')
  })

  it('produces configs that BIRD itself accepts', () => {
    const check = spawnSync('bird', ['--version'], { encoding: 'utf8' })
    if (check.error) return // bird2 not installed: covered by the string checks above
    const dir = mkdtempSync(join(tmpdir(), 'lab-bird-'))
    try {
      const configs = {
        r1: renderRouterBird(ROUTERS[0]!, dir),
        col: renderCollectorBird(dir),
        s3: renderSiteBird(siteById('s3'), dir),
      }
      for (const [name, text] of Object.entries(configs)) {
        writeFileSync(join(dir, `${name}.conf`), text)
        const result = spawnSync('bird', ['-p', '-c', join(dir, `${name}.conf`)], { encoding: 'utf8' })
        expect(result.status, `${name}: ${result.stderr}`).toBe(0)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('renders the FRR site with network statements and its community', () => {
    const text = renderBgpdConf(siteById('s1'), '/run/x/s1/frr')
    expect(text).toContain('network 198.51.100.53/32')
    expect(text).toContain('network 2001:db8:53::53/128')
    expect(text).toContain('set community 65000:1')
    expect(text).toContain('neighbor 10.53.21.1 timers 1 3')
  })

  it('renders ExaBGP driven by the health check', () => {
    const site = siteById('s2')
    const text = renderExabgpConf(site, HEALTH)
    expect(text).toContain('hold-time 3;')
    expect(text).toContain('processes [ healthcheck ];')
    expect(healthCheckArgs(site, HEALTH)).toEqual(expect.arrayContaining(['--community', '65000:2', '--route', '10.53.22.1=198.51.100.53/32']))
  })

  it('gives every DNS server its NSID and the VIP on port 53', () => {
    expect(renderDns(siteById('s1'), '/d').files['named.conf']).toContain('server-id "s1-bind";')
    expect(renderDns(siteById('s2'), '/d').files['nsd.conf']).toContain('nsid: "ascii_s2-nsd"')
    const knot = renderDns(siteById('s3'), '/d').files['knot.conf']
    expect(knot).toContain('nsid: "s3-knot"')
    expect(knot).toContain('198.51.100.53@53')
  })
})

describe('collector output parsers', () => {
  it('parses `birdc show route in PREFIX all`: every session\'s route with its peer, path, communities and time', () => {
    const routes = parseBirdRoutes(`BIRD 2.0.12 ready.
Table master4:
198.51.100.53/32     unicast [r1_v4 2026-11-22 03:16:00.250] * (100) [AS65001i]
	via 10.53.41.2 on cr1-col
	Type: BGP univ
	BGP.origin: IGP
	BGP.as_path: 65101 65001
	BGP.next_hop: 10.53.41.2
	BGP.local_pref: 100
	BGP.community: (65000,1)
                     unicast [r2_v4 2026-11-22 03:15:59] (100) [AS65002i]
	via 10.53.42.2 on cr2-col
	BGP.as_path: 65102 65002
	BGP.community: (65000,2)
Table master6:
2001:db8:53::53/128  unicast [r3_v6 2026-11-22 03:16:01] * (100) [AS65003i]
	BGP.as_path: 65103 65003
	BGP.next_hop: 2001:db8:ff:43::2 fe80::1
	BGP.community: (65000,3) (65000,99)
`)
    expect(routes).toEqual([
      {
        prefix: '198.51.100.53/32',
        protocol: 'r1_v4',
        peerRouter: 'r1',
        peerIp: '10.53.41.2',
        peerAsn: 65101,
        best: true,
        asPath: [65101, 65001],
        communities: ['65000:1'],
        origin: 'IGP',
        nextHop: '10.53.41.2',
        since: '2026-11-22 03:16:00.250',
        sinceMs: new Date(2026, 10, 22, 3, 16, 0, 250).getTime(),
      },
      expect.objectContaining({ prefix: '198.51.100.53/32', protocol: 'r2_v4', peerIp: '10.53.42.2', peerAsn: 65102, best: false, asPath: [65102, 65002], communities: ['65000:2'], origin: null }),
      expect.objectContaining({ prefix: '2001:db8:53::53/128', protocol: 'r3_v6', peerIp: '2001:db8:ff:43::2', peerAsn: 65103, nextHop: '2001:db8:ff:43::2', communities: ['65000:3', '65000:99'] }),
    ])
  })

  it('parses the collector update log: announcements from the import filter, withdrawals from `removed`', () => {
    const events = parseCollectorLog(`2026-11-22 03:19:27.125 <INFO> UPDATE r1_v4 198.51.100.53/32 as-path (path 65101 65102 65002) communities (clist (65000,2))
2026-11-22 03:19:27.126 <TRACE> r1_v4.ipv4 > added 198.51.100.53/32 0L 6G unicast
2026-11-22 03:19:31 <TRACE> r2_v4.ipv4 > removed [sole] 198.51.100.53/32 unicast
`)
    expect(events).toEqual([
      {
        time: '2026-11-22 03:19:27.125',
        at: new Date(2026, 10, 22, 3, 19, 27, 125).getTime(),
        protocol: 'r1_v4',
        peerRouter: 'r1',
        kind: 'update',
        prefix: '198.51.100.53/32',
        asPath: [65101, 65102, 65002],
        communities: ['65000:2'],
      },
      { time: '2026-11-22 03:19:31', at: new Date(2026, 10, 22, 3, 19, 31).getTime(), protocol: 'r2_v4', peerRouter: 'r2', kind: 'withdraw', prefix: '198.51.100.53/32', asPath: [], communities: [] },
    ])
  })

  it('parses `birdc show protocols`: only BGP sessions, established or not', () => {
    const sessions = parseBirdProtocols(`BIRD 2.0.12 ready.
Name       Proto      Table      State  Since         Info
device1    Device     ---        up     2026-11-22 05:54:05
r1_v4      BGP        ---        up     2026-11-22 05:54:06  Established
r2_v6      BGP        ---        start  2026-11-22 05:54:06  Active        Socket: Connection refused
`)
    expect(sessions).toEqual([
      { protocol: 'r1_v4', peer: collectorPeer('r1_v4'), established: true },
      { protocol: 'r2_v6', peer: collectorPeer('r2_v6'), established: false },
    ])
    expect(collectorPeer('r2_v6')).toEqual({ protocol: 'r2_v6', router: 'r2', family: 'v6', ip: '2001:db8:ff:42::2', asn: 65102 })
    expect(collectorPeer('kernel_v4')).toBeNull()
  })

  it('reads BIRD\'s zone-less times as local time, with or without milliseconds', () => {
    expect(birdTimeMs('2026-11-22 05:54:06')).toBe(new Date(2026, 10, 22, 5, 54, 6).getTime())
    expect(birdTimeMs('2026-11-22 05:54:06.5')).toBe(new Date(2026, 10, 22, 5, 54, 6, 500).getTime())
    expect(birdTimeMs('yesterday')).toBeNull()
  })
})
