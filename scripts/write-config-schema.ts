// Writes schema/config.schema.json and docs/configuration.md from the zod config schema.
// Usage: npx tsx scripts/write-config-schema.ts
import { mkdir, writeFile } from 'node:fs/promises'
import { GENERATED_CONFIG_FILES } from './render-config-schema.ts'

const REPO_ROOT = new URL('../', import.meta.url)

for (const file of GENERATED_CONFIG_FILES) {
  const url = new URL(file.path, REPO_ROOT)
  await mkdir(new URL('./', url), { recursive: true })
  await writeFile(url, file.render())
  process.stdout.write(`wrote ${file.path}\n`)
}
