// The ingest keys of remote vantages: the config names the env var (`runner.keyEnv`), never the key, like
// the alert routes' secrets. The monitor reads every remote vantage's key; an agent or a Lambda reads its own.
import { formatConfigPath, type ConfigError, type Vantage } from '../config.ts'

/** HMAC keys shorter than this are refused: `openssl rand -hex 32` gives 64 characters. */
export const INGEST_KEY_MIN_CHARS = 32

export type ResolvedIngestKeys = { ok: true; keys: Map<string, string> } | { ok: false; errors: ConfigError[] }

/**
 * Each remote vantage's key, by vantage id, read from `env` and trimmed (the sender trims too). A missing,
 * empty or short key is an error at the path of the `keyEnv` that names it; messages never repeat a key.
 * `at` is where the vantages sit in the config, e.g. ['vantages'].
 */
export function resolveIngestKeys(
  vantages: readonly Vantage[],
  env: Readonly<Record<string, string | undefined>>,
  at: readonly PropertyKey[] = ['vantages'],
): ResolvedIngestKeys {
  const keys = new Map<string, string>()
  const errors: ConfigError[] = []
  vantages.forEach((vantage, index) => {
    if (vantage.runner.kind !== 'remote') return
    const variable = vantage.runner.keyEnv
    const key = env[variable]?.trim() ?? ''
    const problem = keyProblem(variable, env[variable], key)
    if (problem === null) keys.set(vantage.id, key)
    else errors.push({ path: formatConfigPath([...at, index, 'runner', 'keyEnv']), message: problem })
  })
  return errors.length === 0 ? { ok: true, keys } : { ok: false, errors }
}

function keyProblem(variable: string, raw: string | undefined, key: string): string | null {
  if (raw === undefined) return `environment variable ${variable} is not set`
  if (key === '') return `environment variable ${variable} is empty`
  if (key.length < INGEST_KEY_MIN_CHARS) {
    return `environment variable ${variable} holds ${key.length} characters; an ingest key needs at least ${INGEST_KEY_MIN_CHARS} (e.g. openssl rand -hex 32)`
  }
  return null
}

export type RemoteVantageKey = { ok: true; vantage: Vantage; key: string } | { ok: false; error: string }

/** What an agent or a Lambda probe needs to push as `vantageId`: its remote vantage in the config, and its key from env. */
export function remoteVantageKey(
  vantages: readonly Vantage[],
  vantageId: string,
  env: Readonly<Record<string, string | undefined>>,
): RemoteVantageKey {
  const index = vantages.findIndex((vantage) => vantage.id === vantageId)
  const vantage = vantages[index]
  if (vantage === undefined) {
    return { ok: false, error: `the config has no vantage "${vantageId}" (it has ${vantages.map((v) => v.id).join(', ')})` }
  }
  if (vantage.runner.kind !== 'remote') {
    return { ok: false, error: `vantage "${vantageId}" has runner "${vantage.runner.kind}"; only a "remote" vantage pushes to the ingest API` }
  }
  const resolved = resolveIngestKeys([vantage], env, [])
  if (!resolved.ok) return { ok: false, error: `vantages[${index}].runner.keyEnv: ${resolved.errors.map((error) => error.message).join('; ')}` }
  return { ok: true, vantage, key: resolved.keys.get(vantageId) as string }
}
