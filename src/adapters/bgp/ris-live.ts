// BgpSource over RIS Live, the RIS collectors' real-time stream (a WebSocket). It subscribes once per
// prefix (more-specifics included, UPDATE messages only) and keeps, per prefix, each (collector, peer)'s
// current route and the recent announce/withdraw events (the flap detector's input, also offered live
// through onUpdate). RIS Live streams changes only: after every (re)connect each prefix starts from the
// `seed` source (the RIPEstat looking glass), re-read every resyncMs to correct any drift.
//
// A feed that fails must never read as a withdrawal. While the socket is down, reconnecting (jittered
// exponential backoff), or silent (no frame at all, not even the pong to the ping sent every
// pingIntervalMs, for silenceMs), every result is 'stale' (the routes as last known) or 'unavailable',
// with the reason. Frames that are not JSON or not in RIS Live's shapes are counted and dropped.
//
// The connection opens on the first snapshot() and its socket and timers never keep the process
// alive on their own; close() ends it.
import WebSocket from 'ws'
import type { BgpSnapshot, BgpSourceResult, BgpUpdateEvent } from '../../core/bgp/model.ts'
import { recentEvents, risLiveSnapshot } from '../../core/bgp/ris-live-state.ts'
import {
  parseRisLiveFrame,
  RIS_PING_MESSAGE,
  risSubscribeMessage,
  routeChangesOfRisMessage,
  type RisLiveMessage,
  type RisRouteChange,
} from '../../core/bgp/ris-live.ts'
import type { BgpSource } from '../../ports/bgp-source.ts'
import { newPrefixState, recordChange, resetForConnection, seedIsDue, startSeed, type PrefixState } from './ris-live-prefix.ts'

const SECOND_MS = 1000
const MINUTE_MS = 60 * SECOND_MS
const PINGS_PER_SILENCE_WINDOW = 4
const NORMAL_CLOSE_CODE = 1000
const CLOSE_GRACE_MS = 1000
const KEEP_ALIVE_TICK_MS = 60_000

export const RIS_LIVE_DEFAULTS = {
  name: 'ris-live',
  silenceMs: MINUTE_MS,
  handshakeTimeoutMs: 10 * SECOND_MS,
  reconnectInitialDelayMs: SECOND_MS,
  reconnectMaxDelayMs: MINUTE_MS,
  /** Events kept for the flap detector (its default window is an hour). */
  updatesWindowMs: 2 * 60 * MINUTE_MS,
  maxEventsPerPrefix: 10_000,
  /** Changes kept while a prefix waits for its seed; beyond this the oldest are dropped. */
  maxPendingChanges: 10_000,
  seedTimeoutMs: 30 * SECOND_MS,
  /** A failed seed is retried no sooner than this. */
  seedRetryMs: 30 * SECOND_MS,
  /** The seed is re-read this often, so that a change the stream missed does not last. */
  resyncMs: 60 * MINUTE_MS,
}

type Settings = typeof RIS_LIVE_DEFAULTS & { pingIntervalMs: number }

export interface RisLiveSourceOptions extends Partial<typeof RIS_LIVE_DEFAULTS> {
  /** E.g. risLiveUrl(client), or a test server's ws://127.0.0.1:port/. */
  url: string
  prefixes: readonly string[]
  /** Where each prefix's starting routes come from: a RIB view of the same collectors (RIPEstat). */
  seed: BgpSource
  /** Default: a quarter of silenceMs. */
  pingIntervalMs?: number
  nowMs?: () => number
  random?: () => number
}

export type RisLiveState = 'idle' | 'connecting' | 'open' | 'waiting' | 'closed'

export interface RisLiveHealth {
  state: RisLiveState
  url: string
  /** Connections opened so far; more than one means it reconnected. */
  connects: number
  lastOpenAt: number | null
  lastHeardAt: number | null
  /** Why the feed last went down (closed, silent, handshake error); null while it never did. */
  lastProblem: string | null
  nextAttemptAt: number | null
  framesReceived: number
  malformedFrames: number
  lastMalformed: string | null
  serverErrors: number
  lastServerError: string | null
  /** Changes of prefixes other than the subscribed ones (their more-specifics): counted, not kept. */
  otherPrefixChanges: number
}

export interface RisLiveSource extends BgpSource {
  health(): RisLiveHealth
  /** Every announce/withdraw of a subscribed prefix as it arrives; returns the unsubscribe. */
  onUpdate(listener: (event: BgpUpdateEvent) => void): () => void
  /** Closes the socket and stops reconnecting. */
  close(): Promise<void>
}

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, half of it jittered. */
export function reconnectDelayMs(attempt: number, initialMs: number, maxMs: number, random: () => number): number {
  const capMs = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30))
  return Math.round(capMs / 2 + random() * (capMs / 2))
}

