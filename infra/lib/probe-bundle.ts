// The probe function's code: src/lambda/probe-handler.ts bundled by esbuild's API in this process (no Docker,
// no npx), with the probe config beside it as a file, since Lambda's environment holds 4 KB at most. Every
// region's function gets the same directory, hence one asset.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildSync } from 'esbuild'

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const PROBE_HANDLER_ENTRY = join(REPO_ROOT, 'src', 'lambda', 'probe-handler.ts')
/** The file the function runs (`index.handler`) and the config it reads (MONITOR_CONFIG, relative to LAMBDA_TASK_ROOT). */
export const BUNDLE_FILE = 'index.mjs'
export const BUNDLED_CONFIG_FILE = 'monitor.config.json'
export const PROBE_HANDLER = 'index.handler'
/** Matches the Lambda runtime (Runtime.NODEJS_24_X in probe-stack.ts). */
const NODE_TARGET = 'node24'
// Bundled CommonJS (dns-packet) calls require() for Node built-ins; an ES module has no require of its own.
const REQUIRE_SHIM = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"

/** Writes the bundle and the probe config into `outdir` and returns it. */
export function bundleProbe(outdir: string, probeConfig: unknown, entry: string = PROBE_HANDLER_ENTRY): string {
  mkdirSync(outdir, { recursive: true })
  buildSync({
    entryPoints: [entry],
    outfile: join(outdir, BUNDLE_FILE),
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: NODE_TARGET,
    banner: { js: REQUIRE_SHIM },
    legalComments: 'none',
    logLevel: 'silent',
  })
  writeFileSync(join(outdir, BUNDLED_CONFIG_FILE), `${JSON.stringify(probeConfig, null, 2)}\n`)
  return outdir
}
