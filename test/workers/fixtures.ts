// What the workers project's global setup (Node) hands to the tests (workerd) through
// project.provide() / inject(). Imported from both sides, so nothing here may touch a runtime API.
import type { DnsServerKind } from '../support/dns-servers.ts'

export type LoopbackDnsServer =
  | {
      kind: DnsServerKind
      available: true
      port: number
      zone: string
      expectedIdentity: { source: 'nsid' | 'hostname.bind' | 'id.server'; text: string }
    }
  | { kind: DnsServerKind; available: false; reason: string }

/**
 * What the scripted responder does after it has read a whole query; chosen by the first label of the
 * query name ('drip.responder.test'), so one listening port serves every scenario.
 * - answer: one write of a NOERROR answer carrying NSID RESPONDER_NSID
 * - drip: the same answer, length prefix included, written one byte at a time
 * - stray-first: a reply with the wrong id, then the answer, in one write
 * - stall: a length prefix announcing 65535 bytes, then silence
 * - oversize: a length prefix announcing 4096 bytes, then 4096 bytes
 * - garbage: a well-framed 20-byte message that is not DNS, then close
 * - close: close without a reply
 * - reset: abort the connection (RST) without a reply
 */
export type ResponderScenario = 'answer' | 'drip' | 'stray-first' | 'stall' | 'oversize' | 'garbage' | 'close' | 'reset'

/** Loopback addresses of the silent target (global-setup.ts): one region's plan of that many TCP tasks. */
export const SILENT_ADDRESS_COUNT = 40

export const RESPONDER_ZONE = 'responder.test'
export const RESPONDER_NSID = 'loopback-responder'

export function scenarioQname(scenario: ResponderScenario): string {
  return `${scenario}.${RESPONDER_ZONE}`
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Real NSD / BIND / Knot daemons on 127.0.0.1, one per kind; unavailable kinds carry the reason. */
    dnsServers: LoopbackDnsServer[]
    /** The scripted TCP responder (loopback-responder.ts) on 127.0.0.1. */
    responderPort: number
    /** The same responder on ::1, or why there is none (no IPv6 loopback on this machine). */
    responderV6: { port: number } | { reason: string }
    /** A loopback port that nothing listens on. */
    closedPort: number
    /**
     * A DNS server that accepts connections and never answers, on SILENT_ADDRESS_COUNT loopback addresses
     * (127.0.1.1 ...) and one port, or why there is none (startSilentListeners).
     */
    silentTarget: { addresses: string[]; port: number } | { reason: string }
  }
}
