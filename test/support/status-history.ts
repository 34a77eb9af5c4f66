// A monitor with a believable history, for the status page's tests and screenshots: two targets with
// sites around the world (k-root over IPv4 and IPv6, where par and hkg land on their second-nearest site
// over IPv6; ns-example over IPv4 only), nine vantages (one without coordinates), RTTs from great-circle distance,
// catchment shifts, a site that stopped answering, incidents, and for ns-example a stored BGP view (a
// fresh, a stale and an unavailable source; k-root has no BGP). Alert routes and the looking glass's URL
// name secrets that must never show up on the page; `hostile` puts script and control bytes in what the
// network says.
import { attributionRulesFor } from '../../src/core/bgp/settings.ts'
import { totalsOf, type BgpPeerRoute, type BgpSnapshot } from '../../src/core/bgp/model.ts'
import { storedBgpView, type StoredBgpView } from '../../src/core/bgp/source-view.ts'
import { parseConfig, type Config } from '../../src/core/config.ts'
import type { CycleRecord, Finding, Incident } from '../../src/core/findings.ts'
import type { Observation } from '../../src/core/model.ts'
import type { MonitorStore } from '../../src/ports/store.ts'
import { fresh, route, snapshot, stale } from './bgp.ts'
import { mulberry32 } from './seeded-random.ts'

export const NOW_MS = Date.UTC(2026, 10, 22, 12, 0, 0)
const MINUTE_MS = 60_000
const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000

/** What the config and env hold that no public response may contain. */
export const SECRETS = {
  slackWebhookUrl: 'https://hooks.slack.example/services/T0SECRET/B0SECRET/xoxsecretwebhookvalue',
  pagerDutyRoutingKey: 'R0UTINGKEY0SECRET0VALUE0123456789',
  hmacSecret: 'hmac-shared-secret-value-7f3a9c',
  slackEnv: 'STATUS_TEST_SLACK_WEBHOOK_URL',
  pagerDutyEnv: 'STATUS_TEST_PAGERDUTY_ROUTING_KEY',
  hmacEnv: 'STATUS_TEST_WEBHOOK_HMAC_SECRET',
  webhookReceiverUrl: 'https://receiver.internal.example/anycast-hook',
  namespace: 'amsecret-ns-v1',
  lookingGlassPassword: 'lg-basic-auth-secret-91c4',
} as const

export const SECRET_ENV: Record<string, string> = {
  [SECRETS.slackEnv]: SECRETS.slackWebhookUrl,
  [SECRETS.pagerDutyEnv]: SECRETS.pagerDutyRoutingKey,
  [SECRETS.hmacEnv]: SECRETS.hmacSecret,
}

/** An NSID no one should ever render as markup: a script, a NUL and an ESC. */
export const HOSTILE_TEXT = '<script>alert(1)</script>\x00\x1b'

const SITES = {
  'k-root': [
    ['fra', 'Frankfurt', 50.11, 8.68],
    ['ams', 'Amsterdam', 52.37, 4.9],
    ['lhr', 'London', 51.51, -0.13],
    ['iad', 'Ashburn', 39.04, -77.49],
    ['sjc', 'San Jose', 37.34, -121.89],
    ['gru', 'São Paulo', -23.55, -46.63],
    ['sin', 'Singapore', 1.35, 103.82],
    ['syd', 'Sydney', -33.87, 151.21],
  ],
  'ns-example': [
    ['fra', 'Frankfurt', 50.11, 8.68],
    ['ams', 'Amsterdam', 52.37, 4.9],
    ['iad', 'Ashburn', 39.04, -77.49],
    ['nrt', 'Tokyo', 35.68, 139.69],
  ],
} as const

