import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const FIXTURES = fileURLToPath(new URL('../fixtures/dns/', import.meta.url))

/** Reads test/fixtures/dns/NAME.hex: hex digits, whitespace ignored, '#' starts a comment line. */
export function hexFixture(name: string): Uint8Array {
  const text = readFileSync(`${FIXTURES}${name}.hex`, 'utf8')
  const digits = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('')
    .replace(/\s+/g, '')
  if (!/^([0-9a-f]{2})*$/i.test(digits)) throw new Error(`fixture ${name} is not whole hex bytes`)
  return Uint8Array.from(digits.match(/../g) ?? [], (pair) => parseInt(pair, 16))
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}
