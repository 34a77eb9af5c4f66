// Well-formed DNS replies built with dns-packet, for tests that then break them on purpose.
// dns-packet's typings know no NSID option and only five classes, so the packet shape is typed here.
import dnsPacket from 'dns-packet'

export interface AskedQuestion {
  name: string
  type: string
  class: string
}

export interface AskedQuery {
  id: number
  question: AskedQuestion
}

export interface ReplyOptions {
  /** Header id; the query's by default. */
  id?: number
  /** Overrides fields of the echoed question. */
  question?: Partial<AskedQuestion>
  /** The 4-bit header RCODE; 0 (NOERROR) by default. */
  rcode?: number
  truncated?: boolean
  /** The QR bit; true by default. */
  isResponse?: boolean
  /** NSID payload (a string is taken byte for byte, latin1). Adds an OPT record. */
  nsid?: string | Uint8Array
  /** The OPT record's upper 8 RCODE bits. Adds an OPT record. */
  extendedRcode?: number
  /** Leave the question section empty, as some servers do in error replies. */
  omitQuestion?: boolean
}

interface LooseRecord {
  name: string
  type: string
  class?: string
  ttl?: number
  data?: unknown
  udpPayloadSize?: number
  extendedRcode?: number
  flags?: number
  options?: { code: number; data: Buffer }[]
}

interface LoosePacket {
  type: 'query' | 'response'
  id: number
  flags: number
  questions: AskedQuestion[]
  answers: LooseRecord[]
  additionals: LooseRecord[]
}

const encodePacket = dnsPacket.encode as unknown as (packet: LoosePacket) => Buffer

const RCODE_MASK = 0x0f
const NSID_OPTION_CODE = 3
const EDNS_UDP_PAYLOAD_BYTES = 1232
const RCODE_REFUSED = 5
const SOA_DATA = {
  mname: 'ns1.lab.test',
  rname: 'hostmaster.lab.test',
  serial: 2024010101,
  refresh: 7200,
  retry: 3600,
  expire: 1209600,
  minimum: 3600,
}

/** Bytes of a string taken one char per byte, so '\x00' and '\x1b' stay single raw bytes. */
export function latin1(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'latin1'))
}

/** An authoritative SOA answer to the query's question, with an OPT record when options ask for one. */
export function soaReply(query: AskedQuery, options: ReplyOptions = {}): Uint8Array {
  return toBytes(encodePacket(soaPacket(query, options)))
}

/** A CHAOS TXT answer (hostname.bind / id.server) carrying one or more character-strings. */
export function chaosTxtReply(query: AskedQuery, text: string | string[], options: ReplyOptions = {}): Uint8Array {
  const question = echoedQuestion(query, options)
  const strings = (Array.isArray(text) ? text : [text]).map((part) => Buffer.from(part, 'latin1'))
  const txt: LooseRecord = { name: question.name, type: 'TXT', class: question.class, ttl: 0, data: strings }
  return toBytes(encodePacket(packet(query, options, [txt])))
}

/** A reply with no answer records (a TC=1 reply, an error), the question echoed, OPT as options ask. */
export function emptyReply(query: AskedQuery, options: ReplyOptions = {}): Uint8Array {
  return toBytes(encodePacket(packet(query, options, [])))
}

/** REFUSED with the question echoed and nothing else. */
export function refusedReply(query: AskedQuery): Uint8Array {
  return emptyReply(query, { rcode: RCODE_REFUSED })
}

/** Where the sections of soaReply(query, options) start, to cut or patch them. */
export function soaReplyLayout(query: AskedQuery, options: ReplyOptions = {}): {
  answerStart: number
  optStart: number
  nsidStart: number
  length: number
} {
  const full = soaPacket(query, options)
  const answerStart = encodePacket({ ...full, answers: [], additionals: [] }).length
  const optStart = encodePacket({ ...full, additionals: [] }).length
  const length = encodePacket(full).length
  const nsidLength = options.nsid === undefined ? 0 : nsidBytes(options.nsid).length
  return { answerStart, optStart, nsidStart: length - nsidLength, length }
}

function soaPacket(query: AskedQuery, options: ReplyOptions): LoosePacket {
  const question = echoedQuestion(query, options)
  const soa: LooseRecord = { name: question.name, type: 'SOA', class: 'IN', ttl: 3600, data: SOA_DATA }
  return packet(query, options, [soa])
}

function packet(query: AskedQuery, options: ReplyOptions, answers: LooseRecord[]): LoosePacket {
  let flags = dnsPacket.AUTHORITATIVE_ANSWER | ((options.rcode ?? 0) & RCODE_MASK)
  if (options.truncated) flags |= dnsPacket.TRUNCATED_RESPONSE
  return {
    type: options.isResponse === false ? 'query' : 'response',
    id: options.id ?? query.id,
    flags,
    questions: options.omitQuestion ? [] : [echoedQuestion(query, options)],
    answers,
    additionals: optRecords(options),
  }
}

function optRecords(options: ReplyOptions): LooseRecord[] {
  if (options.nsid === undefined && options.extendedRcode === undefined) return []
  return [
    {
      name: '.',
      type: 'OPT',
      udpPayloadSize: EDNS_UDP_PAYLOAD_BYTES,
      extendedRcode: options.extendedRcode ?? 0,
      flags: 0,
      // dns-packet encodes any option generically as long as data is a Buffer.
      options: options.nsid === undefined ? [] : [{ code: NSID_OPTION_CODE, data: Buffer.from(nsidBytes(options.nsid)) }],
    },
  ]
}

function echoedQuestion(query: AskedQuery, options: ReplyOptions): AskedQuestion {
  return { ...query.question, ...options.question }
}

function nsidBytes(nsid: string | Uint8Array): Uint8Array {
  return typeof nsid === 'string' ? latin1(nsid) : nsid
}

function toBytes(buffer: Buffer): Uint8Array {
  return Uint8Array.from(buffer)
}
