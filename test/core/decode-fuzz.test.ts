// Deterministic fuzzing of the two parsers that read bytes a remote peer chose: judgeReply (one DNS
// message) and the TCP frame reader (a stream of length-prefixed messages). The seed is in each test
// name; a failure prints the offending input as hex, so it can become a fixture.
import { describe, expect, it } from 'vitest'
import { judgeReply, type Verdict } from '../../src/core/dns/decode.ts'
import { createFrameReader, frameMessage, MAX_DNS_MESSAGE_BYTES, type FrameEvent } from '../../src/core/dns/framing.ts'
import { buildChaosQuery, buildIdentityQuery, type BuiltQuery } from '../../src/core/dns/query.ts'
import { decodeMessage } from '../../src/core/dns/wire.ts'
import { chaosTxtReply, emptyReply, soaReply, soaReplyLayout } from '../support/dns-replies.ts'
import { intBetween, mulberry32, randomBytes } from '../support/seeded-random.ts'

const SEED = 0x2f6b1d3a
const MUTANTS_PER_SEED_REPLY = 3000
const MIN_FUZZED_REPLIES = 10_000
const STREAMS_PER_KIND = 300
const LARGE_STREAM_EVERY = 50
const SMALL_MESSAGE_BYTES = 600
const NSID_OPTION_CODE = 3
const HEADER_COUNT_OFFSETS = [4, 6, 8, 10]
const COMPRESSION_POINTER = 0xc000
const seedHex = `0x${SEED.toString(16)}`

type Random = () => number
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

// ---- seed replies: answers shaped like the ones real servers send to our queries

interface SeedReply {
  name: string
  query: BuiltQuery
  bytes: Uint8Array
}

function seedReplies(): SeedReply[] {
  const identity = buildIdentityQuery({ id: 0x1234, qname: '.' })
  const named = buildIdentityQuery({ id: 0x2345, qname: 'lab.test' })
  const hostnameBind = buildChaosQuery({ id: 0x3456, name: 'hostname.bind' })
  const idServer = buildChaosQuery({ id: 0x4567, name: 'id.server' })
  return [
    { name: 'SOA + NSID', query: identity, bytes: soaReply(identity, { nsid: 'fra1.lab' }) },
    { name: 'SOA + NSID, owner compressed', query: named, bytes: withCompressedOwner(named, { nsid: 'ams2.lab' }) },
    { name: 'CHAOS TXT hostname.bind', query: hostnameBind, bytes: chaosTxtReply(hostnameBind, 'fra1.lab') },
    { name: 'CHAOS TXT id.server', query: idServer, bytes: chaosTxtReply(idServer, 'lhr3') },
    { name: 'TC=1, no answer', query: identity, bytes: emptyReply(identity, { truncated: true, nsid: 'fra1.lab' }) },
  ]
}

/** dns-packet never compresses: point the SOA owner at the question name (offset 12) as servers do. */
function withCompressedOwner(query: BuiltQuery, options: { nsid: string }): Uint8Array {
  const bytes = soaReply(query, options)
  const { answerStart } = soaReplyLayout(query, options)
  const ownerBytes = answerStart - 12 - 4 // the question is name, type, class
  const pointer = Uint8Array.of(0xc0, 12)
  return Uint8Array.from([...bytes.subarray(0, answerStart), ...pointer, ...bytes.subarray(answerStart + ownerBytes)])
}

// ---- mutators

type Mutator = (random: Random, bytes: Uint8Array) => Uint8Array

