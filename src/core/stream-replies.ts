import type { DnsAnswer, Verdict } from './dns/decode.ts'
import { createFrameReader } from './dns/framing.ts'
import type { ReplyTally } from './reply-tally.ts'

/** Where a DNS-over-TCP exchange stands after a chunk of bytes arrived. */
export type StreamStep = { kind: 'waiting' } | { kind: 'answer'; answer: DnsAnswer } | { kind: 'broken' }

/**
 * The part of DNS over TCP that every TCP transport shares: reassemble framed replies from chunks,
 * judge each one, count the ones that do not answer the query, and stop at the first that does.
 * A framing error breaks the stream: nothing after it can be trusted.
 */
export function createStreamReplies(params: {
  judge: (reply: Uint8Array) => Verdict
  tally: ReplyTally
  maxMessageBytes?: number
}): { push(chunk: Uint8Array): StreamStep } {
  const { judge, tally } = params
  const frames = createFrameReader(params.maxMessageBytes === undefined ? {} : { maxMessageBytes: params.maxMessageBytes })
  return {
    push(chunk) {
      for (const event of frames.push(chunk)) {
        if (event.kind === 'error') {
          tally.ignore('malformed', event.error)
          return { kind: 'broken' }
        }
        const verdict = judge(event.message)
        if (verdict.accepted) return { kind: 'answer', answer: verdict.answer }
        tally.ignore(verdict.reason, verdict.detail)
      }
      return { kind: 'waiting' }
    },
  }
}
