// Alert routes: where notifications go. The config names the environment variables that hold the
// secrets (webhook URLs, routing keys, HMAC keys) and never holds a secret itself, so the config can
// be committed, shown and bundled without leaking anything.
import { z } from 'zod'
// Type only: config.ts will import this file for its schema, and a value import back would be a cycle.
import type { ConfigError } from '../config.ts'
import type { FindingKind, Notification, NotificationEvent, Severity } from '../findings.ts'
import { PAGERDUTY_DEFAULT_EVENTS_URL } from './pagerduty-event.ts'

const ROUTE_NAME_REGEX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
const ENV_NAME_REGEX = /^[A-Za-z_][A-Za-z0-9_]*$/
const ENV_NAME_MESSAGE = 'must be the name of an environment variable (letters, digits, "_"), not the secret itself'

export const FINDING_KINDS = [
  'black-hole',
  'site-down',
  'catchment-shift',
  'catchment-flapping',
  'unknown-identity',
  'latency-regression',
  'outage',
  'failover',
  'transport-divergence',
  'vantage-silent',
  'bgp-visibility-loss',
  'bgp-unexpected-origin',
  'bgp-flapping',
  'bgp-rpki-invalid',
] as const satisfies readonly FindingKind[]
// Fails to compile when findings.ts gains a kind that is missing above.
const everyKindListed: [Exclude<FindingKind, (typeof FINDING_KINDS)[number]>] extends [never] ? true : false = true
void everyKindListed

/** Lowest first: minSeverity lets through its own level and everything after it. */
export const SEVERITY_ORDER = ['info', 'warning', 'error', 'critical'] as const satisfies readonly Severity[]
const NOTIFICATION_EVENTS = ['trigger', 'reminder', 'resolve'] as const satisfies readonly NotificationEvent[]

/** The name of an environment variable that holds a secret (never the secret itself). */
export const envName = () => z.string().regex(ENV_NAME_REGEX, ENV_NAME_MESSAGE)

const RouteFilterFields = {
  name: z
    .string()
    .regex(ROUTE_NAME_REGEX, 'must be a slug: lowercase letters, digits and inner hyphens')
    .describe('Route name (a slug), unique among routes; used in the outbox, logs and errors.'),
  targets: z.array(z.string().min(1)).min(1).optional().describe('Only notifications about these target ids (default: all).'),
  kinds: z.array(z.enum(FINDING_KINDS)).min(1).optional().describe('Only these finding kinds (default: all).'),
  minSeverity: z.enum(SEVERITY_ORDER).optional().describe('Only incidents of this severity or higher (default: all).'),
  events: z
    .array(z.enum(NOTIFICATION_EVENTS))
    .min(1)
    .optional()
    .describe('Only these notification events: trigger, reminder, resolve (default: all).'),
}

const SlackRouteSchema = z
  .strictObject({
    ...RouteFilterFields,
    kind: z.literal('slack').describe('Slack incoming webhook (Block Kit message).'),
    webhookUrlEnv: envName().describe('Name of the environment variable holding the Slack incoming-webhook URL.'),
  })
  .describe('Posts to a Slack channel through an incoming webhook.')

const PagerDutyRouteSchema = z
  .strictObject({
    ...RouteFilterFields,
    kind: z.literal('pagerduty').describe('PagerDuty Events API v2.'),
    routingKeyEnv: envName().describe('Name of the environment variable holding the integration (routing) key.'),
    eventsUrl: z
      .url({ protocol: /^https?$/ })
      .default(PAGERDUTY_DEFAULT_EVENTS_URL)
      .describe('Events API v2 endpoint; EU service region accounts use https://events.eu.pagerduty.com/v2/enqueue.'),
  })
  .describe('Triggers and resolves PagerDuty alerts, one per incident (dedup_key = incident key).')

const WebhookRouteSchema = z
  .strictObject({
    ...RouteFilterFields,
    kind: z.literal('webhook').describe('Generic JSON webhook signed with HMAC-SHA256.'),
    url: z.url({ protocol: /^https?$/ }).describe('Receiver URL (not secret: the signature authenticates the sender).'),
    secretEnv: envName().describe('Name of the environment variable holding the HMAC-SHA256 key.'),
  })
  .describe('POSTs a versioned JSON payload, signed over a timestamp and the body.')

export const AlertRouteSchema = z
  .discriminatedUnion('kind', [SlackRouteSchema, PagerDutyRouteSchema, WebhookRouteSchema])
  .describe('One destination for notifications, with optional filters.')

export const AlertRoutesSchema = z
  .array(AlertRouteSchema)
  .default([])
  .superRefine((routes, ctx) => {
    const firstIndexByName = new Map<string, number>()
    routes.forEach((route, index) => {
      const firstIndex = firstIndexByName.get(route.name)
      if (firstIndex === undefined) {
        firstIndexByName.set(route.name, index)
        return
      }
      const message = `duplicate route name "${route.name}" (first at index ${firstIndex})`
      ctx.addIssue({ code: 'custom', path: [index, 'name'], message })
    })
  })
  .describe('Where notifications are delivered. Secrets come from environment variables named here.')

