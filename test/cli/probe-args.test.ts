import { describe, expect, it } from 'vitest'
import { parseProbeArgs } from '../../src/cli/probe-args.ts'

describe('probe arguments', () => {
  it('fills the defaults around an address', () => {
    expect(parseProbeArgs(['198.51.100.53'])).toEqual({
      ok: true,
      args: { address: '198.51.100.53', port: 53, transport: 'udp', qname: '.', qtype: 'SOA', timeoutMs: 2000, json: false, identityFallback: true, vantage: 'local' },
    })
  })

  it('reads every option, in either --flag value or --flag=value form', () => {
    const parsed = parseProbeArgs(['--json', '2001:db8:53::53', '--port=5353', '--transport', 'tcp', '--qname', 'example.', '--qtype', 'ns', '--timeout', '750', '--no-fallback', '--vantage', 'fra'])
    expect(parsed).toEqual({
      ok: true,
      args: { address: '2001:db8:53::53', port: 5353, transport: 'tcp', qname: 'example.', qtype: 'NS', timeoutMs: 750, json: true, identityFallback: false, vantage: 'fra' },
    })
  })

  it.each([
    [[], 'missing <address>'],
    [['ns1.example'], '<address> must be an IPv4 or IPv6 address, got "ns1.example"'],
    [['127.0.0.1', '--port', '70000'], '--port must be an integer from 1 to 65535, got 70000'],
    [['127.0.0.1', '--port', '5x'], '--port must be an integer from 1 to 65535, got 5x'],
    [['127.0.0.1', '--transport', 'quic'], '--transport must be udp or tcp, got quic'],
    [['127.0.0.1', '--timeout', '0'], '--timeout must be an integer number of ms from 1 to 60000, got 0'],
    [['127.0.0.1', '--timeout'], '--timeout needs a value'],
    [['127.0.0.1', '--qtype', 'ANY'], '--qtype must be one of SOA, NS, A, AAAA, TXT, got ANY'],
    [['127.0.0.1', '--qname', 'a..b'], '--qname has an empty label (a leading dot or two dots in a row)'],
    [['127.0.0.1', '--qname', `${'x'.repeat(64)}.example`], '--qname has a label of 64 characters; a label has at most 63'],
    [['127.0.0.1', '--verbose'], 'unknown option --verbose'],
    [['127.0.0.1', '127.0.0.2'], 'unexpected argument 127.0.0.2'],
  ])('refuses %j with one line naming the problem', (argv, error) => {
    expect(parseProbeArgs(argv)).toEqual({ ok: false, error })
  })
})
