import { describe, expect, it } from 'vitest'
import { intervalLiteral, latestSql, quoteIdentifier, quoteString, rttSeriesSql, uptimeSql } from '../../../src/adapters/archive/timestream-sql.ts'

const REF = { database: 'mon"itor', table: 'obs' }

describe('the archive SQL', () => {
  it('double-quotes identifiers and single-quotes values, doubling the quote inside', () => {
    expect(quoteIdentifier('mon"itor')).toBe('"mon""itor"')
    expect(quoteString("o'hare")).toBe("'o''hare'")
    expect(quoteString("x' OR '1'='1")).toBe("'x'' OR ''1''=''1'")
  })

  it.each([
    [86_400_000, '1d'],
    [6 * 3_600_000, '6h'],
    [5 * 60_000, '5m'],
    [90_000, '90s'],
    [1000, '1s'],
  ])('writes %i ms as the interval %s', (ms, literal) => {
    expect(intervalLiteral(ms)).toBe(literal)
  })

  it.each([0, 1500, -1000, 0.5, Number.NaN])('refuses %s ms as an interval', (ms) => {
    expect(() => intervalLiteral(ms)).toThrow(/whole number of seconds/)
  })

  it('puts the escaped target and the integer time bounds into every query, and refuses bounds that are not epoch ms', () => {
    const range = { target: "o'hare", from: 1_795_000_000_000, until: 1_795_003_600_000 }
    for (const sql of [rttSeriesSql(REF, { ...range, bucketMs: 3_600_000 }), uptimeSql(REF, range), latestSql(REF, { target: range.target, since: range.from })]) {
      expect(sql).toContain(`FROM "mon""itor"."obs"`)
      expect(sql).toContain(`measure_name = 'observation' AND "target" = 'o''hare'`)
      expect(sql).toContain('time >= from_milliseconds(1795000000000)')
    }
    expect(rttSeriesSql(REF, { ...range, bucketMs: 3_600_000 })).toContain('GROUP BY "vantage", bin(time, 1h)')
    expect(() => uptimeSql(REF, { ...range, from: 1.5 })).toThrow(/epoch ms/)
    expect(() => latestSql(REF, { target: 'x', since: -1 })).toThrow(/epoch ms/)
  })
})