const VANTAGES = [
  ['par', 'Paris', 'eu-west', 48.86, 2.35],
  ['ber', 'Berlin', 'eu-central', 52.52, 13.4],
  ['dub', 'Dublin', 'eu-west', 53.35, -6.26],
  ['nyc', 'New York', 'us-east', 40.71, -74.01],
  ['sfo', 'San Francisco', 'us-west', 37.77, -122.42],
  ['gig', 'Rio de Janeiro', 'sa-east', -22.91, -43.17],
  ['hkg', 'Hong Kong', 'ap-east', 22.32, 114.17],
  ['mel', 'Melbourne', 'ap-southeast', -37.81, 144.96],
  ['lab', 'Lab runner', 'lab', null, null],
] as const

export function statusConfig(): Config {
  const parsed = parseConfig({
    targets: [
      { id: 'k-root', label: 'K-root', addresses: ['193.0.14.129', '2001:7fd::1'], qname: '.', sites: sitesOf('k-root') },
      { id: 'ns-example', label: 'ns.example.net', addresses: ['198.51.100.53'], qname: 'example.net', sites: sitesOf('ns-example') },
    ],
    vantages: VANTAGES.map(([id, label, region, latitude, longitude]) => ({
      id, label, region, ...(latitude === null ? {} : { latitude, longitude }),
      runner: id === 'lab' ? { kind: 'local' } : { kind: 'netns', namespace: `${SECRETS.namespace}-${id}` },
    })),
    bgp: {
      sources: {
        ripestat: { sourceapp: 'anycast-monitor-test' },
        birdwatcher: { name: 'lg', baseUrl: LOOKING_GLASS_URL },
        risLive: {},
      },
      targets: [{ target: 'ns-example', prefixes: [{ prefix: BGP_PREFIX, originAsns: [BGP_ORIGIN] }] }],
    },
    alerts: {
      statusPageUrl: 'https://status.example.net',
      routes: [
        { name: 'chat', kind: 'slack', webhookUrlEnv: SECRETS.slackEnv },
        { name: 'pager', kind: 'pagerduty', routingKeyEnv: SECRETS.pagerDutyEnv },
        { name: 'hook', kind: 'webhook', url: SECRETS.webhookReceiverUrl, secretEnv: SECRETS.hmacEnv },
      ],
    },
  })
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors))
  return parsed.config
}

function sitesOf(target: keyof typeof SITES) {
  return SITES[target].map(([id, label, latitude, longitude], index) => ({
    id, label, latitude, longitude, match: { exact: [`${id}1.${target}`] },
    ...(target === 'ns-example' ? { community: `${BGP_ORIGIN}:${index + 1}` } : {}),
  }))
}

export interface HistoryOptions {
  nowMs?: number
  /** Recent days at `denseIntervalMs`, then older days at `sparseIntervalMs`, up to `totalDays`. */
  denseDays?: number
  denseIntervalMs?: number
  sparseIntervalMs?: number
  totalDays?: number
  hostile?: boolean
  seed?: number
}

/** Vantages whose IPv6 route to k-root lands on their second-nearest site (IPv4 and IPv6 are routed apart). */
export const SPLIT_BY_FAMILY = ['par', 'hkg'] as const

interface Path {
  target: string
  vantage: string
  address: string
  home: string
  away: string
  homeRttMs: number
  awayRttMs: number
  awayUntil: number
}

/** Writes the history into `store` (cycle by cycle) and saves the incidents. */
export async function fillStatusHistory(store: MonitorStore, config: Config, options: HistoryOptions = {}): Promise<void> {
  const nowMs = options.nowMs ?? NOW_MS
  const random = mulberry32(options.seed ?? 6)
  const paths = pathsOf(config)
  const denseStart = nowMs - (options.denseDays ?? 8) * DAY_MS
  const start = nowMs - (options.totalDays ?? 90) * DAY_MS
  const times: number[] = []
  for (let at = start; at < denseStart; at += options.sparseIntervalMs ?? 6 * HOUR_MS) times.push(at)
  for (let at = denseStart; at < nowMs; at += options.denseIntervalMs ?? 15 * MINUTE_MS) times.push(at)
  for (const [index, at] of times.entries()) {
    if (random() < 0.02) shiftOne(paths, random, at)
    const latest = index === times.length - 1
    // A lost probe in a sparse 6-hour step would stand for a quarter of its day: only the dense days lose some.
    const lossChance = at >= denseStart ? DENSE_LOSS_CHANCE : 0
    for (const target of config.targets) await store.writeCycle(cycleOf(target.id, paths, at, nowMs, random, latest, options.hostile ?? false, lossChance))
  }
  for (const target of config.targets) {
    const incidents = incidentsOf(target.id, nowMs, options.hostile ?? false)
    await store.savePolicyState(target.id, (await store.loadPolicyState(target.id)).version, { seeded: true }, incidents, [])
    const view = bgpViewOf(config, target.id, nowMs, options.hostile ?? false)
    if (view) await store.saveBgpView(target.id, view)
  }
}

