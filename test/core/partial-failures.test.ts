// Partial failures are failures: a site that breaks over one address family, one transport or on one
// of several VIPs is found, scoped to those paths, and paged once.
import { describe, expect, it } from 'vitest'
import type { Finding } from '../../src/core/findings.ts'
import {
  ADDRESS_NS2,
  ADDRESS_V4,
  ADDRESS_V6,
  DUAL_STACK_TARGET,
  evaluateSeries,
  ok,
  on,
  pageCycles,
  pages,
  paths,
  repeat,
  sequence,
  timeout,
  TWO_VIP_TARGET,
  type Probe,
  type SeriesBgp,
} from '../support/cycles.ts'

const BOTH_FAMILIES = [ADDRESS_V4, ADDRESS_V6]
const UDP_AND_TCP = ['udp', 'tcp'] as const
/** Every path of the dual-stack target (both families, both transports) answered by `site`. */
const everywhere = (site: string, rttMs = 10): Probe[] => paths(ok(site, rttMs), BOTH_FAMILIES, UDP_AND_TCP)
const healthy = (count: number) => repeat(count, { par: everywhere('fra', 12), lon: everywhere('fra', 14), ber: everywhere('ber', 20) })

/** par and lon, fra's vantages, get no answer over IPv6 and answers over IPv4. */
const fraDeadOverIpv6 = (count: number) =>
  repeat(count, {
    par: [...paths(ok('fra', 12), [ADDRESS_V4], UDP_AND_TCP), ...paths(timeout(), [ADDRESS_V6], UDP_AND_TCP)],
    lon: [...paths(ok('fra', 14), [ADDRESS_V4], UDP_AND_TCP), ...paths(timeout(), [ADDRESS_V6], UDP_AND_TCP)],
    ber: everywhere('ber', 20),
  })
const fraDeadEverywhere = (count: number) =>
  repeat(count, { par: paths(timeout(), BOTH_FAMILIES, UDP_AND_TCP), lon: paths(timeout(), BOTH_FAMILIES, UDP_AND_TCP), ber: everywhere('ber', 20) })

const findingsAt = (run: ReturnType<typeof evaluateSeries>, index: number): Finding[] => run.results[index]?.findings ?? []
const kindsAndScopes = (findings: readonly Finding[]) => findings.map((finding) => `${finding.kind} ${finding.scope} ${finding.paths?.slice ?? '-'}`)