const MUTATORS: Record<string, Mutator> = {
  'bit flips': (random, bytes) => {
    const out = bytes.slice()
    for (let flips = intBetween(random, 1, 3); flips > 0 && out.length > 0; flips -= 1) {
      const at = intBetween(random, 0, out.length - 1)
      out[at] = (out[at] as number) ^ (1 << intBetween(random, 0, 7))
    }
    return out
  },
  'byte insertion': (random, bytes) => {
    const at = intBetween(random, 0, bytes.length)
    return Uint8Array.from([...bytes.subarray(0, at), ...randomBytes(random, intBetween(random, 1, 4)), ...bytes.subarray(at)])
  },
  'byte deletion': (random, bytes) => {
    const at = intBetween(random, 0, Math.max(0, bytes.length - 1))
    return Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + intBetween(random, 1, 4))])
  },
  truncation: (random, bytes) => bytes.slice(0, intBetween(random, 0, bytes.length)),
  'header count': (random, bytes) => {
    const out = bytes.slice()
    const count = pick(random, [0, 1, 2, 3, 0xffff, intBetween(random, 0, 0xffff)])
    writeUint16(out, pick(random, HEADER_COUNT_OFFSETS), count)
    return out
  },
  'compression pointer': (random, bytes) => {
    const out = bytes.slice()
    const at = intBetween(random, 12, Math.max(12, out.length - 2))
    writeUint16(out, at, COMPRESSION_POINTER | intBetween(random, 0, out.length + 16))
    return out
  },
  'length field': (random, bytes) => {
    const out = bytes.slice()
    const at = intBetween(random, 0, Math.max(0, out.length - 2))
    writeUint16(out, at, pick(random, [0, 1, 2, 4, out.length, out.length - at, 0xffff, intBetween(random, 0, 0xffff)]))
    return out
  },
  stacked: (random, bytes) => {
    const singles = Object.entries(MUTATORS).filter(([name]) => name !== 'stacked')
    let out = bytes
    for (let rounds = intBetween(random, 2, 4); rounds > 0; rounds -= 1) out = pick(random, singles)[1](random, out)
    return out
  },
}

function writeUint16(bytes: Uint8Array, at: number, value: number): void {
  if (at + 1 >= bytes.length) return
  bytes[at] = (value >> 8) & 0xff
  bytes[at + 1] = value & 0xff
}

interface FuzzCase {
  origin: string
  query: BuiltQuery
  bytes: Uint8Array
}

function mutatedReplies(seed: number): FuzzCase[] {
  const random = mulberry32(seed)
  const mutators = Object.entries(MUTATORS)
  const cases: FuzzCase[] = []
  for (const reply of seedReplies()) {
    for (let length = 0; length < reply.bytes.length; length += 1) {
      cases.push({ origin: `${reply.name}, cut to ${length}`, query: reply.query, bytes: reply.bytes.slice(0, length) })
    }
    for (let index = 0; index < MUTANTS_PER_SEED_REPLY; index += 1) {
      const [name, mutate] = pick(random, mutators)
      cases.push({ origin: `${reply.name}, ${name}`, query: reply.query, bytes: mutate(random, reply.bytes) })
    }
  }
  return cases
}

// ---- properties

function verdictOf(fuzz: FuzzCase): { verdict: Verdict } | { threw: string } {
  try {
    return { verdict: judgeReply(fuzz.bytes, fuzz.query) }
  } catch (error) {
    return { threw: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }
  }
}

function isVerdict(value: unknown): value is Verdict {
  if (typeof value !== 'object' || value === null) return false
  const verdict = value as Record<string, unknown>
  if (verdict.accepted === true) return typeof verdict.answer === 'object' && verdict.answer !== null
  return verdict.accepted === false && (verdict.reason === 'malformed' || verdict.reason === 'mismatch') && typeof verdict.detail === 'string' && verdict.detail.length > 0
}

/** The NSID must be the payload of an option in the input: code 3, then its exact length, then the bytes. */
function isNsidOptionIn(input: Uint8Array, nsid: Uint8Array): boolean {
  for (let at = 4; at + nsid.length <= input.length; at += 1) {
    const code = ((input[at - 4] as number) << 8) | (input[at - 3] as number)
    const length = ((input[at - 2] as number) << 8) | (input[at - 1] as number)
    if (code === NSID_OPTION_CODE && length === nsid.length && hex(input.subarray(at, at + length)) === hex(nsid)) return true
  }
  return false
}

