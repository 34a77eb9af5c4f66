// How much CPU a hostile TCP peer can make us burn by dripping a maximum-size DNS message one byte at a
// time. The frame reader must stay linear: quadratic buffering cost ~4 s per message here, linear ~40 ms.
import { performance } from 'node:perf_hooks'
import { createFrameReader, frameMessage, MAX_DNS_MESSAGE_BYTES } from '../src/core/dns/framing.ts'

const ROUNDS = 5

function dripOnce(chunkBytes: number): number {
  const stream = frameMessage(new Uint8Array(MAX_DNS_MESSAGE_BYTES).fill(0x5a))
  const reader = createFrameReader()
  const startedAt = performance.now()
  let messages = 0
  for (let at = 0; at < stream.length; at += chunkBytes) messages += reader.push(stream.subarray(at, at + chunkBytes)).length
  const elapsedMs = performance.now() - startedAt
  if (messages !== 1) throw new Error(`expected one message, got ${messages}`)
  return elapsedMs
}

console.log('chunk bytes | median ms per 65535-byte message | max ms')
for (const chunkBytes of [1, 7, 512]) {
  const timesMs = Array.from({ length: ROUNDS }, () => dripOnce(chunkBytes)).sort((a, b) => a - b)
  console.log(`${String(chunkBytes).padStart(11)} | ${timesMs[Math.floor(ROUNDS / 2)]!.toFixed(1).padStart(32)} | ${timesMs[ROUNDS - 1]!.toFixed(1)}`)
}
