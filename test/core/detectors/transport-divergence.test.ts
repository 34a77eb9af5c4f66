import { describe, expect, it } from 'vitest'
import { transportDivergence } from '../../../src/core/detectors/transport-divergence.ts'
import { catchmentCycles, DUAL_STACK_TARGET, ok, on, ADDRESS_V6, paths, ADDRESS_V4, repeat, sequence, timeout, type Probe } from '../../support/cycles.ts'
import type { CycleRecord } from '../../../src/core/findings.ts'

const BOTH = [ADDRESS_V4, ADDRESS_V6]
const allGood = (site: string): Probe[] => paths(ok(site), BOTH, ['udp', 'tcp'])
const tcpDead = (site: string, addresses = BOTH): Probe[] => [
  ...paths(ok(site), BOTH, ['udp']),
  ...BOTH.map((address) => on(address, addresses.includes(address) ? timeout('tcp') : ok(site, 10, 'tcp'))),
]

function detect(history: readonly CycleRecord[], windowCycles = 6) {
  return transportDivergence.detect({ target: DUAL_STACK_TARGET, cycles: catchmentCycles(history) }, transportDivergence.params.parse({ windowCycles }))
}

describe('transport-divergence detector', () => {
  it('names the site that answers over UDP but not over TCP for the whole window, with its vantages', () => {
    const history = sequence(repeat(2, { par: allGood('fra'), ber: allGood('ber') }), repeat(6, { par: tcpDead('fra'), ber: allGood('ber') }))
    expect(detect(history)).toEqual([
      expect.objectContaining({
        kind: 'transport-divergence',
        scope: 'site:fra',
        summary: 'fra answers over UDP but not over TCP: par gets no TCP answer (timeout) for 6 cycles',
        paths: { slice: 'tcp', text: 'over TCP', families: ['ipv4', 'ipv6'], addresses: BOTH, transports: ['tcp'] },
      }),
    ])
  })

  it('waits for the whole window: five cycles of it are not yet a divergence', () => {
    const history = sequence(repeat(2, { par: allGood('fra') }), repeat(5, { par: tcpDead('fra') }))
    expect(detect(history)).toEqual([])
  })

  it('names the address when TCP fails over IPv6 only', () => {
    const history = repeat(6, { par: tcpDead('fra', [ADDRESS_V6]) })
    expect(detect(history)[0]?.summary).toBe(`fra answers over UDP but not over TCP on ${ADDRESS_V6}: par gets no TCP answer (timeout) for 6 cycles`)
  })

  it('leaves a site failing over both transports to the black-hole detector', () => {
    expect(detect(repeat(6, { par: paths(timeout(), BOTH, ['udp', 'tcp']) }))).toEqual([])
  })

  it('finds nothing for a target probed over one transport', () => {
    const udpOnly = { ...DUAL_STACK_TARGET, transports: ['udp' as const] }
    const history = repeat(6, { par: tcpDead('fra') })
    expect(transportDivergence.detect({ target: udpOnly, cycles: catchmentCycles(history) }, transportDivergence.params.parse({}))).toEqual([])
  })
})
