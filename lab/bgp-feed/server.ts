// The lab's BGP feed: the route collector's live state served the way RIPE serves RIS, so that the
// monitor reads the lab exactly as it reads production:
// - GET /data/<call>/data.json?resource=... (looking-glass, routing-status, bgp-updates,
//   rpki-validation) answers from `birdc show route in ... all`, `birdc show protocols` and the
//   collector's update log, asked at request time (nothing is canned or cached);
// - /v1/ws/ speaks RIS Live: each line BIRD appends to the collector's log becomes a ris_message to
//   every socket subscribed to a covering prefix.
// It listens on loopback of the root namespace and reaches the collector only through BIRD's control
// socket and log file, so no packet goes to a lab address from outside the lab.
import { spawn } from 'node:child_process'
import { open, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { parseBirdProtocols, parseBirdRoutes, parseCollectorLog, type CollectorEvent, type CollectorRoute, type CollectorSession } from '../collector.ts'
import { LAB_ROAS } from '../topology.ts'
import { parsePrefix } from '../../src/core/net/prefix.ts'
import {
  bgpUpdatesData,
  lookingGlassData,
  RIPESTAT_CALLS,
  ripestatEnvelope,
  ripestatError,
  routingStatusData,
  rpkiValidationData,
  type LabRipestatCall,
} from './ripestat.ts'
import { errorFrame, parseClientMessage, PONG_FRAME, risMessageOf, subscribeOkFrame, subscriptionMatches, type Subscription } from './ris-live.ts'

const LOG_POLL_MS = 100
const BIRDC_TIMEOUT_MS = 5_000
const DEFAULT_UPDATES_SPAN_MS = 48 * 3600 * 1000
/** The update history kept for bgp-updates: RIPEstat's default span, bounded in count. */
const MAX_KEPT_EVENTS = 100_000

export interface CollectorFiles {
  birdSocket: string
  logPath: string
}

export interface BgpFeed {
  url: string
  /** The collector's update events read from its log so far, oldest first. */
  events(): readonly CollectorEvent[]
  close(): Promise<void>
}

export async function startBgpFeed(files: CollectorFiles, listen: { host: string; port: number }): Promise<BgpFeed> {
  const events: CollectorEvent[] = []
  const sockets = new Map<WebSocket, Subscription[]>()
  let sequence = 0
  const tail = tailLog(files.logPath, (fresh) => {
    events.push(...fresh)
    if (events.length > MAX_KEPT_EVENTS) events.splice(0, events.length - MAX_KEPT_EVENTS)
    for (const event of fresh) broadcast(sockets, event, (sequence += 1))
  })
  await tail.caughtUp
  const server = createServer((request, response) => {
    answerHttp(files, events, request, response).catch((error: unknown) => sendJson(response, 500, ripestatError('unknown', 500, String(error), Date.now())))
  })
  const wss = new WebSocketServer({ noServer: true })
  server.on('upgrade', (request, socket, head) => {
    if (new URL(request.url ?? '/', 'http://feed').pathname.replace(/\/+$/, '') !== '/v1/ws') return socket.destroy()
    wss.handleUpgrade(request, socket, head, (ws) => acceptRisClient(ws, sockets))
  })
  await listenOn(server, listen)
  const address = server.address() as AddressInfo
  return {
    url: `http://${listen.host}:${address.port}`,
    events: () => events,
    async close() {
      tail.stop()
      for (const ws of sockets.keys()) ws.terminate()
      wss.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function listenOn(server: Server, listen: { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

// ------------------------------------------------------------------- HTTP

async function answerHttp(files: CollectorFiles, events: readonly CollectorEvent[], request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://feed')
  const call = /^\/data\/([a-z-]+)\/data\.json$/.exec(url.pathname)?.[1]
  const now = Date.now()
  if (request.method !== 'GET' || call === undefined || !(RIPESTAT_CALLS as readonly string[]).includes(call)) {
    return sendJson(response, 404, ripestatError(call ?? url.pathname, 404, `the lab feed serves ${RIPESTAT_CALLS.join(', ')}`, now))
  }
  const resource = url.searchParams.get('resource') ?? ''
  const dataCall = call as LabRipestatCall
  if (dataCall === 'rpki-validation') {
    const prefix = url.searchParams.get('prefix') ?? ''
    const asn = /^(?:AS)?(\d{1,10})$/i.exec(resource)?.[1]
    if (asn === undefined || parsePrefix(prefix) === null) return sendJson(response, 400, ripestatError(call, 400, 'resource must be an ASN and prefix a prefix', now))
    return sendJson(response, 200, ripestatEnvelope(dataCall, rpkiValidationData(Number(asn), prefix, LAB_ROAS), now))
  }
  if (parsePrefix(resource) === null) return sendJson(response, 400, ripestatError(call, 400, `resource ${JSON.stringify(resource)} is not a prefix`, now))
  if (dataCall === 'bgp-updates') {
    const until = timeParam(url.searchParams.get('endtime')) ?? now
    const from = timeParam(url.searchParams.get('starttime')) ?? until - DEFAULT_UPDATES_SPAN_MS
    return sendJson(response, 200, ripestatEnvelope(dataCall, bgpUpdatesData(resource, events, from, until), now))
  }
  const routes = await routesIn(files, resource)
  if (dataCall === 'looking-glass') return sendJson(response, 200, ripestatEnvelope(dataCall, lookingGlassData(resource, routes, now), now))
  return sendJson(response, 200, ripestatEnvelope(dataCall, routingStatusData(resource, routes, await sessions(files), events, now), now))
}

/** RIPEstat takes epoch seconds or ISO 8601 (UTC when no zone is given). */
function timeParam(value: string | null): number | null {
  if (value === null || value.trim() === '') return null
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000)
  const ms = Date.parse(/(?:Z|[+-]\d{2}:?\d{2})$/i.test(value) ? value : `${value}Z`)
  return Number.isNaN(ms) ? null : ms
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
  response.end(JSON.stringify(body))
}

async function routesIn(files: CollectorFiles, prefix: string): Promise<CollectorRoute[]> {
  return parseBirdRoutes(await birdc(files, ['show', 'route', 'in', prefix, 'all']))
}

async function sessions(files: CollectorFiles): Promise<CollectorSession[]> {
  return parseBirdProtocols(await birdc(files, ['show', 'protocols']))
}

function birdc(files: CollectorFiles, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('birdc', ['-s', files.birdSocket, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: BIRDC_TIMEOUT_MS })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.once('error', reject)
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`birdc ${args.join(' ')} exited ${code}: ${out.trim().slice(0, 300)}`))))
  })
}

