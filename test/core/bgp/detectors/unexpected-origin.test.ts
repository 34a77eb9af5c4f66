import { describe, expect, it } from 'vitest'
import { unexpectedOrigin, UnexpectedOriginParamsSchema } from '../../../../src/core/bgp/detectors/unexpected-origin.ts'
import type { BgpSourceResult } from '../../../../src/core/bgp/model.ts'
import { fresh, input, peers, PREFIX, route, rpki, snapshot, stale } from '../../../support/bgp.ts'

const run = (results: BgpSourceResult[], expectedOriginAsns = [64500], minPeers = 2) =>
  unexpectedOrigin.detect(input(results, { expectedOriginAsns }), UnexpectedOriginParamsSchema.parse({ minPeers }))

const normal = peers(10, 64510)
const hijacked = [...normal, route('65101 3356 64666', { peer: '10.7.0.1' }), route('65102 3356 64666', { peer: '10.7.0.2' })]

describe('BGP unexpected origin', () => {
  it('reports an origin AS that is not expected, with the peers and paths that show it', () => {
    const findings = run([fresh(snapshot(hijacked))])
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({
      kind: 'bgp-unexpected-origin',
      scope: `prefix:${PREFIX}@origin:AS64666`,
      severity: 'critical',
      evidence: {
        details: { originAsn: 64666, peers: 2, expectedOriginAsns: ['AS64500'], rpki: 'not checked', paths: ['65101 3356 64666', '65102 3356 64666'] },
      },
    })
    expect(findings[0]?.summary).toBe(`2 peers route ${PREFIX} to origin AS64666, expected AS64500`)
  })

  it('makes one finding per unexpected origin, an AS_SET origin included', () => {
    const withSet = [...hijacked, route('65103 64500', { peer: '10.8.0.1', originAsn: null }), route('65104 64500', { peer: '10.8.0.2', originAsn: null })]
    expect(run([fresh(snapshot(withSet))]).map((finding) => finding.scope)).toEqual([`prefix:${PREFIX}@origin:AS_SET`, `prefix:${PREFIX}@origin:AS64666`])
  })

  it('ignores an unexpected origin seen by fewer than minPeers peers', () => {
    expect(run([fresh(snapshot(hijacked.slice(0, 11)))])).toEqual([])
  })

  it('downgrades to a warning when RPKI says the origin is valid for the prefix', () => {
    const [finding] = run([fresh(snapshot(hijacked, { rpki: [rpki(64500, 'valid'), rpki(64666, 'valid')] }))])
    expect(finding).toMatchObject({ severity: 'warning', evidence: { details: { rpki: 'valid' } } })
  })

  it('stops reporting once no peer routes to the unexpected origin any more', () => {
    expect(run([fresh(snapshot(hijacked)), fresh(snapshot(normal))])).toEqual([])
  })

  it('checks nothing without expected origins, or without a fresh snapshot', () => {
    expect(run([fresh(snapshot(hijacked))], [])).toEqual([])
    expect(run([stale(snapshot(hijacked))])).toEqual([])
  })
})