export function createRisLiveSource(options: RisLiveSourceOptions): RisLiveSource {
  const settings = settingsOf(options)
  const nowMs = options.nowMs ?? Date.now
  const random = options.random ?? Math.random
  const prefixes = new Map(options.prefixes.map((prefix): [string, PrefixState] => [prefix.toLowerCase(), newPrefixState(prefix)]))
  const listeners = new Set<(event: BgpUpdateEvent) => void>()
  const waiters = new Set<() => void>()
  const health: RisLiveHealth = {
    state: 'idle',
    url: options.url,
    connects: 0,
    lastOpenAt: null,
    lastHeardAt: null,
    lastProblem: null,
    nextAttemptAt: null,
    framesReceived: 0,
    malformedFrames: 0,
    lastMalformed: null,
    serverErrors: 0,
    lastServerError: null,
    otherPrefixChanges: 0,
  }
  let socket: WebSocket | null = null
  let socketProblem: string | null = null
  let failedAttempts = 0
  let generation = 0
  let firstOpenAt: number | null = null
  /** A frame arrived on the current connection: the handshake alone proves no live feed. */
  let heardSinceOpen = false
  let pingTimer: ReturnType<typeof setInterval> | null = null
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null

  function connect(): void {
    health.state = 'connecting'
    health.nextAttemptAt = null
    socketProblem = null
    const ws = new WebSocket(options.url, { handshakeTimeout: settings.handshakeTimeoutMs, perMessageDeflate: false })
    socket = ws
    ws.on('upgrade', (response) => response.socket.unref())
    ws.on('open', () => onOpen(ws))
    ws.on('message', (data, isBinary) => onFrame(ws, data, isBinary))
    ws.on('error', (error) => {
      if (ws === socket) socketProblem ??= `connection error: ${error.message}`
    })
    ws.on('close', (code, reason) => onClose(ws, code, reason.toString('utf8')))
  }

  function onOpen(ws: WebSocket): void {
    if (ws !== socket) return
    const now = nowMs()
    generation += 1
    health.state = 'open'
    health.connects += 1
    health.lastOpenAt = now
    heardSinceOpen = false
    firstOpenAt ??= now
    for (const state of prefixes.values()) {
      resetForConnection(state)
      ws.send(JSON.stringify(risSubscribeMessage(state.prefix)))
      seedIfDue(state)
    }
    pingTimer = setInterval(() => pingOrDrop(ws), settings.pingIntervalMs)
    pingTimer.unref()
    wakeWaiters()
  }

  function pingOrDrop(ws: WebSocket): void {
    if (ws !== socket) return
    const silentMs = silentForMs()
    if (silentMs <= settings.silenceMs) {
      ws.send(JSON.stringify(RIS_PING_MESSAGE))
      return
    }
    socketProblem = silenceText(silentMs)
    ws.terminate()
  }

  function onFrame(ws: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    if (ws !== socket) return
    health.lastHeardAt = nowMs()
    health.framesReceived += 1
    failedAttempts = 0
    if (!heardSinceOpen) {
      heardSinceOpen = true
      wakeWaiters()
    }
    const frame = isBinary ? ({ kind: 'malformed', reason: 'binary frame' } as const) : parseRisLiveFrame(textOf(data))
    if (frame.kind === 'message') onMessage(frame.message)
    else if (frame.kind === 'malformed') {
      health.malformedFrames += 1
      health.lastMalformed = frame.reason
    } else if (frame.kind === 'error') {
      health.serverErrors += 1
      health.lastServerError = frame.message
    }
  }

  function onMessage(message: RisLiveMessage): void {
    for (const change of routeChangesOfRisMessage(message)) {
      const state = prefixes.get(change.event.prefix.toLowerCase())
      if (state === undefined) {
        health.otherPrefixChanges += 1
        continue
      }
      const own: RisRouteChange = { event: { ...change.event, prefix: state.prefix }, route: change.route }
      recordChange(state, own, nowMs(), settings)
      for (const listener of listeners) notify(listener, own.event)
    }
  }

  function onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== socket) return
    socket = null
    if (pingTimer !== null) clearInterval(pingTimer)
    pingTimer = null
    if (health.state === 'closed') return wakeWaiters()
    const closed = `connection closed (code ${code}${reason === '' ? '' : `: ${reason}`})`
    health.lastProblem = socketProblem ?? closed
    const delayMs = reconnectDelayMs(failedAttempts, settings.reconnectInitialDelayMs, settings.reconnectMaxDelayMs, random)
    failedAttempts += 1
    health.state = 'waiting'
    health.nextAttemptAt = nowMs() + delayMs
    reconnectTimer = setTimeout(connect, delayMs)
    reconnectTimer.unref()
    wakeWaiters()
  }

  function seedIfDue(state: PrefixState): void {
    if (health.state !== 'open' || !seedIsDue(state, nowMs(), settings)) return
    const started = generation
    startSeed(state, { seed: options.seed, settings, nowMs, isCurrent: () => started === generation, onSettled: wakeWaiters })
  }

  /** The socket and timers do not keep the process alive; a caller waiting for an answer does. */
  async function snapshot(prefix: string, signal: AbortSignal): Promise<BgpSourceResult> {
    const keepAlive = setInterval(() => undefined, KEEP_ALIVE_TICK_MS)
    try {
      return await answer(prefix, signal)
    } finally {
      clearInterval(keepAlive)
    }
  }

  async function answer(prefix: string, signal: AbortSignal): Promise<BgpSourceResult> {
    const state = prefixes.get(prefix.toLowerCase())
    if (state === undefined) return { kind: 'unavailable', source: settings.name, prefix, reason: `${settings.name} is not subscribed to ${prefix}` }
    if (health.state === 'idle') connect()
    await until(signal, () => health.state !== 'connecting' && (health.state !== 'open' || heardSinceOpen))
    seedIfDue(state)
    if (state.seed === null && state.seeding !== null) {
      await until(signal, () => state.seed !== null || state.seeding === null || health.state !== 'open')
    }
    const problem = feedProblem() ?? (state.seed === null ? `no starting routes yet: ${state.seedError ?? 'reading them'}` : null)
    if (problem === null) return { kind: 'snapshot', snapshot: snapshotOf(state) }
    if (!state.everSeeded) return { kind: 'unavailable', source: settings.name, prefix: state.prefix, reason: problem }
    return { kind: 'stale', source: settings.name, prefix: state.prefix, reason: problem, snapshot: snapshotOf(state) }
  }

  /** Why the feed cannot be trusted now; null while it is open and heard from. */
  function feedProblem(): string | null {
    const now = nowMs()
    switch (health.state) {
      case 'idle':
      case 'connecting':
        return `connecting to RIS Live${health.lastProblem === null ? '' : ` (last problem: ${health.lastProblem})`}`
      case 'waiting':
        return `${health.lastProblem ?? 'disconnected'}; reconnecting in ${secondsText(Math.max(0, (health.nextAttemptAt ?? now) - now))}`
      case 'closed':
        return 'closed'
      case 'open': {
        const silentMs = silentForMs()
        if (silentMs > settings.silenceMs) return silenceText(silentMs)
        return heardSinceOpen ? null : 'connected, waiting for the first frame'
      }
    }
  }

  /** Since the last frame of this connection, or since it opened when none came yet. */
  function silentForMs(): number {
    const since = heardSinceOpen ? health.lastHeardAt : health.lastOpenAt
    return nowMs() - (since ?? nowMs())
  }

  function silenceText(silentMs: number): string {
    return `silent for ${secondsText(silentMs)} (no frame, not even a pong; limit ${secondsText(settings.silenceMs)})`
  }

  function snapshotOf(state: PrefixState): BgpSnapshot {
    const now = nowMs()
    const windowStart = now - settings.updatesWindowMs
    return risLiveSnapshot({
      source: settings.name,
      prefix: state.prefix,
      fetchedAt: now,
      dataAt: health.lastHeardAt ?? now,
      seedCollectors: state.seed?.collectors ?? [],
      routes: state.routes,
      events: recentEvents(state.events, windowStart, settings.maxEventsPerPrefix),
      eventsFrom: Math.max(windowStart, firstOpenAt ?? now),
    })
  }

  /** Resolves once `done()` holds (checked whenever the feed opens or closes or a seed settles) or the signal aborts. */
  function until(signal: AbortSignal, done: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!done() && !signal.aborted) return
        waiters.delete(check)
        signal.removeEventListener('abort', check)
        resolve()
      }
      waiters.add(check)
      signal.addEventListener('abort', check, { once: true })
      check()
    })
  }

  function wakeWaiters(): void {
    for (const waiter of [...waiters]) waiter()
  }

  function close(): Promise<void> {
    health.state = 'closed'
    if (reconnectTimer !== null) clearTimeout(reconnectTimer)
    const ws = socket
    if (ws === null) return Promise.resolve()
    return new Promise((resolve) => {
      const forced = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS)
      ws.once('close', () => {
        clearTimeout(forced)
        resolve()
      })
      ws.close(NORMAL_CLOSE_CODE, 'client closing')
    })
  }

  function onUpdate(listener: (event: BgpUpdateEvent) => void): () => void {
    listeners.add(listener)
    return () => listeners.delete(listener)
  }

  return { name: settings.name, snapshot, health: () => ({ ...health }), onUpdate, close }
}

function settingsOf(options: RisLiveSourceOptions): Settings {
  const keys = Object.keys(RIS_LIVE_DEFAULTS) as (keyof typeof RIS_LIVE_DEFAULTS)[]
  const given = Object.fromEntries(keys.flatMap((key) => (options[key] === undefined ? [] : [[key, options[key]]])))
  const merged = { ...RIS_LIVE_DEFAULTS, ...given } as typeof RIS_LIVE_DEFAULTS
  return { ...merged, pingIntervalMs: options.pingIntervalMs ?? Math.max(1, Math.floor(merged.silenceMs / PINGS_PER_SILENCE_WINDOW)) }
}

/** '61 s', or '0.4 s' below ten seconds. */
function secondsText(ms: number): string {
  const seconds = ms / SECOND_MS
  return `${seconds < 10 ? Math.round(seconds * 10) / 10 : Math.round(seconds)} s`
}

function textOf(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8')
}

/** A listener's failure must not stop the stream. */
function notify(listener: (event: BgpUpdateEvent) => void, event: BgpUpdateEvent): void {
  try {
    listener(event)
  } catch {
    // the listener's own problem
  }
}
