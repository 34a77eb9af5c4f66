// The slice of `cloudflare:sockets` that workers-tcp.ts uses, so the Node program can typecheck it
// without loading all of @cloudflare/workers-types (whose globals clash with @types/node).
// Shapes as documented at https://developers.cloudflare.com/workers/runtime-apis/tcp-sockets/
// The workers program (test/workers/tsconfig.json) does not include this file: it gets the real
// declaration from @cloudflare/workers-types, so workers-tcp.ts only uses `connect` and derives the rest.
declare module 'cloudflare:sockets' {
  export interface SocketAddress {
    hostname: string
    port: number
  }

  export interface SocketOptions {
    /** 'on': TLS from the start (DoT); 'starttls': plain until socket.startTls(). Default 'off'. */
    secureTransport?: 'off' | 'on' | 'starttls'
    /** When false (default), the writable side closes once the readable side reaches EOF. */
    allowHalfOpen?: boolean
  }

  export interface SocketInfo {
    remoteAddress?: string
    localAddress?: string
  }

  export interface Socket {
    readonly readable: ReadableStream<Uint8Array>
    /** Accepts Uint8Array chunks only. */
    readonly writable: WritableStream<Uint8Array>
    /** Resolves once the connection is established; rejects when it cannot be. */
    readonly opened: Promise<SocketInfo>
    /** Resolves when the socket is closed; rejects on a connection error. */
    readonly closed: Promise<void>
    close(): Promise<void>
    startTls(options?: { expectedServerHostname?: string }): Socket
  }

  /** TCP only: no UDP, and no connections to Cloudflare IP ranges in production. */
  export function connect(address: string | SocketAddress, options?: SocketOptions): Socket
}
