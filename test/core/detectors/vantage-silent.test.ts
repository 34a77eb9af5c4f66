import { describe, expect, it } from 'vitest'
import { vantageSilent } from '../../../src/core/detectors/vantage-silent.ts'
import { ok, repeat, runDetector, sequence } from '../../support/cycles.ts'
import type { CycleRecord } from '../../../src/core/findings.ts'

const reporting = (count: number) => repeat(count, { par: ok('fra'), ber: ok('ber') })
const berSilent = (count: number, reason = 'runner:durable-object:ber (weur): did not report before the cycle deadline'): CycleRecord[] =>
  repeat(count, { par: ok('fra') }).map((record) => ({ ...record, missingVantages: [{ vantage: 'ber', reason }] }))

describe('vantage-silent detector', () => {
  it('names a vantage missing for silentCycles cycles in a row, with the reason its runner gave', () => {
    expect(runDetector(vantageSilent, sequence(reporting(2), berSilent(3)))).toEqual([
      expect.objectContaining({
        kind: 'vantage-silent',
        scope: 'vantage:ber',
        severity: 'warning',
        summary: 'ber reported nothing for 3 cycles: runner:durable-object:ber (weur): did not report before the cycle deadline',
        evidence: expect.objectContaining({ vantages: ['ber'], details: { reason: 'runner:durable-object:ber (weur): did not report before the cycle deadline', silentCycles: 3 } }),
      }),
    ])
  })

  it('forgives fewer cycles, and a cycle in which the vantage reported', () => {
    expect(runDetector(vantageSilent, sequence(reporting(2), berSilent(2)))).toEqual([])
    expect(runDetector(vantageSilent, sequence(berSilent(2), reporting(1), berSilent(2)))).toEqual([])
  })

  it('does not call a vantage that is no longer configured silent (absent, not listed missing)', () => {
    expect(runDetector(vantageSilent, sequence(reporting(2), repeat(4, { par: ok('fra') })))).toEqual([])
  })

  it('takes its silentCycles from the params', () => {
    expect(runDetector(vantageSilent, sequence(reporting(1), berSilent(5)), { silentCycles: 5 })).toHaveLength(1)
    expect(runDetector(vantageSilent, sequence(reporting(1), berSilent(4)), { silentCycles: 5 })).toEqual([])
  })
})
