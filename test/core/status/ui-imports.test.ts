// STYLE.md rule 8, enforced: the UI never imports probe config. The status page's renderers and its
// routes see only the public view (core/status/public-view.ts), built by core/public-config.ts.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const UI_FILES = [
  ...readdirSync(join(ROOT, 'src/core/status')).filter((name) => name.endsWith('.ts')).map((name) => `src/core/status/${name}`),
  'src/app/create-status-page.ts',
]
const FORBIDDEN = [/^src\/core\/config\.ts$/, /^src\/core\/alerts\//, /^src\/core\/public-config\.ts$/, /^src\/adapters\//, /^src\/cli\//]

function importedFiles(path: string): string[] {
  const source = readFileSync(join(ROOT, path), 'utf8')
  return [...source.matchAll(/(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]/g)].map((match) => relative(ROOT, resolve(ROOT, dirname(path), match[1] as string)))
}

describe('the status page and the config', () => {
  it('finds the UI files', () => {
    expect(UI_FILES).toContain('src/core/status/map.ts')
  })

  it.each(UI_FILES)('%s imports neither the config, alert routes, adapters nor entry points', (path) => {
    expect(importedFiles(path).filter((file) => FORBIDDEN.some((pattern) => pattern.test(file)))).toEqual([])
  })
})
