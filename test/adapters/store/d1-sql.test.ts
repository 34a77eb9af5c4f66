import { describe, expect, it } from 'vitest'
import {
  D1_MAX_BOUND_PARAMETERS, OBSERVATION_OF_CYCLE_INSERT, POLICY_VERSION_IS, ROLLUP_UPSERTS, chunkedInserts, multiRowInsertSql,
} from '../../../src/adapters/store/d1-sql.ts'
import { CATCHMENT_CHANGE_INSERT, CATCHMENT_UPSERT, INCIDENT_UPSERT, OUTBOX_ITEM_INSERT, parametersPerRow } from '../../../src/adapters/store/sqlite-sql.ts'

const guard = { sql: POLICY_VERSION_IS, params: ['k-root', 3] }
const inserts = {
  observations: OBSERVATION_OF_CYCLE_INSERT, hourlyRollups: ROLLUP_UPSERTS.hour, dailyRollups: ROLLUP_UPSERTS.day,
  catchmentChanges: CATCHMENT_CHANGE_INSERT, catchment: CATCHMENT_UPSERT, incidents: INCIDENT_UPSERT, outbox: OUTBOX_ITEM_INSERT,
}

describe('D1 multi-row inserts', () => {
  it.each(Object.entries(inserts))('cuts %s into statements of at most 100 parameters, every row kept in order', (_, insert) => {
    const perRow = parametersPerRow(insert)
    const rows = Array.from({ length: 250 }, (_, i) => Array.from({ length: perRow }, (_, column) => i * 1_000 + column))
    for (const withGuard of [undefined, guard]) {
      const statements = chunkedInserts(insert, rows, withGuard)
      for (const { sql, params } of statements) {
        expect(params.length).toBeLessThanOrEqual(D1_MAX_BOUND_PARAMETERS)
        expect(sql.split('?').length - 1).toBe(params.length)
      }
      const rowParams = statements.flatMap(({ params }) => (withGuard ? params.slice(0, -withGuard.params.length) : params))
      expect(rowParams).toEqual(rows.flat())
    }
  })

  it('puts the guard after the rows, where its parameters are bound last', () => {
    const [statement] = chunkedInserts(INCIDENT_UPSERT, [Array.from({ length: 9 }, () => 'x')], guard)
    expect(statement?.sql).toBe(multiRowInsertSql(INCIDENT_UPSERT, 1, guard))
    expect(statement?.sql).toMatch(/SELECT \* FROM \(VALUES \(.*\)\) WHERE coalesce\(.*\) = \? ON CONFLICT/s)
    expect(statement?.params.slice(-2)).toEqual(['k-root', 3])
  })

  it('sends no statement for no rows, and refuses a row that cannot fit', () => {
    expect(chunkedInserts(OUTBOX_ITEM_INSERT, [])).toEqual([])
    const wide = { into: 'INSERT INTO t', row: `(${Array.from({ length: 99 }, () => '?').join(', ')})`, onConflict: '' }
    expect(() => chunkedInserts(wide, [[]], guard)).toThrow(/more than 100 parameters/)
  })
})
