import { describe, expect, it } from 'vitest'
import { rpkiInvalid, RpkiInvalidParamsSchema } from '../../../../src/core/bgp/detectors/rpki-invalid.ts'
import type { RpkiCheck } from '../../../../src/core/bgp/model.ts'
import { fresh, input, peers, PREFIX, route, rpki, snapshot, unavailable } from '../../../support/bgp.ts'

const routes = [...peers(4, 64510), route('65101 3356 64666', { peer: '10.7.0.1' })]
const run = (checks: RpkiCheck[] | null, current = fresh(snapshot(routes, { rpki: checks }))) =>
  rpkiInvalid.detect(input([current]), RpkiInvalidParamsSchema.parse({}))

describe('BGP RPKI invalid', () => {
  it('reports our own origin being RPKI-invalid as an error: validating networks drop the route', () => {
    const findings = run([rpki(64500, 'invalid', 'invalid_length')])
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({
      kind: 'bgp-rpki-invalid',
      scope: `prefix:${PREFIX}@origin:AS64500`,
      severity: 'error',
      summary: `${PREFIX} from AS64500 is RPKI invalid_length: networks validating origins drop it`,
      evidence: { details: { originAsn: 64500, rpki: 'invalid_length', validator: 'routinator', peers: 4, expectedOrigin: true } },
    })
  })

  it('reports an unexpected origin being invalid as a warning', () => {
    const findings = run([rpki(64500, 'valid'), rpki(64666, 'invalid', 'invalid_asn')])
    expect(findings.map((finding) => [finding.scope, finding.severity])).toEqual([[`prefix:${PREFIX}@origin:AS64666`, 'warning']])
  })

  it('stops reporting once the validator no longer says invalid', () => {
    expect(run([rpki(64500, 'valid')])).toEqual([])
    expect(run([rpki(64500, 'unknown', 'not-found')])).toEqual([])
  })

  it('ignores an invalid origin no peer routes to any more', () => {
    expect(run([rpki(64777, 'invalid', 'invalid_asn')])).toEqual([])
  })

  it('checks nothing without RPKI data or a fresh snapshot', () => {
    expect(run(null)).toEqual([])
    expect(run([rpki(64500, 'invalid')], unavailable())).toEqual([])
  })
})
