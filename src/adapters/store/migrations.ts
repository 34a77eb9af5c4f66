// Applies the SQL files of migrations/ (NNNN_name.sql, shared with D1) in order, each once, recording
// them in schema_migrations. D1 does not use this runner: wrangler (and applyD1Migrations in tests)
// applies the same files and records them in its own d1_migrations table.
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export interface Migration {
  /** The file name without .sql, e.g. '0001_init'. */
  name: string
  sql: string
}

/** The little a migration runner needs from a database: run a script, run a query, run in a transaction. */
export interface MigrationTarget {
  exec(sql: string): void
  appliedNames(): string[]
  recordApplied(name: string, appliedAt: number): void
  /** Runs `work` in a write transaction that excludes other writers from its start (BEGIN IMMEDIATE). */
  inWriteTransaction(work: () => void): void
}

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url))
const MIGRATION_FILE = /^(\d{4}_[a-z0-9_]+)\.sql$/

export const CREATE_MIGRATIONS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  name TEXT PRIMARY KEY,
  applied_at INTEGER NOT NULL
)`
export const SELECT_APPLIED_SQL = 'SELECT name FROM schema_migrations ORDER BY name'
export const INSERT_APPLIED_SQL = 'INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)'

/** The migrations in `dir`, in name order; other files are ignored. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .flatMap((file) => {
      const name = MIGRATION_FILE.exec(file)?.[1]
      return name ? [{ name, sql: readFileSync(`${dir}/${file}`, 'utf8') }] : []
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
}

/**
 * Applies every migration not yet recorded, in order, each in its own transaction together with its
 * record; another process applying the same migration at the same time waits and then skips it.
 * Returns the names it applied.
 */
export function applyMigrations(target: MigrationTarget, migrations: readonly Migration[], nowMs: () => number): string[] {
  target.exec(CREATE_MIGRATIONS_TABLE_SQL)
  const applied: string[] = []
  for (const migration of migrations) {
    target.inWriteTransaction(() => {
      if (target.appliedNames().includes(migration.name)) return
      target.exec(migration.sql)
      target.recordApplied(migration.name, nowMs())
      applied.push(migration.name)
    })
  }
  return applied
}
