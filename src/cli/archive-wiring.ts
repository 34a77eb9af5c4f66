// The archive the Node monitor writes every cycle to and serves queries from: built from the config's
// `archive` block and the environment.
import { createTimestreamArchive } from '../adapters/archive/timestream.ts'
import type { Config } from '../core/config.ts'
import type { ObservationArchive } from '../ports/observation-archive.ts'

/**
 * null without an `archive` block. AWS keys in env (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, optionally
 * AWS_SESSION_TOKEN) are handed to the SDK as they are; without them the SDK's default chain finds
 * credentials (shared files, a container or instance role).
 */
export function openArchive(config: Config, env: Readonly<Record<string, string | undefined>>): ObservationArchive | null {
  const settings = config.archive
  if (settings === undefined) return null
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env
  const credentials = accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } : undefined
  return createTimestreamArchive({
    region: settings.region,
    database: settings.database,
    table: settings.table,
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    ...(credentials === undefined ? {} : { credentials }),
  })
}
