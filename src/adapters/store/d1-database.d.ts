// The slice of the D1 binding's types that the D1 store (d1*.ts) uses, so the Node program can typecheck
// it without loading all of @cloudflare/workers-types (whose globals clash with @types/node).
// Shapes as documented at https://developers.cloudflare.com/d1/worker-api/
// The workers program (test/workers/tsconfig.json) does not include this file: it gets the real global
// declarations from @cloudflare/workers-types, of which these are a subset.

interface D1Meta {
  /** Rows changed by an INSERT, UPDATE or DELETE. */
  changes: number
  last_row_id: number
  rows_read: number
  rows_written: number
  duration: number
}

interface D1Result<T = unknown> {
  success: true
  results: T[]
  meta: D1Meta
}

interface D1PreparedStatement {
  /** Binds the `?` parameters in order: string, number, null (never undefined). */
  bind(...values: unknown[]): D1PreparedStatement
  first<T = Record<string, unknown>>(): Promise<T | null>
  run<T = Record<string, unknown>>(): Promise<D1Result<T>>
  all<T = Record<string, unknown>>(): Promise<D1Result<T>>
}

interface D1Database {
  prepare(query: string): D1PreparedStatement
  /** Runs the statements in order as one transaction: all of them take effect, or (when one fails) none. */
  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]>
}
