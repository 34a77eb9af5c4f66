// IP prefixes: parsing (no Node module: the core runs in workerd too) and containment.
import { describe, expect, it } from 'vitest'
import { covers, parsePrefix, prefixCovers } from '../../../src/core/net/prefix.ts'

describe('prefixes', () => {
  it('covers by family and length, IPv6 shorthand and embedded IPv4 included', () => {
    expect(prefixCovers('198.51.100.0/24', '198.51.100.53/32')).toBe(true)
    expect(prefixCovers('198.51.100.0/25', '198.51.100.153/32')).toBe(false)
    expect(prefixCovers('2001:db8::/32', '2001:db8:53::53/128')).toBe(true)
    expect(prefixCovers('::ffff:0:0/96', '::ffff:198.51.100.53/128')).toBe(true)
    expect(prefixCovers('0.0.0.0/0', '2001:db8::/32')).toBe(false)
    expect(parsePrefix('198.51.100.0/33')).toBeNull()
    expect(parsePrefix('not-an-ip/8')).toBeNull()
    const host = parsePrefix('198.51.100.53')
    expect(host).toMatchObject({ family: 4, length: 32 })
    expect(covers(parsePrefix('198.51.100.0/24')!, host!)).toBe(true)
  })
})

describe('address syntax', () => {
  it('accepts the usual IPv4 and IPv6 forms', () => {
    for (const text of ['0.0.0.0/0', '255.255.255.255', '::', '::1', '2001:db8::', '2001:db8:0:0:0:0:0:1', 'fe80::1:2:3:4:5', '::ffff:192.0.2.1']) {
      expect(parsePrefix(text), text).not.toBeNull()
    }
  })

  it('refuses what is not an address', () => {
    for (const text of ['256.1.1.1', '1.2.3', '01.2.3.4', '1.2.3.4.5', '2001:db8::1::2', '2001:db8:0:0:0:0:0:0:1', '12345::', 'g::1', '::ffff:300.1.1.1', 'fe80::1%eth0', '']) {
      expect(parsePrefix(text), text).toBeNull()
    }
  })
})
