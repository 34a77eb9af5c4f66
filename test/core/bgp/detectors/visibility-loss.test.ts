import { describe, expect, it } from 'vitest'
import { visibilityLoss, VisibilityLossParamsSchema, type VisibilityLossParams } from '../../../../src/core/bgp/detectors/visibility-loss.ts'
import type { BgpSourceResult } from '../../../../src/core/bgp/model.ts'
import { fresh, input, peers, PREFIX, snapshot, stale, T0, unavailable } from '../../../support/bgp.ts'

const run = (results: BgpSourceResult[], params: Partial<VisibilityLossParams> = {}) =>
  visibilityLoss.detect(input(results), VisibilityLossParamsSchema.parse(params))

// 12 peers at rrc00 and rrc01, half through fra's transit (AS64510), half through ber's (AS64511).
const healthyRoutes = [...peers(6, 64510), ...peers(6, 64511, { collector: 'rrc01' })]
const healthy = fresh(snapshot(healthyRoutes))

describe('BGP visibility loss', () => {
  it('reports the prefix when the share of peers seeing it falls below minShare of the baseline', () => {
    const findings = run([healthy, healthy, fresh(snapshot(healthyRoutes.slice(0, 4)))], { perUpstream: false })
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({
      kind: 'bgp-visibility-loss',
      target: 'lab',
      scope: `prefix:${PREFIX}`,
      severity: 'error',
      at: T0,
      evidence: { vantages: [], latest: [], details: { peersSeeing: 4, baselinePeers: 12, share: 0.333, peersLostCount: 8, source: 'ripestat' } },
    })
    expect(findings[0]?.summary).toBe(`${PREFIX} is seen by 4 of 12 peers (33.3%) on ripestat, below 80%`)
  })

  it('reports a prefix nobody sees as critical, even with no history at all', () => {
    const [finding] = run([fresh(snapshot([]))])
    expect(finding).toMatchObject({ severity: 'critical', scope: `prefix:${PREFIX}`, summary: `${PREFIX} is seen by no peer of ripestat (baseline 0)` })
  })

  it('reports one collector losing its peers while the prefix stays visible overall', () => {
    const wide = [...peers(20, 64510), ...peers(4, 64510, { collector: 'rrc01', from: 50 })]
    const rrc01Fading = wide.filter((route) => route.collector !== 'rrc01' || route.peerIp.endsWith('.50'))
    const findings = run([fresh(snapshot(wide)), fresh(snapshot(rrc01Fading))])
    expect(findings.map((finding) => [finding.scope, finding.severity, finding.evidence.details.peersSeeing])).toEqual([
      [`prefix:${PREFIX}@collector:rrc01`, 'warning', 1],
    ])
  })

  it("reports the peers reaching the prefix through one site's upstream going away, naming the site", () => {
    const routes = [...peers(30, 64510), ...peers(5, 64511)]
    const findings = run([fresh(snapshot(routes)), fresh(snapshot(routes.slice(0, 30)))])
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({ scope: `prefix:${PREFIX}@upstream:AS64511`, severity: 'warning', evidence: { sites: ['ber'] } })
    expect(findings[0]?.summary).toBe(`${PREFIX} is seen through upstream AS64511 (site ber) by 0 of 5 peers (0%) on ripestat`)
  })

  it('leaves out the collector findings when the prefix is lost overall', () => {
    const scopes = run([healthy, fresh(snapshot([]))]).map((finding) => finding.scope)
    expect(scopes).toEqual([`prefix:${PREFIX}`, `prefix:${PREFIX}@upstream:AS64510`, `prefix:${PREFIX}@upstream:AS64511`])
  })

  it('does not judge a collector or upstream with fewer baseline peers than minBaselinePeers', () => {
    const routes = [...peers(30, 64510), ...peers(2, 64511)]
    expect(run([fresh(snapshot(routes)), fresh(snapshot(routes.slice(0, 30)))])).toEqual([])
  })

  it('stops reporting as soon as the share is back at or above minShare', () => {
    const lost = fresh(snapshot(healthyRoutes.slice(0, 4)))
    expect(run([healthy, lost])).not.toEqual([])
    const oneEachBack = healthyRoutes.filter((_, index) => index !== 0 && index !== 6)
    expect(run([healthy, lost, fresh(snapshot(oneEachBack))])).toEqual([])
  })

  it('takes the baseline only from the window: a loss longer than the window becomes the new normal', () => {
    const lost = fresh(snapshot(healthyRoutes.slice(0, 4)))
    expect(run([healthy, lost, lost], { baselineResults: 3 })).not.toEqual([])
    expect(run([healthy, lost, lost], { baselineResults: 2 })).toEqual([])
  })

  it('does not count stale or unavailable results in the baseline', () => {
    const partial = fresh(snapshot(healthyRoutes.slice(0, 10)))
    expect(run([stale(snapshot([...healthyRoutes, ...peers(20, 64512)])), unavailable(), partial])).toEqual([])
  })

  it('says nothing when the current result is stale or unavailable', () => {
    expect(run([healthy, stale(snapshot([]))])).toEqual([])
    expect(run([healthy, unavailable()])).toEqual([])
  })

  it('asks for baselineResults of history', () => {
    expect(visibilityLoss.historyResults(VisibilityLossParamsSchema.parse({}))).toBe(288)
  })
})
