// The little the D1 store needs around the binding: statements bound from SqlStatements, rows read from results.
import type { SqlStatement } from './d1-sql.ts'

export function prepared(db: D1Database, statement: SqlStatement): D1PreparedStatement {
  return db.prepare(statement.sql).bind(...statement.params)
}

export function preparedAll(db: D1Database, statements: readonly SqlStatement[]): D1PreparedStatement[] {
  return statements.map((statement) => prepared(db, statement))
}

/** The rows of one result of a batch, typed as the caller's row shape. */
export function rowsOf<Row>(result: D1Result | undefined): Row[] {
  return (result?.results ?? []) as Row[]
}
