import { describe, expect, it } from 'vitest'
import { unknownIdentity } from '../../../src/core/detectors/unknown-identity.ts'
import { cycle, ok, okAnonymous, okBinary, okFrom, runDetector } from '../../support/cycles.ts'

const TYO_HEX = Buffer.from('tyo1.ns.example').toString('hex')

describe('unknown-identity detector', () => {
  it('names the identity text and hex that match no site, and the vantages that saw it', () => {
    const history = [cycle(0, { par: okFrom('tyo1.ns.example'), sin: okFrom('tyo1.ns.example'), ber: ok('ber') })]
    expect(runDetector(unknownIdentity, history)).toEqual([
      expect.objectContaining({
        kind: 'unknown-identity',
        scope: `identity:${TYO_HEX}`,
        severity: 'warning',
        summary: 'identity "tyo1.ns.example" (nsid) matches no site; seen by par and sin',
        evidence: expect.objectContaining({
          vantages: ['par', 'sin'],
          details: { identityText: 'tyo1.ns.example', identityHex: TYO_HEX, identitySource: 'nsid' },
        }),
      }),
    ])
  })

  it('shows a binary identity as hex', () => {
    const [finding] = runDetector(unknownIdentity, [cycle(0, { par: okBinary('00ff17') })])
    expect(finding?.summary).toBe('identity 0x00ff17 (nsid) matches no site; seen by par')
  })

  it('says nothing about known identities or answers without identity', () => {
    expect(runDetector(unknownIdentity, [cycle(0, { par: ok('fra'), ber: okAnonymous() })])).toEqual([])
  })

  it('skips identities listed in ignoreIdentities, by text or hex', () => {
    const history = [cycle(0, { par: okFrom('TYO1.ns.example'), ber: okBinary('00ff17') })]
    expect(runDetector(unknownIdentity, history, { ignoreIdentities: ['tyo1.ns.example', '00ff17'] })).toEqual([])
  })
})