describe('partial failures', () => {
  it('a site that answers over TCP but not over UDP for 10 cycles gives a transport-divergence finding, and no black hole', () => {
    const udpDead = (site: string, rttMs: number): Probe[] => [
      ...paths(timeout('udp'), BOTH_FAMILIES, ['udp']),
      ...paths(ok(site, rttMs, 'tcp'), BOTH_FAMILIES, ['tcp']),
    ]
    const run = evaluateSeries(sequence(healthy(3), repeat(10, { par: udpDead('fra', 12), lon: udpDead('fra', 14), ber: everywhere('ber', 20) })), {
      target: DUAL_STACK_TARGET,
    })
    const last = findingsAt(run, 12)
    expect(kindsAndScopes(last)).toEqual(['transport-divergence site:fra udp'])
    expect(last[0]).toMatchObject({
      severity: 'error',
      summary: 'fra answers over TCP but not over UDP: lon and par get no UDP answer (timeout) for 6 cycles',
      paths: { slice: 'udp', text: 'over UDP', transports: ['udp'], addresses: BOTH_FAMILIES },
      evidence: { vantages: ['lon', 'par'], details: { failingTransport: 'udp', answeringTransport: 'tcp' } },
    })
    expect(pages(run.notifications)).toEqual(['trigger transport-divergence site:fra'])
    expect(pageCycles(run.notifications)).toEqual([9])
  })

  it('a UDP answer lost now and then is no divergence', () => {
    const lossy = (index: number): Probe[] =>
      index % 3 === 0 ? [...paths(timeout('udp'), BOTH_FAMILIES, ['udp']), ...paths(ok('fra', 12, 'tcp'), BOTH_FAMILIES, ['tcp'])] : everywhere('fra', 12)
    const history = sequence(...Array.from({ length: 20 }, (_, index) => repeat(1, { par: lossy(index), ber: everywhere('ber', 20) })))
    const run = evaluateSeries(history, { target: DUAL_STACK_TARGET })
    expect(run.results.flatMap((result) => result.findings)).toEqual([])
  })

  it('a site dead over IPv6 while IPv4 answers gives a black hole scoped to IPv6, and nothing about IPv4', () => {
    const run = evaluateSeries(sequence(healthy(3), fraDeadOverIpv6(2)), { target: DUAL_STACK_TARGET })
    const findings = findingsAt(run, 4)
    expect(kindsAndScopes(findings)).toEqual(['black-hole site:fra ipv6'])
    expect(findings[0]).toMatchObject({
      severity: 'critical',
      summary:
        'suspected black hole at fra over IPv6: lon and par get no answer (timeout) while 1 other vantage does; BGP not checked; ' +
        'lon and par answer over IPv4',
      paths: { slice: 'ipv6', text: 'over IPv6', families: ['ipv6'], addresses: [ADDRESS_V6] },
    })
    expect(pages(run.notifications)).toEqual(['trigger black-hole site:fra'])
  })

  it('a lossy vantage whose IPv6 probes are all lost in one cycle now and then is no black hole, until they stay lost 3 cycles', () => {
    const v4 = (site: string, rttMs: number) => paths(ok(site, rttMs), [ADDRESS_V4], UDP_AND_TCP)
    const lossy = (index: number): Probe[] =>
      index % 4 === 1 ? [...v4('fra', 12), on(ADDRESS_V6, timeout('udp')), on(ADDRESS_V6, ok('fra', 12, 'tcp'))] : everywhere('fra', 12)
    const lostOnce = [...v4('fra', 12), ...paths(timeout(), [ADDRESS_V6], UDP_AND_TCP)]
    const history = sequence(
      ...Array.from({ length: 8 }, (_, index) => repeat(1, { par: lossy(index), ber: everywhere('ber', 20) })),
      repeat(1, { par: lostOnce, ber: everywhere('ber', 20) }),
      repeat(1, { par: lossy(1), ber: everywhere('ber', 20) }),
      repeat(1, { par: lostOnce, ber: everywhere('ber', 20) }),
      repeat(1, { par: lossy(0), ber: everywhere('ber', 20) }),
      repeat(3, { par: lostOnce, ber: everywhere('ber', 20) }),
    )
    const run = evaluateSeries(history, { target: DUAL_STACK_TARGET })
    const blackHoles = run.results.map((result) => result.findings.filter((finding) => finding.kind === 'black-hole').length)
    expect(blackHoles).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    expect(run.notifications).toEqual([])
  })

  it('reads the IPv6 slice against BGP\'s IPv6 routes: fra announced over IPv6 confirms that black hole', () => {
    const bgpAt = (): SeriesBgp => ({ bgp: { fra: 'announced', ber: 'announced' }, bgpByFamily: { ipv6: { fra: 'announced', ber: 'announced' } } })
    const run = evaluateSeries(sequence(healthy(3), fraDeadOverIpv6(2)), { target: DUAL_STACK_TARGET, bgpAt })
    expect(findingsAt(run, 4)[0]?.summary).toMatch(/^black hole at fra over IPv6: .*its route is still announced; lon and par answer over IPv4$/)
  })

  it('an IPv6 route withdrawn while IPv4 stays is an IPv6 failover, with nothing about IPv4', () => {
    const v6MovedToBer = (count: number) =>
      repeat(count, {
        par: [...paths(ok('fra', 12), [ADDRESS_V4], UDP_AND_TCP), ...paths(ok('ber', 30), [ADDRESS_V6], UDP_AND_TCP)],
        lon: [...paths(ok('fra', 14), [ADDRESS_V4], UDP_AND_TCP), ...paths(ok('ber', 32), [ADDRESS_V6], UDP_AND_TCP)],
        ber: everywhere('ber', 20),
      })
    const bgpAt = (index: number): SeriesBgp => ({
      bgp: { fra: 'announced', ber: 'announced' },
      bgpByFamily: { ipv4: { fra: 'announced', ber: 'announced' }, ipv6: { fra: index >= 3 ? 'withdrawn' : 'announced', ber: 'announced' } },
    })
    const run = evaluateSeries(sequence(healthy(3), v6MovedToBer(6)), { target: DUAL_STACK_TARGET, bgpAt })
    const findings = run.results.flatMap((result) => result.findings)
    expect(new Set(findings.map((finding) => `${finding.kind} ${finding.paths?.slice}`))).toEqual(new Set(['failover ipv6', 'catchment-shift ipv6']))
    expect(findings.find((finding) => finding.kind === 'failover')?.summary).toBe(
      'fra is withdrawn from BGP over IPv6 and its vantages moved: lon and par to ber: clean failover',
    )
    const shifts = findings.filter((finding) => finding.kind === 'catchment-shift').map((finding) => finding.summary.replace(/ \(RTT.*/, ''))
    expect(new Set(shifts)).toEqual(new Set(['lon moved over IPv6 from fra to ber', 'par moved over IPv6 from fra to ber']))
    // The shifts are the failover's evidence: one page.
    expect(pages(run.notifications)).toEqual(['trigger failover site:fra'])
  })

  it('one of two VIPs black-holed at a site gives a finding naming that address', () => {
    const bothVips = (site: string, rttMs: number) => paths(ok(site, rttMs), [ADDRESS_V4, ADDRESS_NS2])
    const ns2Dead = (site: string, rttMs: number) => [on(ADDRESS_V4, ok(site, rttMs)), on(ADDRESS_NS2, timeout())]
    const history = sequence(
      repeat(3, { par: bothVips('fra', 12), lon: bothVips('fra', 14), ber: bothVips('ber', 20) }),
      repeat(2, { par: ns2Dead('fra', 12), lon: ns2Dead('fra', 14), ber: bothVips('ber', 20) }),
    )
    const run = evaluateSeries(history, { target: TWO_VIP_TARGET })
    const findings = findingsAt(run, 4)
    expect(kindsAndScopes(findings)).toEqual([`black-hole site:fra address:${ADDRESS_NS2}`])
    expect(findings[0]?.summary).toBe(
      `suspected black hole at fra on ${ADDRESS_NS2}: lon and par get no answer (timeout) while 1 other vantage does; BGP not checked; ` +
        `lon and par answer on ${ADDRESS_V4}`,
    )
    expect(findings[0]?.paths).toMatchObject({ addresses: [ADDRESS_NS2], families: ['ipv4'] })
  })

  it('a site down on every path gives exactly one site finding', () => {
    const run = evaluateSeries(sequence(healthy(3), fraDeadEverywhere(2)), { target: DUAL_STACK_TARGET })
    const findings = findingsAt(run, 4)
    expect(kindsAndScopes(findings)).toEqual(['black-hole site:fra all'])
    expect(findings[0]?.summary).toBe('suspected black hole at fra: lon and par get no answer (timeout) while 1 other vantage does; BGP not checked')
    expect(findings[0]?.paths).toMatchObject({ slice: 'all', text: '', families: ['ipv4', 'ipv6'] })
  })

  it('a scope that grows from IPv6 to every path, then shrinks back, updates the same incident', () => {
    const run = evaluateSeries(sequence(healthy(3), fraDeadOverIpv6(3), fraDeadEverywhere(3), fraDeadOverIpv6(2), healthy(3)), { target: DUAL_STACK_TARGET })
    expect(pages(run.notifications)).toEqual(['trigger black-hole site:fra', 'resolve black-hole site:fra'])
    expect(pageCycles(run.notifications)).toEqual([4, 12])
    const slices = run.results.slice(3, 11).map((result) => result.findings.map((finding) => finding.paths?.slice).join())
    expect(slices).toEqual(['ipv6', 'ipv6', 'ipv6', 'all', 'all', 'all', 'ipv6', 'ipv6'])
    const incident = run.results[10]?.incidents[0]
    expect(incident?.key).toBe('lab/black-hole/site:fra')
    expect(incident?.updates.map((update) => update.text.replace(/:.*/, ''))).toEqual([
      'opened',
      'suspected black hole at fra',
      'suspected black hole at fra over IPv6',
    ])
  })

  it('a vantage split between families (IPv4 to fra, IPv6 to ber) is no "fra+ber" catchment shift', () => {
    const split = (count: number) =>
      repeat(count, { par: [...paths(ok('fra', 12), [ADDRESS_V4], UDP_AND_TCP), ...paths(ok('ber', 30), [ADDRESS_V6], UDP_AND_TCP)], ber: everywhere('ber', 20) })
    const run = evaluateSeries(sequence(repeat(4, { par: everywhere('fra', 12), ber: everywhere('ber', 20) }), split(5)), { target: DUAL_STACK_TARGET })
    const shifts = run.results.flatMap((result) => result.findings).filter((finding) => finding.kind === 'catchment-shift')
    expect(shifts.length).toBeGreaterThan(0)
    expect(shifts.every((shift) => shift.paths?.slice === 'ipv6' && shift.summary.startsWith('par moved over IPv6 from fra to ber'))).toBe(true)
  })
})

describe('silence', () => {
  const missing = (count: number, reason: string) =>
    repeat(count, { par: ok('fra'), ber: ok('ber') }).map((record) => ({ ...record, missingVantages: [{ vantage: 'lon', reason }] }))

  it('a vantage that reports nothing for 3 cycles is silent, with the runner\'s reason; its return resolves it', () => {
    const reason = 'runner:netns:lon: Cannot open network namespace "aml-lon": No such file or directory'
    const run = evaluateSeries(sequence(repeat(3, { par: ok('fra'), lon: ok('fra'), ber: ok('ber') }), missing(4, reason), repeat(3, { par: ok('fra'), lon: ok('fra'), ber: ok('ber') })))
    expect(run.results[5]?.findings).toEqual([
      expect.objectContaining({ kind: 'vantage-silent', scope: 'vantage:lon', severity: 'warning', summary: `lon reported nothing for 3 cycles: ${reason}` }),
    ])
    expect(pages(run.notifications)).toEqual(['trigger vantage-silent vantage:lon', 'resolve vantage-silent vantage:lon'])
    expect(pageCycles(run.notifications)).toEqual([6, 8])
  })

  it('two silent cycles are only "no data"', () => {
    const run = evaluateSeries(sequence(repeat(3, { par: ok('fra'), lon: ok('fra'), ber: ok('ber') }), missing(2, 'did not report before the cycle deadline')))
    expect(run.results.flatMap((result) => result.findings)).toEqual([])
  })
})
