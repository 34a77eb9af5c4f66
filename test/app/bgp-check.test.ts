// The BGP check of a cycle on its own: every source asked about every prefix, its results kept per
// source and prefix (bounded), a source that breaks its promise not to reject counted as unavailable.
import { describe, expect, it } from 'vitest'
import { bgpEvaluationInput, checkBgp, closeBgpSources, createBgpHistory, type BgpCheckDeps } from '../../src/app/bgp-check.ts'
import { BgpSettingsSchema } from '../../src/core/bgp/settings.ts'
import type { BgpSource } from '../../src/ports/bgp-source.ts'
import { fresh, ORIGIN, PREFIX, route, snapshot, T0, unavailable } from '../support/bgp.ts'

const settings = BgpSettingsSchema.parse({
  sources: { ripestat: { sourceapp: 'anycast-monitor-test' } },
  targets: [{ target: 'lab', prefixes: [{ prefix: PREFIX, originAsns: [ORIGIN] }] }],
})
const targets = [{ id: 'lab', sites: [{ id: 'fra', community: '64500:1' }] }]
const announcing: BgpSource = { name: 'ripestat', snapshot: async () => fresh(snapshot([route(`64496 64510 ${ORIGIN}`, { communities: ['64500:1'] })])) }
const broken: BgpSource = { name: 'lg', snapshot: () => Promise.reject(new Error('bug in the adapter')) }

function deps(sources: BgpSource[], historyResults = 3): BgpCheckDeps {
  return { settings, sources, history: createBgpHistory(historyResults) }
}

describe('the BGP check of a cycle', () => {
  it('asks every source about every prefix and joins them per target', async () => {
    const { joins } = await checkBgp(deps([announcing, broken]), targets, T0, new AbortController().signal)
    const lab = joins.get('lab')
    expect(lab?.sites).toEqual({ fra: 'announced' })
    expect(lab?.evidence['fra']?.details['bgpSources']).toEqual([
      `ripestat ${PREFIX}: 1 of 1 peers route to fra`,
      `lg ${PREFIX}: unavailable (source failed: bug in the adapter)`,
    ])
    expect(lab?.unchecked.filter((entry) => entry.source === 'lg')).toHaveLength(4)
  })

  it('keeps a bounded history per source and prefix, the visibility baseline', () => {
    const history = createBgpHistory(2)
    history.append('ripestat', PREFIX, unavailable('one'))
    history.append('lg', PREFIX, unavailable('other source'))
    history.append('ripestat', PREFIX, unavailable('two'))
    const kept = history.append('ripestat', PREFIX, unavailable('three'))
    expect(kept.map((result) => (result.kind === 'unavailable' ? result.reason : ''))).toEqual(['two', 'three'])
  })

  it('answers unavailable for every source once the cycle deadline has passed', async () => {
    const late = AbortSignal.abort()
    const { joins } = await checkBgp(deps([announcing]), targets, T0, late)
    expect(joins.get('lab')?.sites).toEqual({})
    expect(joins.get('lab')?.evidence['fra']?.text).toBe('ripestat unavailable: no answer before the cycle deadline')
  })

  it('closes the sources that hold a connection, and only those', async () => {
    const closed: string[] = []
    const streaming: BgpSource = { ...announcing, name: 'ris-live', close: async () => void closed.push('ris-live') }
    await closeBgpSources(deps([announcing, streaming]))
    await closeBgpSources(undefined)
    expect(closed).toEqual(['ris-live'])
  })

  it('gives the evaluation nothing for a target without a bgp entry', () => {
    expect(bgpEvaluationInput(undefined)).toEqual({})
  })
})
