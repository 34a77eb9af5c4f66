import type { RejectionReason } from './dns/decode.ts'

export type NoAnswerOutcome = 'timeout' | 'malformed' | 'mismatch' | 'network-error'
/** Why the wait ended: the deadline, the peer closing the stream, or an error from the network. */
export type NoAnswerEnding = 'timeout' | 'closed' | 'network-error'

/**
 * Keeps count of the replies a transport ignored while it waited for the one that answers its query,
 * so that when none does, the result says what did arrive instead of a bare timeout.
 */
export interface ReplyTally {
  ignore(reason: RejectionReason | 'stray', detail: string): void
  ignored(): number
  /** The outcome for an exchange that ended without an answer, given why it ended. */
  noAnswer(ending: NoAnswerEnding, detail: string): { outcome: NoAnswerOutcome; error: string }
}

export function createReplyTally(): ReplyTally {
  let count = 0
  let last: { reason: RejectionReason; detail: string } | null = null
  return {
    ignore(reason, detail) {
      count += 1
      if (reason !== 'stray') last = { reason, detail }
    },
    ignored: () => count,
    noAnswer(ending, detail) {
      // A network error is the more specific story; otherwise say what the target did send us.
      if (ending === 'network-error') return { outcome: ending, error: detail }
      if (!last) return { outcome: ending === 'closed' ? 'network-error' : 'timeout', error: detail }
      const replies = count === 1 ? '1 reply' : `${count} replies`
      return { outcome: last.reason, error: `${detail}; ignored ${replies}, last: ${last.detail}` }
    },
  }
}
