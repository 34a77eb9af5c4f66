import { describe } from 'vitest'
import { createNodeTcpTransport } from '../../../src/adapters/transport/node-tcp.ts'
import { createNodeUdpTransport } from '../../../src/adapters/transport/node-udp.ts'
import { transportContract } from '../../contract/transport.contract.ts'

describe.each(['127.0.0.1', '::1'])('Node transports over %s', (address) => {
  transportContract(createNodeUdpTransport, address)
  transportContract(createNodeTcpTransport, address)
})
