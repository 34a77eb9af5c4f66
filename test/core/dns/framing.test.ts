import { describe, expect, it } from 'vitest'
import { createFrameReader, frameMessage } from '../../../src/core/dns/framing.ts'

const message = (length: number, fill = 7): Uint8Array => new Uint8Array(length).fill(fill)

describe('TCP length framing', () => {
  it('prefixes a message with its length as two big-endian bytes', () => {
    expect([...frameMessage(message(300)).subarray(0, 2)]).toEqual([0x01, 0x2c])
  })

  it('yields a message split across many reads only once it is whole', () => {
    const framed = frameMessage(message(40))
    const reader = createFrameReader()
    const events = [...framed].flatMap((byte) => reader.push(new Uint8Array([byte])))
    expect(events).toEqual([{ kind: 'message', message: message(40) }])
    expect(reader.pendingBytes()).toBe(0)
  })

  it('yields two messages that arrive in one read, and keeps the start of a third', () => {
    const third = frameMessage(message(20, 3))
    const joined = new Uint8Array([...frameMessage(message(12, 1)), ...frameMessage(message(13, 2)), ...third.subarray(0, 5)])
    const reader = createFrameReader()
    expect(reader.push(joined)).toEqual([
      { kind: 'message', message: message(12, 1) },
      { kind: 'message', message: message(13, 2) },
    ])
    expect(reader.pendingBytes()).toBe(5)
    expect(reader.push(third.subarray(5))).toEqual([{ kind: 'message', message: message(20, 3) }])
  })

  it('refuses a declared length above the bound, before buffering it', () => {
    const reader = createFrameReader({ maxMessageBytes: 4096 })
    expect(reader.push(new Uint8Array([0xff, 0xff, 1, 2, 3]))).toEqual([
      { kind: 'error', error: 'framed length 65535 is outside 12..4096 bytes' },
    ])
    expect(reader.push(frameMessage(message(12)))).toEqual([])
  })

  it('refuses a declared length shorter than a DNS header', () => {
    expect(createFrameReader().push(new Uint8Array([0, 3, 1, 2, 3]))[0]).toMatchObject({ kind: 'error' })
  })

  it('waits on a length prefix that arrives one byte at a time', () => {
    const reader = createFrameReader()
    const framed = frameMessage(message(12))
    expect(reader.push(framed.subarray(0, 1))).toEqual([])
    expect(reader.push(framed.subarray(1, 2))).toEqual([])
    expect(reader.push(framed.subarray(2))).toEqual([{ kind: 'message', message: message(12) }])
  })
})