// -------------------------------------------------------------- RIS Live

function acceptRisClient(ws: WebSocket, sockets: Map<WebSocket, Subscription[]>): void {
  sockets.set(ws, [])
  ws.on('close', () => sockets.delete(ws))
  ws.on('error', () => sockets.delete(ws))
  ws.on('message', (data, isBinary) => {
    const message = parseClientMessage(isBinary ? '' : data.toString())
    const subscriptions = sockets.get(ws) ?? []
    if (message.kind === 'ping') return send(ws, PONG_FRAME)
    if (message.kind === 'invalid') return send(ws, errorFrame(message.reason))
    if (message.kind === 'unsubscribe') return void sockets.set(ws, subscriptions.filter((entry) => entry.prefix !== message.prefix))
    sockets.set(ws, [...subscriptions, message.subscription])
    if (message.subscription.acknowledge) send(ws, subscribeOkFrame(message.subscription))
  })
}

/** An event goes once to each socket with at least one matching subscription. */
function broadcast(sockets: ReadonlyMap<WebSocket, Subscription[]>, event: CollectorEvent, sequence: number): void {
  const frame = risMessageOf(event, sequence)
  if (frame === null) return
  for (const [ws, subscriptions] of sockets) {
    if (subscriptions.some((subscription) => subscriptionMatches(subscription, event.prefix))) send(ws, frame)
  }
}

function send(ws: WebSocket, frame: unknown): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame))
}

// ------------------------------------------------------------- log tail

/**
 * Reads the log from its start, then every LOG_POLL_MS what BIRD appended, whole lines only. A log
 * that shrinks (recreated) is read again from its start.
 */
function tailLog(path: string, onEvents: (events: CollectorEvent[]) => void): { caughtUp: Promise<void>; stop(): void } {
  let offset = 0
  let partial = ''
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  const readMore = async (): Promise<void> => {
    const size = (await stat(path).catch(() => null))?.size ?? 0
    if (size < offset) [offset, partial] = [0, '']
    if (size === offset) return
    const handle = await open(path, 'r')
    try {
      const buffer = Buffer.alloc(size - offset)
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset)
      offset += bytesRead
      const text = partial + buffer.subarray(0, bytesRead).toString('utf8')
      const end = text.lastIndexOf('\n') + 1
      partial = text.slice(end)
      const events = parseCollectorLog(text.slice(0, end))
      if (events.length > 0) onEvents(events)
    } finally {
      await handle.close()
    }
  }
  const loop = (): void => {
    if (stopped) return
    timer = setTimeout(() => void readMore().catch(() => undefined).finally(loop), LOG_POLL_MS)
  }
  const caughtUp = readMore().finally(loop)
  return {
    caughtUp,
    stop() {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
    },
  }
}

/** Body of `lab/cli.ts __bgp-feed`: serves the running lab's collector until SIGTERM or SIGINT. */
export async function runBgpFeed(files: CollectorFiles, listen: { host: string; port: number }): Promise<void> {
  const feed = await startBgpFeed(files, listen)
  process.stdout.write(`bgp feed on ${feed.url} (RIPEstat Data API: /data/<call>/data.json; RIS Live: /v1/ws/)\n`)
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve)
    process.once('SIGINT', resolve)
  })
  await feed.close()
}
