// The dependency rule of shared/STYLE.md, enforced: core <- ports <- adapters; app uses core and ports;
// only entry points (src/cli, src/wiring shared by both, src/lambda, workers/) wire adapters. The core stays pure so it runs unchanged in
// Node, workerd and Lambda.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

type Layer = 'core' | 'ports' | 'adapters' | 'app' | 'entry' | 'other'

const ALLOWED_LAYERS: Record<Layer, Layer[]> = {
  core: ['core'],
  ports: ['core', 'ports'],
  adapters: ['core', 'ports', 'adapters'],
  app: ['core', 'ports', 'app'],
  entry: ['core', 'ports', 'adapters', 'app', 'entry'],
  other: ['core', 'ports', 'adapters', 'app', 'entry', 'other'],
}
const CORE_PACKAGES = ['dns-packet', 'zod']
const CORE_FORBIDDEN_CALLS: [RegExp, string][] = [
  [/\bDate\.now\s*\(/, 'Date.now (time arrives as an argument)'],
  [/\bnew Date\s*\(\s*\)/, 'new Date() (time arrives as an argument)'],
  [/\bMath\.random\s*\(/, 'Math.random (randomness arrives as an argument)'],
  [/\bperformance\.now\s*\(/, 'performance.now (time arrives as an argument)'],
  [/\bconsole\./, 'console (logging goes through a port)'],
  [/\bfetch\s*\(/, 'fetch (I/O goes through a port)'],
  [/\bprocess\./, 'process (env arrives as an argument)'],
  [/\bset(Timeout|Interval)\s*\(/, 'timers (the core has no clock)'],
]

export function layerOf(path: string): Layer {
  if (path.startsWith('src/core/')) return 'core'
  if (path.startsWith('src/ports/')) return 'ports'
  if (path.startsWith('src/adapters/')) return 'adapters'
  if (path.startsWith('src/app/')) return 'app'
  if (['src/cli/', 'src/wiring/', 'src/lambda/', 'workers/'].some((entry) => path.startsWith(entry))) return 'entry'
  return 'other'
}

function importsOf(source: string): string[] {
  const specifiers: string[] = []
  const pattern = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g
  for (const match of source.matchAll(pattern)) specifiers.push((match[1] ?? match[2] ?? match[3]) as string)
  return specifiers
}

/** Every rule a file breaks, as readable lines. */
export function violationsOf(path: string, source: string): string[] {
  const layer = layerOf(path)
  const problems: string[] = []
  for (const specifier of importsOf(source)) {
    if (specifier.startsWith('.')) {
      const target = relative(ROOT, resolve(ROOT, dirname(path), specifier))
      if (target.startsWith('test/') && path.startsWith('src/')) problems.push(`${path} imports test code ${specifier}`)
      const targetLayer = layerOf(target)
      if (!ALLOWED_LAYERS[layer].includes(targetLayer)) problems.push(`${path} (${layer}) imports ${targetLayer}: ${specifier}`)
    } else if (layer === 'core' && !CORE_PACKAGES.includes(specifier)) {
      problems.push(`${path} (core) imports package ${specifier}`)
    } else if ((layer === 'ports' || layer === 'app') && (specifier.startsWith('node:') || specifier.startsWith('cloudflare:'))) {
      problems.push(`${path} (${layer}) imports platform module ${specifier}`)
    }
  }
  if (layer === 'core') {
    const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
    for (const [pattern, what] of CORE_FORBIDDEN_CALLS) if (pattern.test(code)) problems.push(`${path} (core) uses ${what}`)
  }
  return problems
}

function sourceFiles(dir: string): string[] {
  const absolute = join(ROOT, dir)
  let entries: string[]
  try {
    entries = readdirSync(absolute)
  } catch {
    return []
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry)
    if (entry === 'node_modules' || entry.startsWith('.')) return []
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path)
    return /\.(ts|js|mjs)$/.test(entry) && !entry.endsWith('.d.ts') ? [path] : []
  })
}

describe('dependency rule', () => {
  const files = [...sourceFiles('src'), ...sourceFiles('workers')]

  it('finds the source tree', () => {
    expect(files).toContain('src/core/dns/wire.ts')
  })

  it('holds for every file under src/ and workers/', () => {
    const problems = files.flatMap((path) => violationsOf(path, readFileSync(join(ROOT, path), 'utf8')))
    expect(problems).toEqual([])
  })

  it('imports dns-packet in exactly one core file', () => {
    const importers = files.filter((path) => importsOf(readFileSync(join(ROOT, path), 'utf8')).includes('dns-packet'))
    expect(importers).toEqual(['src/core/dns/wire.ts'])
  })

  it.each([
    ['src/core/x.ts', "import dgram from 'node:dgram'", /imports package node:dgram/],
    ['src/core/x.ts', 'const t = Date.now()', /Date\.now/],
    ['src/core/x.ts', 'const id = Math.random()', /Math\.random/],
    ['src/core/x.ts', "import { app } from 'hono'", /imports package hono/],
    ['src/core/x.ts', "import { createNodeUdpTransport } from '../adapters/transport/node-udp.ts'", /imports adapters/],
    ['src/app/x.ts', "import { createNodeUdpTransport } from '../adapters/transport/node-udp.ts'", /imports adapters/],
    ['src/app/x.ts', "import net from 'node:net'", /platform module node:net/],
    ['src/ports/x.ts', "import type { runProbe } from '../app/probe.ts'", /imports app/],
    ['src/adapters/x.ts', "import { main } from '../cli/main.ts'", /imports entry/],
  ])('catches %s doing `%s`', (path, source, problem) => {
    expect(violationsOf(path, source).join('\n')).toMatch(problem)
  })

  it('lets entry points wire adapters and the core use its allowed packages', () => {
    expect(violationsOf('src/cli/main.ts', "import { createNodeUdpTransport } from '../adapters/transport/node-udp.ts'")).toEqual([])
    expect(violationsOf('src/lambda/probe-handler.ts', "import { createIngestPusher } from '../adapters/ingest/push-client.ts'")).toEqual([])
    expect(layerOf('src/lambda/probe-handler.ts')).toBe('entry')
    expect(violationsOf('src/core/config.ts', "import { z } from 'zod'")).toEqual([])
  })
})
