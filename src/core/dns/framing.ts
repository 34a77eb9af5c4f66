// DNS over TCP: each message is preceded by its length as a 2-byte big-endian integer (RFC 1035 4.2.2).
// Bytes arrive in arbitrary pieces, so the reader accumulates them and only copies once a whole
// message is there (a peer that drips one byte at a time costs O(n), not O(n^2)).

export const LENGTH_PREFIX_BYTES = 2
export const MAX_DNS_MESSAGE_BYTES = 0xffff
const MIN_DNS_MESSAGE_BYTES = 12

export function frameMessage(message: Uint8Array): Uint8Array {
  if (message.length > MAX_DNS_MESSAGE_BYTES) throw new RangeError(`DNS message of ${message.length} bytes cannot be framed`)
  const framed = new Uint8Array(LENGTH_PREFIX_BYTES + message.length)
  framed[0] = message.length >> 8
  framed[1] = message.length & 0xff
  framed.set(message, LENGTH_PREFIX_BYTES)
  return framed
}

export type FrameEvent = { kind: 'message'; message: Uint8Array } | { kind: 'error'; error: string }

export interface FrameReader {
  /** Feeds received bytes; returns every complete message (or a framing error, after which the stream is unusable). */
  push(chunk: Uint8Array): FrameEvent[]
  /** Bytes held that do not yet form a message. */
  pendingBytes(): number
}

export function createFrameReader(options: { maxMessageBytes?: number } = {}): FrameReader {
  const maxMessageBytes = options.maxMessageBytes ?? MAX_DNS_MESSAGE_BYTES
  let chunks: Uint8Array[] = []
  let buffered = 0
  let failed = false

  function take(count: number): Uint8Array {
    const out = new Uint8Array(count)
    let filled = 0
    let consumed = 0
    while (filled < count) {
      const head = chunks[consumed] as Uint8Array
      const used = Math.min(head.length, count - filled)
      out.set(head.subarray(0, used), filled)
      filled += used
      if (used === head.length) consumed += 1
      else chunks[consumed] = head.subarray(used)
    }
    // One splice per message, not one shift per chunk: shift moves the whole array once it is large,
    // which made a 65535-byte message dripped a byte at a time cost seconds of CPU (O(n^2)).
    if (consumed > 0) chunks.splice(0, consumed)
    buffered -= count
    return out
  }

  function peekLength(): number {
    const prefix = chunks.length > 0 && (chunks[0] as Uint8Array).length >= LENGTH_PREFIX_BYTES ? (chunks[0] as Uint8Array) : concatHead()
    return ((prefix[0] as number) << 8) | (prefix[1] as number)
  }

  function concatHead(): Uint8Array {
    const head = take(LENGTH_PREFIX_BYTES)
    chunks.unshift(head)
    buffered += LENGTH_PREFIX_BYTES
    return head
  }

  function push(chunk: Uint8Array): FrameEvent[] {
    if (failed || chunk.length === 0) return []
    chunks.push(chunk)
    buffered += chunk.length
    const events: FrameEvent[] = []
    while (buffered >= LENGTH_PREFIX_BYTES) {
      const length = peekLength()
      if (length < MIN_DNS_MESSAGE_BYTES || length > maxMessageBytes) {
        failed = true
        chunks = []
        events.push({ kind: 'error', error: `framed length ${length} is outside ${MIN_DNS_MESSAGE_BYTES}..${maxMessageBytes} bytes` })
        break
      }
      if (buffered < LENGTH_PREFIX_BYTES + length) break
      take(LENGTH_PREFIX_BYTES)
      events.push({ kind: 'message', message: take(length) })
    }
    return events
  }

  return { push, pendingBytes: () => buffered }
}
