// The one place that touches dns-packet. Everything else speaks WireMessage, so the library's
// loose typings and its lenient decoder (it accepts some truncated packets) stop here.
import dnsPacket from 'dns-packet'

export interface WireQuestion {
  name: string
  type: string
  class: string
}

export interface WireRecord {
  name: string
  type: string
  class: string
  /** TXT only: the character-strings, as raw bytes. */
  txt: Uint8Array[] | null
}

export interface WireOption {
  code: number
  data: Uint8Array
}

export interface WireOpt {
  udpPayloadBytes: number
  extendedRcode: number
  ednsVersion: number
  options: WireOption[]
}

export interface WireMessage {
  id: number
  isResponse: boolean
  opcode: string
  truncated: boolean
  authoritative: boolean
  /** The 4-bit RCODE of the header, before EDNS extension. */
  headerRcode: number
  questions: WireQuestion[]
  answers: WireRecord[]
  opt: WireOpt | null
}

export interface WireQuery {
  id: number
  question: WireQuestion
  /** When set, an EDNS0 OPT record is added with this UDP payload size. */
  edns?: { udpPayloadBytes: number; requestNsid: boolean }
}

export type DecodeResult =
  | { ok: true; message: WireMessage; trailingBytes: number }
  | { ok: false; error: string }

export const NSID_OPTION_CODE = 3
const HEADER_BYTES = 12
const RCODE_MASK = 0x0f

/** Shapes of what dns-packet hands back; only the fields we read. */
interface RawRecord {
  name?: unknown
  type?: unknown
  class?: unknown
  data?: unknown
  extendedRcode?: unknown
  ednsVersion?: unknown
  udpPayloadSize?: unknown
  options?: unknown
}
interface RawPacket {
  id?: number
  type?: string
  flags?: number
  opcode?: string
  flag_tc?: boolean
  flag_aa?: boolean
  questions?: RawRecord[]
  answers?: RawRecord[]
  additionals?: RawRecord[]
}
type RawDecode = ((buf: Uint8Array) => RawPacket) & { bytes: number }
type RawEncode = (packet: object) => Uint8Array

const rawDecode = dnsPacket.decode as unknown as RawDecode
const rawEncode = dnsPacket.encode as unknown as RawEncode

export function encodeQuery(query: WireQuery): Uint8Array {
  const additionals = query.edns
    ? [
        {
          type: 'OPT',
          name: '.',
          udpPayloadSize: query.edns.udpPayloadBytes,
          flags: 0,
          // dns-packet throws on { code: 'NSID' } without data: an empty payload is the request.
          options: query.edns.requestNsid ? [{ code: NSID_OPTION_CODE, data: Buffer.alloc(0) }] : [],
        },
      ]
    : []
  const bytes = rawEncode({
    type: 'query',
    id: query.id,
    flags: 0, // no RD: we ask the anycast node itself, never a resolver behind it
    questions: [query.question],
    additionals,
  })
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Decodes one DNS message, never throws: every failure is returned as an error string. */
export function decodeMessage(bytes: Uint8Array): DecodeResult {
  if (bytes.length < HEADER_BYTES) return { ok: false, error: `message of ${bytes.length} bytes is shorter than a DNS header` }
  let raw: RawPacket
  try {
    raw = rawDecode(toBuffer(bytes))
  } catch (cause) {
    return { ok: false, error: `undecodable: ${errorText(cause)}` }
  }
  // dns-packet reads past the end of a packet cut inside the OPT record and returns a shortened option.
  // Cut right before a TXT or HINFO character-string, it reads a missing length byte as undefined and
  // returns an empty string with a byte count of NaN, which no comparison catches: require an integer.
  if (!Number.isInteger(rawDecode.bytes) || rawDecode.bytes > bytes.length) {
    const needed = Number.isInteger(rawDecode.bytes) ? `${rawDecode.bytes} bytes` : 'more bytes'
    return { ok: false, error: `truncated: decoding needed ${needed}, only ${bytes.length} received` }
  }
  try {
    return { ok: true, message: toWireMessage(raw), trailingBytes: bytes.length - rawDecode.bytes }
  } catch (cause) {
    return { ok: false, error: `unexpected structure: ${errorText(cause)}` }
  }
}

function toWireMessage(raw: RawPacket): WireMessage {
  const additionals = raw.additionals ?? []
  const optRecord = additionals.find((record) => record.type === 'OPT')
  return {
    id: raw.id ?? -1,
    isResponse: raw.type === 'response',
    opcode: String(raw.opcode),
    truncated: raw.flag_tc === true,
    authoritative: raw.flag_aa === true,
    headerRcode: (raw.flags ?? 0) & RCODE_MASK,
    questions: (raw.questions ?? []).map(toQuestion),
    answers: (raw.answers ?? []).map(toRecord),
    opt: optRecord ? toOpt(optRecord) : null,
  }
}

function toQuestion(raw: RawRecord): WireQuestion {
  return { name: String(raw.name), type: String(raw.type), class: String(raw.class) }
}

function toRecord(raw: RawRecord): WireRecord {
  const txt = raw.type === 'TXT' && Array.isArray(raw.data) ? raw.data.map((part) => asBytes(part)) : null
  return { name: String(raw.name), type: String(raw.type), class: String(raw.class), txt }
}

function toOpt(raw: RawRecord): WireOpt {
  const options = Array.isArray(raw.options) ? (raw.options as { code?: unknown; data?: unknown }[]) : []
  return {
    udpPayloadBytes: Number(raw.udpPayloadSize ?? 0),
    extendedRcode: Number(raw.extendedRcode ?? 0),
    ednsVersion: Number(raw.ednsVersion ?? 0),
    options: options.map((option) => ({ code: Number(option.code), data: asBytes(option.data) })),
  }
}

function asBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  if (typeof value === 'string') return new TextEncoder().encode(value)
  return new Uint8Array(0)
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function errorText(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause)
}