const BGP_PREFIX = '198.51.100.0/24'
const BGP_ORIGIN = 64500
const BGP_ROGUE_ORIGIN = 64666
/** The looking glass sits behind an HTTPS shim with basic auth; the URL fails in fetch, quoted in the reason. */
const LOOKING_GLASS_URL = `https://monitor:${SECRETS.lookingGlassPassword}@lg.internal.example`
/** The fixture lists this many peers per source: ripestat's 14 show "and 2 more". */
const BGP_PEERS_LISTED = 12

/** ns-example's last BGP check, 2 minutes before now: ripestat fresh, RIS Live stale, the looking glass unavailable. */
export function bgpViewOf(config: Config, targetId: string, nowMs: number, hostile: boolean): StoredBgpView | null {
  const entry = config.bgp?.targets.find((candidate) => candidate.target === targetId)
  const target = config.targets.find((candidate) => candidate.id === targetId)
  if (entry === undefined || target === undefined) return null
  const checkedAt = nowMs - 2 * MINUTE_MS
  const routes = bgpRoutes()
  const ripestat: BgpSnapshot = {
    ...snapshot(routes, { prefix: BGP_PREFIX, fetchedAt: checkedAt + 1_000, dataAt: checkedAt - MINUTE_MS }),
    totals: totalsOf(routes, 20, new Map([['rrc00', 8], ['rrc01', 7], ['rrc03', 5]])),
    rpki: [
      { originAsn: BGP_ORIGIN, status: 'valid', detail: 'valid', validator: 'routinator' },
      { originAsn: BGP_ROGUE_ORIGIN, status: 'invalid', detail: 'invalid_asn', validator: 'routinator' },
    ],
    updates: {
      from: checkedAt - 2 * HOUR_MS,
      until: checkedAt,
      events: [3, 40, 41].map((minutesAgo, index) => ({
        at: checkedAt - minutesAgo * MINUTE_MS, type: index === 1 ? 'withdraw' as const : 'announce' as const, prefix: BGP_PREFIX,
        collector: 'rrc01', peerIp: '10.1.0.2', asPath: index === 1 ? [] : [65002, 3356, BGP_ORIGIN], communities: [],
      })),
    },
  }
  const risLive = { ...snapshot(routes.slice(0, 9), { source: 'ris-live', prefix: BGP_PREFIX, fetchedAt: checkedAt, dataAt: checkedAt - 4 * MINUTE_MS }) }
  const silent = `no frame from RIS Live for 240 s${hostile ? ` ${HOSTILE_TEXT}` : ''}`
  const credentials = `network error: Request cannot be constructed from a URL that includes credentials: ${LOOKING_GLASS_URL}/routes/prefix?prefix=198.51.100.0%2F24`
  const results = [
    fresh(ripestat),
    stale(risLive, silent),
    { kind: 'unavailable' as const, source: 'lg', prefix: BGP_PREFIX, reason: credentials },
  ]
  const prefixes = entry.prefixes.map((prefix) => ({ prefix: prefix.prefix, expectedOriginAsns: prefix.originAsns, results }))
  return storedBgpView(checkedAt, attributionRulesFor(target, entry), prefixes, BGP_PEERS_LISTED)
}

