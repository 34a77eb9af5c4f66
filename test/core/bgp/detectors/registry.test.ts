import { describe, expect, it } from 'vitest'
import { BGP_FINDING_KINDS, BgpDetectionSettingsSchema, requiredBgpHistory, runBgpDetectors } from '../../../../src/core/bgp/detectors/index.ts'
import { fresh, input, peers, route, rpki, snapshot, unavailable } from '../../../support/bgp.ts'

const settings = BgpDetectionSettingsSchema.parse({})

describe('running the BGP detectors', () => {
  it('runs every detector on a fresh snapshot and says which kinds it could not check', () => {
    const routes = [...peers(4, 64510), route('65101 3356 64666', { peer: '10.7.0.1' }), route('65102 3356 64666', { peer: '10.7.0.2' })]
    const current = fresh(snapshot(routes, { rpki: [rpki(64500, 'invalid', 'invalid_asn')], gaps: [{ part: 'updates', reason: 'bgp-updates: HTTP 500' }] }))
    const detection = runBgpDetectors(input([current]), settings)
    expect(detection.findings.map((finding) => finding.kind)).toEqual(['bgp-unexpected-origin', 'bgp-rpki-invalid'])
    expect(detection.notChecked).toEqual([{ kind: 'bgp-flapping', reason: 'ripestat: bgp-updates: HTTP 500' }])
  })

  it('checks nothing when the source is unavailable, and says so for every kind, so no incident reads it as a recovery', () => {
    const detection = runBgpDetectors(input([unavailable('looking-glass: no response within 200 ms')]), settings)
    expect(detection.findings).toEqual([])
    expect(detection.notChecked.map((entry) => entry.kind)).toEqual(BGP_FINDING_KINDS)
    expect(detection.notChecked[0]?.reason).toBe('ripestat is unavailable: looking-glass: no response within 200 ms')
  })

  it('asks for as much history as the visibility baseline', () => {
    expect(requiredBgpHistory(settings)).toBe(288)
  })
})
