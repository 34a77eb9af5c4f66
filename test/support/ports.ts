// A TCP port on 127.0.0.1 that nothing listens on right now: bound to port 0, then released. For a
// server about to be started on it (the demo, wrangler dev), or a port that must refuse connections.
import { createServer, type AddressInfo } from 'node:net'

export async function unusedTcpPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: '127.0.0.1', port: 0 }, resolve)
  })
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
