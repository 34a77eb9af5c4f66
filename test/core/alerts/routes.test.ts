import { describe, expect, it } from 'vitest'
import {
  AlertRoutesSchema,
  resolveRouteSecrets,
  routesFor,
  type AlertRoute,
  type AlertRouteInput,
} from '../../../src/core/alerts/routes.ts'
import { finding, incident, notification } from '../../support/notifications.ts'

const SLACK_URL = 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX'
const inputs: AlertRouteInput[] = [
  { name: 'ops-slack', kind: 'slack', webhookUrlEnv: 'SLACK_OPS_WEBHOOK_URL' },
  { name: 'oncall', kind: 'pagerduty', routingKeyEnv: 'PD_ROUTING_KEY', minSeverity: 'error' },
  { name: 'noc', kind: 'webhook', url: 'https://noc.example.net/hooks/anycast', secretEnv: 'NOC_HMAC_SECRET', targets: ['k-root'] },
]

function parse(input: unknown): AlertRoute[] {
  return AlertRoutesSchema.parse(input)
}

describe('alert routes in the config', () => {
  it('default to none, and PagerDuty to the public events URL', () => {
    expect(parse(undefined)).toEqual([])
    expect(parse(inputs)[1]).toMatchObject({ kind: 'pagerduty', eventsUrl: 'https://events.pagerduty.com/v2/enqueue' })
  })

  it('accept an EU events URL', () => {
    const eu = { ...inputs[1], eventsUrl: 'https://events.eu.pagerduty.com/v2/enqueue' }
    expect(parse([eu])[0]).toMatchObject({ eventsUrl: 'https://events.eu.pagerduty.com/v2/enqueue' })
  })

  it('refuse a secret written where the name of its variable belongs, without repeating it', () => {
    const result = AlertRoutesSchema.safeParse([{ name: 'ops-slack', kind: 'slack', webhookUrlEnv: SLACK_URL }])
    expect(result.success).toBe(false)
    const issues = result.error?.issues ?? []
    expect(issues.map((issue) => issue.path)).toEqual([[0, 'webhookUrlEnv']])
    expect(JSON.stringify(issues)).not.toContain('hooks.slack.com')
  })

  it('refuse two routes with the same name and unknown fields', () => {
    const result = AlertRoutesSchema.safeParse([inputs[0], { ...inputs[0], secret: 'x' }])
    expect(result.error?.issues.map((issue) => [issue.code, issue.path])).toContainEqual(['unrecognized_keys', [1]])
    const duplicate = AlertRoutesSchema.safeParse([inputs[0], inputs[0]])
    expect(duplicate.error?.issues.map((issue) => [issue.path, issue.message])).toEqual([
      [[1, 'name'], 'duplicate route name "ops-slack" (first at index 0)'],
    ])
  })
})

describe('route secrets', () => {
  const env = { SLACK_OPS_WEBHOOK_URL: `${SLACK_URL}\n`, PD_ROUTING_KEY: ' R0UT1NGKEY ', NOC_HMAC_SECRET: 's3cret ' }

  it('come from the environment variables the routes name', () => {
    const result = resolveRouteSecrets(parse(inputs), env)
    expect(result).toEqual({
      ok: true,
      sinksConfig: [
        { kind: 'slack', route: 'ops-slack', filter: {}, webhookUrl: SLACK_URL },
        {
          kind: 'pagerduty',
          route: 'oncall',
          filter: { minSeverity: 'error' },
          routingKey: 'R0UT1NGKEY',
          eventsUrl: 'https://events.pagerduty.com/v2/enqueue',
        },
        { kind: 'webhook', route: 'noc', filter: { targets: ['k-root'] }, url: 'https://noc.example.net/hooks/anycast', secret: 's3cret ' },
      ],
    })
  })

  it('name a missing, empty or unusable variable at its path, never its value', () => {
    const result = resolveRouteSecrets(parse(inputs), { SLACK_OPS_WEBHOOK_URL: 'hooks.slack.com/no-scheme', PD_ROUTING_KEY: '  ' }, [
      'alerts',
      'routes',
    ])
    expect(result).toEqual({
      ok: false,
      errors: [
        { path: 'alerts.routes[0].webhookUrlEnv', message: 'environment variable SLACK_OPS_WEBHOOK_URL does not hold an http(s) URL' },
        { path: 'alerts.routes[1].routingKeyEnv', message: 'environment variable PD_ROUTING_KEY is empty' },
        { path: 'alerts.routes[2].secretEnv', message: 'environment variable NOC_HMAC_SECRET is not set' },
      ],
    })
    expect(JSON.stringify(result)).not.toContain('no-scheme')
  })
})

describe('routesFor', () => {
  const routes = parse([
    ...inputs,
    { name: 'shifts', kind: 'slack', webhookUrlEnv: 'X', kinds: ['catchment-shift'], events: ['trigger'] },
  ])
  const names = (found: AlertRoute[]) => found.map((route) => route.name)

  it('sends a critical site-down on k-root everywhere but the catchment-shift channel', () => {
    expect(names(routesFor(notification(), routes))).toEqual(['ops-slack', 'oncall', 'noc'])
  })

  it('keeps a warning from the route with minSeverity error', () => {
    const warning = incident({ lastFinding: finding({ severity: 'warning' }), severity: 'warning' })
    expect(names(routesFor(notification({ incident: warning }), routes))).toEqual(['ops-slack', 'noc'])
  })

  it('filters on target, kind and event', () => {
    const shift = finding({ kind: 'catchment-shift', target: 'example-ns', severity: 'info' })
    expect(names(routesFor(notification({ incident: incident({ lastFinding: shift }) }), routes))).toEqual(['ops-slack', 'shifts'])
    const resolved = notification({ event: 'resolve', incident: incident({ lastFinding: shift }) })
    expect(names(routesFor(resolved, routes))).toEqual(['ops-slack'])
  })

  it('works on resolved routes through their filter', () => {
    const result = resolveRouteSecrets(parse(inputs), { SLACK_OPS_WEBHOOK_URL: SLACK_URL, PD_ROUTING_KEY: 'k', NOC_HMAC_SECRET: 's' })
    if (!result.ok) throw new Error('unexpected')
    const warning = incident({ lastFinding: finding({ severity: 'warning' }), severity: 'warning' })
    expect(routesFor(notification({ incident: warning }), result.sinksConfig).map((route) => route.route)).toEqual(['ops-slack', 'noc'])
  })
})
