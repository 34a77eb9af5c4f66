import type { Identity, IdentitySource } from '../model.ts'

const PRINTABLE_FIRST = 0x20
const PRINTABLE_LAST = 0x7e

/** NSID and CHAOS TXT payloads are opaque bytes: keep them as hex, show text only when it is plainly text. */
export function identityFromBytes(source: IdentitySource, bytes: Uint8Array): Identity {
  return { source, hex: toHex(bytes), text: printableAscii(bytes) }
}

export function toHex(bytes: Uint8Array): string {
  let hex = ''
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0')
  return hex
}

/** The bytes as a string when every byte is printable ASCII (so no HTML-breaking NUL, no ANSI escape); else null. */
export function printableAscii(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return null
  let text = ''
  for (const byte of bytes) {
    if (byte < PRINTABLE_FIRST || byte > PRINTABLE_LAST) return null
    text += String.fromCharCode(byte)
  }
  return text
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0)
  const joined = new Uint8Array(total)
  let offset = 0
  for (const part of parts) {
    joined.set(part, offset)
    offset += part.length
  }
  return joined
}
