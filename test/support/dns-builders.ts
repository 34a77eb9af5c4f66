// Tiny builders for DNS replies in tests. Test support may use dns-packet directly; src/ may not.
import dnsPacket from 'dns-packet'

export interface ReplySpec {
  id: number
  name?: string
  type?: string
  class?: string
  qr?: boolean
  tc?: boolean
  rcode?: number
  nsid?: Uint8Array | string | null
  extendedRcode?: number
  txt?: string[] | null
  omitQuestion?: boolean
}

const TC_FLAG = 1 << 9

/** A reply to IN SOA (or the given question) with an optional NSID and TXT answer. */
export function reply(spec: ReplySpec): Uint8Array {
  const name = spec.name ?? 'example'
  const klass = spec.class ?? 'IN'
  const type = spec.type ?? 'SOA'
  const answers =
    spec.txt != null
      ? [{ name, type: 'TXT', class: klass, ttl: 0, data: spec.txt }]
      : type === 'SOA'
        ? [{ name, type: 'SOA', class: klass, ttl: 60, data: soa() }]
        : []
  const nsid = typeof spec.nsid === 'string' ? new TextEncoder().encode(spec.nsid) : spec.nsid
  const wantsOpt = nsid != null || spec.extendedRcode !== undefined
  const packet = {
    type: spec.qr === false ? 'query' : 'response',
    id: spec.id,
    flags: (spec.tc ? TC_FLAG : 0) | ((spec.rcode ?? 0) & 0x0f) | (1 << 10),
    questions: spec.omitQuestion ? [] : [{ name, type, class: klass }],
    answers,
    additionals: wantsOpt
      ? [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: 1232,
            extendedRcode: spec.extendedRcode ?? 0,
            flags: 0,
            options: nsid ? [{ code: 3, data: Buffer.from(nsid) }] : [],
          },
        ]
      : [],
  }
  const bytes = (dnsPacket.encode as unknown as (p: object) => Buffer)(packet)
  return new Uint8Array(bytes)
}

function soa() {
  return { mname: 'ns.example', rname: 'hostmaster.example', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60 }
}
