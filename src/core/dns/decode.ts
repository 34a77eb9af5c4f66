import type { Identity } from '../model.ts'
import { concatBytes, identityFromBytes } from './identity.ts'
import type { BuiltQuery } from './query.ts'
import { decodeMessage, NSID_OPTION_CODE, type WireMessage, type WireQuestion } from './wire.ts'

/** A reply that answers our query. */
export interface DnsAnswer {
  /** Full RCODE: header bits plus the EDNS extended bits (BADVERS = 16). */
  rcode: number
  truncated: boolean
  /** The NSID option's payload, when the server sent one. */
  nsid: Uint8Array | null
  /** Each TXT record in the answer section that answers our question, its strings joined. */
  txt: Uint8Array[]
}

export type RejectionReason = 'malformed' | 'mismatch'

export type Verdict =
  | { accepted: true; answer: DnsAnswer }
  | { accepted: false; reason: RejectionReason; detail: string }

const OPCODE_QUERY = 'QUERY'
const RCODE_NOERROR = 0

/**
 * Decides whether a reply answers the query we sent. A reply is ours only if it is a response (QR=1)
 * to a standard query with our id that echoes our question (name case-insensitive, type, class).
 */
export function judgeReply(bytes: Uint8Array, query: BuiltQuery): Verdict {
  const decoded = decodeMessage(bytes)
  if (!decoded.ok) return { accepted: false, reason: 'malformed', detail: decoded.error }
  const mismatch = findMismatch(decoded.message, query)
  if (mismatch) return { accepted: false, reason: 'mismatch', detail: mismatch }
  return { accepted: true, answer: toAnswer(decoded.message, query.question) }
}

function findMismatch(message: WireMessage, query: BuiltQuery): string | null {
  if (!message.isResponse) return 'reply is not a response (QR=0)'
  if (message.id !== query.id) return `reply id ${message.id} is not query id ${query.id}`
  if (message.opcode !== OPCODE_QUERY) return `reply opcode ${message.opcode} is not QUERY`
  const [echoed, ...extra] = message.questions
  // Servers may drop the question from an error reply (FORMERR, NOTIMP); a NOERROR reply must echo it.
  if (!echoed) return fullRcode(message) === RCODE_NOERROR ? 'reply has no question section' : null
  if (extra.length > 0) return `reply carries ${message.questions.length} questions`
  if (!sameQuestion(echoed, query.question)) {
    return `reply question ${describe(echoed)} is not ${describe(query.question)}`
  }
  return null
}

function toAnswer(message: WireMessage, question: WireQuestion): DnsAnswer {
  const nsidOption = message.opt?.options.find((option) => option.code === NSID_OPTION_CODE)
  const txt = message.answers
    .filter((record) => record.txt !== null && sameName(record.name, question.name) && record.class === question.class)
    .map((record) => concatBytes(record.txt ?? []))
  return { rcode: fullRcode(message), truncated: message.truncated, nsid: nsidOption?.data ?? null, txt }
}

export function fullRcode(message: WireMessage): number {
  return ((message.opt?.extendedRcode ?? 0) << 4) | message.headerRcode
}

/** The identity carried by an answer: its NSID, or for a CHAOS question its first non-empty TXT. */
export function identityOf(answer: DnsAnswer, question: WireQuestion): Identity | null {
  if (question.class === 'IN') {
    return answer.nsid && answer.nsid.length > 0 ? identityFromBytes('nsid', answer.nsid) : null
  }
  const source = question.name.toLowerCase()
  if (source !== 'hostname.bind' && source !== 'id.server') return null
  const first = answer.txt.find((bytes) => bytes.length > 0)
  return first ? identityFromBytes(source, first) : null
}

function sameQuestion(a: WireQuestion, b: WireQuestion): boolean {
  return sameName(a.name, b.name) && a.type === b.type && a.class === b.class
}

function sameName(a: string, b: string): boolean {
  return stripDot(a).toLowerCase() === stripDot(b).toLowerCase()
}

function stripDot(name: string): string {
  return name.length > 1 && name.endsWith('.') ? name.slice(0, -1) : name
}

function describe(question: WireQuestion): string {
  return `${question.name} ${question.class} ${question.type}`
}