function acceptanceViolation(fuzz: FuzzCase, verdict: Verdict): string | null {
  if (!verdict.accepted) return null
  const decoded = decodeMessage(fuzz.bytes)
  if (!decoded.ok) return `accepted, but decodeMessage says ${decoded.error}`
  if (decoded.message.id !== fuzz.query.id) return `accepted id ${decoded.message.id}, query id ${fuzz.query.id}`
  const { nsid } = verdict.answer
  if (nsid && !isNsidOptionIn(fuzz.bytes, nsid)) return `accepted NSID ${hex(nsid)} is not an NSID option of the input`
  return null
}

const report = (fuzz: FuzzCase, problem: string): string => `${fuzz.origin}: ${problem}\n  input ${hex(fuzz.bytes)}`

describe('judgeReply under fuzzing', () => {
  const corpus = mutatedReplies(SEED)

  it('accepts every unmutated seed reply, so acceptance is really exercised', () => {
    for (const reply of seedReplies()) {
      expect(judgeReply(reply.bytes, reply.query), reply.name).toMatchObject({ accepted: true })
    }
  })

  it(`returns a verdict and never throws on ${corpus.length} mutated replies (seed ${seedHex})`, () => {
    expect(corpus.length).toBeGreaterThanOrEqual(MIN_FUZZED_REPLIES)
    const problems: string[] = []
    for (const fuzz of corpus) {
      const result = verdictOf(fuzz)
      if ('threw' in result) problems.push(report(fuzz, `threw ${result.threw}`))
      else if (!isVerdict(result.verdict)) problems.push(report(fuzz, `returned ${JSON.stringify(result.verdict)}`))
    }
    expect(problems.slice(0, 5)).toEqual([])
  })

  it(`accepts a mutant only with our id and an NSID copied from an NSID option of its bytes (seed ${seedHex})`, () => {
    const problems: string[] = []
    let acceptedWithNsid = 0
    for (const fuzz of corpus) {
      const result = verdictOf(fuzz)
      if (!('verdict' in result) || !result.verdict.accepted) continue
      if (result.verdict.answer.nsid) acceptedWithNsid += 1
      const problem = acceptanceViolation(fuzz, result.verdict)
      if (problem) problems.push(report(fuzz, problem))
    }
    expect(problems.slice(0, 5)).toEqual([])
    // Most single bit flips (in a TTL, the SOA serial, the NSID itself) leave a valid answer behind.
    expect(acceptedWithNsid, 'mutants accepted with an NSID').toBeGreaterThan(MUTANTS_PER_SEED_REPLY / 10)
  })

  it('rejects every proper prefix of every seed reply as malformed', () => {
    const problems: string[] = []
    for (const reply of seedReplies()) {
      for (let length = 0; length < reply.bytes.length; length += 1) {
        const fuzz = { origin: `${reply.name}, cut to ${length}`, query: reply.query, bytes: reply.bytes.slice(0, length) }
        const result = verdictOf(fuzz)
        const reason = 'verdict' in result && !result.verdict.accepted ? result.verdict.reason : null
        if (reason !== 'malformed') problems.push(report(fuzz, `gave ${JSON.stringify(result)}`))
      }
    }
    expect(problems.slice(0, 5)).toEqual([])
  })
})

// ---- TCP framing

type Chunker = (random: Random, stream: Uint8Array) => Uint8Array[]

const CHUNKERS: Record<string, Chunker> = {
  'one push': (_random, stream) => [stream],
  'one byte at a time': (_random, stream) => Array.from(stream, (_byte, at) => stream.subarray(at, at + 1)),
  'small pieces': (random, stream) => pieces(random, stream, 1, 7),
  'pieces with empty ones': (random, stream) => pieces(random, stream, 0, 300),
}

function pieces(random: Random, stream: Uint8Array, min: number, max: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let at = 0; at < stream.length; ) {
    const size = intBetween(random, min, max)
    out.push(stream.subarray(at, at + size))
    at += size
  }
  return out
}

function randomMessages(random: Random, maxBytes: number): Uint8Array[] {
  return Array.from({ length: intBetween(random, 0, 5) }, () =>
    randomBytes(random, pick(random, [12, 13, intBetween(random, 12, maxBytes), maxBytes])),
  )
}