/** 14 peers at three RIS collectors: fra 5, ams 4, iad 3, nrt 1 (by community), and one from a rogue origin. */
function bgpRoutes(): BgpPeerRoute[] {
  const bySite: [number, number][] = [[1, 5], [2, 4], [3, 3], [4, 1]]
  let peer = 0
  const collectors = ['rrc00', 'rrc01', 'rrc03']
  const attributed = bySite.flatMap(([community, count]) => Array.from({ length: count }, () => {
    peer += 1
    return route(`${65000 + peer} 3356 ${BGP_ORIGIN}`, {
      collector: collectors[peer % 3]!, peer: peer === 1 ? '2001:db8::1' : `10.1.0.${peer}`, communities: [`${BGP_ORIGIN}:${community}`, '3356:100'],
    })
  }))
  return [...attributed, route(`65100 174 ${BGP_ROGUE_ORIGIN}`, { collector: 'rrc03', peer: '10.1.0.99' })]
}

function pathsOf(config: Config): Path[] {
  return config.targets.flatMap((target) =>
    config.vantages.flatMap((vantage) => target.addresses.map((address) => {
      const latitude = vantage.latitude ?? 50.1
      const longitude = vantage.longitude ?? 8.7
      const byDistance = [...target.sites].sort((a, b) => km(latitude, longitude, a.latitude, a.longitude) - km(latitude, longitude, b.latitude, b.longitude))
      const split = address.includes(':') && (SPLIT_BY_FAMILY as readonly string[]).includes(vantage.id)
      const [home, away] = split ? [byDistance[1] ?? byDistance[0]!, byDistance[0]!] : [byDistance[0]!, byDistance[1] ?? byDistance[0]!]
      return {
        target: target.id, vantage: vantage.id, address, home: home.id, away: away.id, awayUntil: 0,
        homeRttMs: rttOf(km(latitude, longitude, home.latitude, home.longitude)),
        awayRttMs: rttOf(km(latitude, longitude, away.latitude, away.longitude)) + 4,
      }
    })),
  )
}

function shiftOne(paths: Path[], random: () => number, at: number): void {
  const path = paths[Math.floor(random() * paths.length)]!
  path.awayUntil = at + (1 + Math.floor(random() * 5)) * HOUR_MS
}

/** Fibre round trip: about 1 ms per 100 km of great circle, with a detour factor and a floor. */
function rttOf(distanceKm: number): number {
  return 1.5 + (distanceKm * 1.3) / 100
}

