// HMAC-SHA256 with WebCrypto (global in Node 20, workerd and Lambda), as lowercase hex: what the alert
// webhooks sign with and what the ingest API signs and checks with. A pure computation.

// Spelled this way because the Node lib types have no global CryptoKey name.
export type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>
/** What WebCrypto signs (bytes), spelled from its own signature for the same reason. */
type SignedBytes = Parameters<typeof crypto.subtle.sign>[2]

export function importHmacSha256Key(secret: string, usage: 'sign' | 'verify'): Promise<HmacKey> {
  return crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [usage])
}

export async function hmacSha256Hex(key: HmacKey, content: SignedBytes): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', key, content)
  return Array.from(new Uint8Array(mac), (byte) => byte.toString(16).padStart(2, '0')).join('')
}

/** True when `hex` (lowercase, even length) is the key's MAC of `content`; compared in constant time by WebCrypto. */
export function verifyHmacSha256Hex(key: HmacKey, content: SignedBytes, hex: string): Promise<boolean> {
  const mac = new Uint8Array(hex.length / 2)
  for (let index = 0; index < mac.length; index += 1) mac[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16)
  return crypto.subtle.verify('HMAC', key, mac, content)
}