function concatAll(parts: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts))
}

/** Pushes the chunks, then one more chunk after the end, and describes every event as a string. */
function readAll(chunks: readonly Uint8Array[], maxMessageBytes?: number): { events: string[]; pendingBytes: number } {
  const reader = createFrameReader(maxMessageBytes === undefined ? {} : { maxMessageBytes })
  const events: FrameEvent[] = []
  for (const chunk of chunks) events.push(...reader.push(chunk))
  return {
    events: events.map((event) => (event.kind === 'message' ? `message ${hex(event.message)}` : 'error')),
    pendingBytes: reader.pendingBytes(),
  }
}

describe('createFrameReader under fuzzing', () => {
  it(`yields exactly the framed messages of a valid stream, however it is chunked (seed ${seedHex})`, () => {
    const random = mulberry32(SEED)
    const problems: string[] = []
    for (let index = 0; index < STREAMS_PER_KIND; index += 1) {
      // Now and then a stream with messages up to the 65535-byte maximum; small ones otherwise, to stay fast.
      const messages = randomMessages(random, index % LARGE_STREAM_EVERY === 0 ? MAX_DNS_MESSAGE_BYTES : SMALL_MESSAGE_BYTES)
      // A partial message at the end must stay pending, never be yielded.
      const tail = frameMessage(randomBytes(random, intBetween(random, 12, 100))).subarray(0, intBetween(random, 0, 13))
      const stream = concatAll([...messages.map(frameMessage), tail])
      const expected = messages.map((message) => `message ${hex(message)}`)
      for (const [name, chunk] of Object.entries(CHUNKERS)) {
        const { events, pendingBytes } = readAll(chunk(random, stream))
        if (events.join() !== expected.join() || pendingBytes !== tail.length) {
          problems.push(`stream ${index} ${name}: ${events.length} events, ${pendingBytes} pending; expected ${expected.length}, ${tail.length}`)
        }
      }
    }
    expect(problems.slice(0, 5)).toEqual([])
  })

  it('reassembles a maximum-size message dripped one byte at a time (its cost is measured by bench/framing-drip.ts)', () => {
    const message = randomBytes(mulberry32(SEED), MAX_DNS_MESSAGE_BYTES)
    const stream = frameMessage(message)
    const reader = createFrameReader()
    const events: FrameEvent[] = []
    for (let at = 0; at < stream.length; at += 1) events.push(...reader.push(stream.subarray(at, at + 1)))
    expect(events).toEqual([{ kind: 'message', message }])
  })

  it(`yields the messages before a bad length prefix, then one error and nothing after, however chunked (seed ${seedHex})`, () => {
    const MAX_MESSAGE_BYTES = 512
    const random = mulberry32(SEED + 1)
    const problems: string[] = []
    for (let index = 0; index < STREAMS_PER_KIND; index += 1) {
      const messages = Array.from({ length: intBetween(random, 0, 4) }, () => randomBytes(random, intBetween(random, 12, MAX_MESSAGE_BYTES)))
      const badLength = pick(random, [intBetween(random, 0, 11), intBetween(random, MAX_MESSAGE_BYTES + 1, 0xffff)])
      const afterwards = frameMessage(randomBytes(random, 40))
      const stream = concatAll([...messages.map(frameMessage), Uint8Array.of(badLength >> 8, badLength & 0xff), randomBytes(random, 30), afterwards])
      const expected = [...messages.map((message) => `message ${hex(message)}`), 'error']
      for (const [name, chunk] of Object.entries(CHUNKERS)) {
        const { events } = readAll(chunk(random, stream), MAX_MESSAGE_BYTES)
        if (events.join() !== expected.join()) {
          problems.push(`stream ${index} ${name} (bad length ${badLength}): got [${events.map((e) => e.slice(0, 20))}], expected ${expected.length} events`)
        }
      }
    }
    expect(problems.slice(0, 5)).toEqual([])
  })
})