function km(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180
  const a = Math.sin(((lat2 - lat1) * rad) / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2
  return 2 * 6371 * Math.asin(Math.sqrt(a))
}

/** k-root's fra site stops answering 40 minutes before now: its vantages time out (the open incident). */
const FRA_DOWN_FOR_MS = 40 * MINUTE_MS

const DENSE_LOSS_CHANCE = 0.001

function cycleOf(target: string, paths: Path[], at: number, nowMs: number, random: () => number, latest: boolean, hostile: boolean, lossChance: number): CycleRecord {
  const observations = paths
    .filter((path) => path.target === target)
    .flatMap((path) => (latest ? (['udp', 'tcp'] as const) : (['udp'] as const)).map((transport) => {
      const away = at < path.awayUntil
      const site = away ? path.away : path.home
      const down = target === 'k-root' && site === 'fra' && at >= nowMs - FRA_DOWN_FOR_MS
      const lost = down || random() < lossChance
      return observationOf({ target, vantage: path.vantage, address: path.address, at, transport, site, lost, hostile, rttMs: (away ? path.awayRttMs : path.homeRttMs) * (1 + random() * 0.15) })
    }))
  return { cycleId: `${target}@${at}`, target, startedAt: at, observations, missingVantages: [] }
}

function observationOf(p: { target: string; vantage: string; address: string; at: number; transport: 'udp' | 'tcp'; site: string; lost: boolean; hostile: boolean; rttMs: number }): Observation {
  const base: Observation = {
    observedAt: p.at + 200, vantage: p.vantage, target: p.target, address: p.address, port: 53,
    qname: '.', transport: p.transport, outcome: 'ok', rcode: 0, rttMs: Math.round(p.rttMs * 1000) / 1000, connectMs: null,
    identity: null, retriedOverTcp: false, ignoredReplies: 0, error: null,
  }
  if (p.lost) return { ...base, outcome: 'timeout', rcode: null, rttMs: null, error: p.hostile ? `timeout after 2000 ms ${HOSTILE_TEXT}` : 'timeout after 2000 ms' }
  // The hostile NSID is ns-example's ams site: it still resolves (the site table says so), and shows as text.
  const text = p.hostile && p.site === 'ams' && p.target === 'ns-example' ? HOSTILE_TEXT : `${p.site}1.${p.target}`
  return { ...base, identity: { source: 'nsid', hex: Buffer.from(text, 'latin1').toString('hex'), text }, site: p.site }
}

function incidentsOf(target: string, nowMs: number, hostile: boolean): Incident[] {
  if (target === 'k-root') {
    const openedAt = nowMs - FRA_DOWN_FOR_MS + 3 * MINUTE_MS
    return [
      incidentOf({ target, kind: 'site-down', scope: 'site:fra', severity: 'error', openedAt, resolvedAt: null,
        summary: 'site fra stopped answering: ber and lab time out (last answer 40 min ago)',
        updates: [[openedAt, 'opened: site fra stopped answering'], [openedAt + 15 * MINUTE_MS, 'still failing: ber and lab time out']] }),
      incidentOf({ target, kind: 'latency-regression', scope: 'vantage:hkg', severity: 'warning', openedAt: nowMs - 3 * DAY_MS, resolvedAt: nowMs - 3 * DAY_MS + 95 * MINUTE_MS,
        summary: 'hkg: median RTT rose from 38 ms to 92 ms', updates: [[nowMs - 3 * DAY_MS, 'opened'], [nowMs - 3 * DAY_MS + 95 * MINUTE_MS, 'resolved']] }),
    ]
  }
  const openedAt = nowMs - 2 * DAY_MS
  const text = hostile ? HOSTILE_TEXT : 'zz9.unknown.example'
  return [
    incidentOf({ target, kind: 'unknown-identity', scope: 'vantage:dub', severity: 'warning', openedAt, resolvedAt: openedAt + 30 * MINUTE_MS,
      summary: `dub got answers from an identity no site claims: "${text}"`, updates: [[openedAt, `opened: identity "${text}"`], [openedAt + 30 * MINUTE_MS, 'resolved']] }),
  ]
}

function incidentOf(p: Pick<Incident, 'target' | 'kind' | 'scope' | 'severity' | 'openedAt' | 'resolvedAt'> & { summary: string; updates: [number, string][] }): Incident {
  const finding: Finding = {
    kind: p.kind, target: p.target, scope: p.scope, severity: p.severity, summary: p.summary, at: p.updates.at(-1)![0],
    evidence: { sites: p.scope.startsWith('site:') ? [p.scope.slice(5)] : [], vantages: p.scope.startsWith('vantage:') ? [p.scope.slice(8)] : ['par', 'ber'],
      latest: [{ vantage: 'par', outcome: 'timeout', site: null, rttMs: null, transport: 'udp', address: '193.0.14.129' }], details: { cyclesWithoutAnswer: 3 } },
  }
  return {
    key: `${p.target}/${p.kind}/${p.scope}`, kind: p.kind, target: p.target, scope: p.scope, severity: p.severity,
    status: p.resolvedAt === null ? 'open' : 'resolved', openedAt: p.openedAt, resolvedAt: p.resolvedAt,
    lastSeenAt: p.updates.at(-1)![0], flapping: false, lastFinding: finding, updates: p.updates.map(([at, text]) => ({ at, text })),
  }
}
