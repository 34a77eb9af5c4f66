// Preloaded with NODE_OPTIONS=--require into a process and its Node children: any TCP or TLS connection (fetch,
// http, https, the AWS SDK all end in net.Socket#connect) or DNS lookup of a name other than loopback is refused
// and written, one line each, to the file DENY_NETWORK_LOG names, so a test can assert that nothing was tried.
'use strict'
const { appendFileSync } = require('node:fs')
const dns = require('node:dns')
const net = require('node:net')

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '::ffff:127.0.0.1'])
const log = process.env.DENY_NETWORK_LOG

function record(what) {
  if (log) appendFileSync(log, `${process.pid} ${what}\n`)
}

const connect = net.Socket.prototype.connect
net.Socket.prototype.connect = function (...args) {
  const options = Array.isArray(args[0]) ? args[0][0] : typeof args[0] === 'object' && args[0] !== null ? args[0] : { port: args[0], host: args[1] }
  if (typeof options.path === 'string' || (typeof args[0] === 'string' && !/^\d+$/.test(args[0]))) return connect.apply(this, args)
  const host = options.host ?? 'localhost'
  if (LOOPBACK.has(host)) return connect.apply(this, args)
  record(`connect ${host}:${options.port}`)
  process.nextTick(() => this.destroy(new Error(`deny-network: connection to ${host}:${options.port} refused`)))
  return this
}

const lookup = dns.lookup
dns.lookup = function (hostname, ...rest) {
  if (LOOPBACK.has(hostname)) return lookup.call(this, hostname, ...rest)
  record(`lookup ${hostname}`)
  const callback = rest[rest.length - 1]
  process.nextTick(() => callback(Object.assign(new Error(`deny-network: lookup of ${hostname} refused`), { code: 'ENOTFOUND' })))
  return {}
}
const lookupPromise = dns.promises.lookup
dns.promises.lookup = async function (hostname, ...rest) {
  if (LOOPBACK.has(hostname)) return lookupPromise.call(this, hostname, ...rest)
  record(`lookup ${hostname}`)
  throw Object.assign(new Error(`deny-network: lookup of ${hostname} refused`), { code: 'ENOTFOUND' })
}
