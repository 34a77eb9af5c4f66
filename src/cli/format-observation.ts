import { rcodeName } from '../core/observation.ts'
import type { Observation } from '../core/model.ts'

/** The dig-like human view of one observation. Identity text is already printable ASCII or absent. */
export function formatObservation(observation: Observation): string {
  const lines = [
    `;; anycast-monitor probe ${observation.target} port ${observation.port} over ${observation.transport}` +
      (observation.retriedOverTcp ? ' (truncated, retried over tcp)' : ''),
    `;; question: ${observation.qname} IN`,
    `;; outcome: ${observation.outcome}` +
      (observation.rcode === null ? '' : `, rcode: ${rcodeName(observation.rcode)} (${observation.rcode})`),
  ]
  if (observation.rttMs !== null) lines.push(`;; query time: ${observation.rttMs.toFixed(3)} ms`)
  if (observation.connectMs !== null) lines.push(`;; connect time: ${observation.connectMs.toFixed(3)} ms`)
  lines.push(`;; identity: ${formatIdentity(observation)}`)
  if (observation.ignoredReplies > 0) lines.push(`;; ignored replies: ${observation.ignoredReplies}`)
  if (observation.error) lines.push(`;; error: ${escapeUnprintable(observation.error)}`)
  return lines.join('\n')
}

function formatIdentity(observation: Observation): string {
  const { identity } = observation
  if (identity) {
    const shown = identity.text === null ? `0x${identity.hex}` : `"${identity.text}"`
    return `${shown} (from ${identity.source}, hex ${identity.hex})`
  }
  return observation.rcode === null ? 'none (no answer)' : 'none (answered without identity)'
}

/** Details can quote names from hostile replies: never let them write escape sequences to a terminal. */
export function escapeUnprintable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`)
}