export type AlertRoute = z.output<typeof AlertRouteSchema>
export type AlertRouteInput = z.input<typeof AlertRouteSchema>
export type RouteFilter = Pick<AlertRoute, 'targets' | 'kinds' | 'minSeverity' | 'events'>

/** A route with its secret read from the environment: what a sink is built from. */
export type ResolvedAlertRoute =
  | { kind: 'slack'; route: string; filter: RouteFilter; webhookUrl: string }
  | { kind: 'pagerduty'; route: string; filter: RouteFilter; routingKey: string; eventsUrl: string }
  | { kind: 'webhook'; route: string; filter: RouteFilter; url: string; secret: string }

export type ResolveRouteSecretsResult = { ok: true; sinksConfig: ResolvedAlertRoute[] } | { ok: false; errors: ConfigError[] }

/**
 * Reads every route's secret from `env`. A missing or unusable variable is an error at the path of the
 * field that names it; messages name the variable and never repeat its value.
 * `at` is where the routes sit in the whole config, e.g. ['alerts', 'routes'].
 */
export function resolveRouteSecrets(
  routes: readonly AlertRoute[],
  env: Readonly<Record<string, string | undefined>>,
  at: readonly PropertyKey[] = [],
): ResolveRouteSecretsResult {
  const errors: ConfigError[] = []
  const sinksConfig: ResolvedAlertRoute[] = []
  routes.forEach((route, index) => {
    const read = (field: string, variable: string, check?: (value: string) => string | null): string | null => {
      const problem = secretProblem(variable, env[variable], check)
      if (problem === null) return env[variable] as string
      errors.push({ path: routePath([...at, index, field]), message: problem })
      return null
    }
    const resolved = resolveRoute(route, read)
    if (resolved !== null) sinksConfig.push(resolved)
  })
  return errors.length === 0 ? { ok: true, sinksConfig } : { ok: false, errors }
}

type SecretReader = (field: string, variable: string, check?: (value: string) => string | null) => string | null

// URLs and routing keys are trimmed (a secret store often keeps the newline `echo` added); an HMAC key
// is used byte for byte, as the receiver has it.

function resolveRoute(route: AlertRoute, read: SecretReader): ResolvedAlertRoute | null {
  const filter = filterOf(route)
  switch (route.kind) {
    case 'slack': {
      const webhookUrl = read('webhookUrlEnv', route.webhookUrlEnv, httpUrlProblem)
      return webhookUrl === null ? null : { kind: 'slack', route: route.name, filter, webhookUrl: webhookUrl.trim() }
    }
    case 'pagerduty': {
      const routingKey = read('routingKeyEnv', route.routingKeyEnv)
      if (routingKey === null) return null
      return { kind: 'pagerduty', route: route.name, filter, routingKey: routingKey.trim(), eventsUrl: route.eventsUrl }
    }
    case 'webhook': {
      const secret = read('secretEnv', route.secretEnv)
      return secret === null ? null : { kind: 'webhook', route: route.name, filter, url: route.url, secret }
    }
  }
}

/** 'alerts.routes[0].secretEnv', as config.ts's formatConfigPath writes paths. */
function routePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`
    return text === '' ? String(segment) : `${text}.${String(segment)}`
  }, '')
}

function filterOf(route: AlertRoute): RouteFilter {
  return { targets: route.targets, kinds: route.kinds, minSeverity: route.minSeverity, events: route.events }
}

function secretProblem(variable: string, value: string | undefined, check?: (value: string) => string | null): string | null {
  if (value === undefined) return `environment variable ${variable} is not set`
  if (value.trim() === '') return `environment variable ${variable} is empty`
  const problem = check?.(value) ?? null
  return problem === null ? null : `environment variable ${variable} ${problem}`
}

function httpUrlProblem(value: string): string | null {
  const parsed = z.url({ protocol: /^https?$/ }).safeParse(value.trim())
  return parsed.success ? null : 'does not hold an http(s) URL'
}

/** The routes whose filters let the notification through, in config order. */
export function routesFor<R extends { filter: RouteFilter } | RouteFilter>(notification: Notification, routes: readonly R[]): R[] {
  return routes.filter((route) => passes(notification, 'filter' in route ? route.filter : route))
}

function passes(notification: Notification, filter: RouteFilter): boolean {
  const { incident } = notification
  if (filter.targets !== undefined && !filter.targets.includes(incident.target)) return false
  if (filter.kinds !== undefined && !filter.kinds.includes(incident.kind)) return false
  if (filter.events !== undefined && !filter.events.includes(notification.event)) return false
  if (filter.minSeverity === undefined) return true
  return SEVERITY_ORDER.indexOf(incident.severity) >= SEVERITY_ORDER.indexOf(filter.minSeverity)
}
