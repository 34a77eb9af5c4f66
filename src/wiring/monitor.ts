// The wiring the Node CLI and the Cloudflare Worker share: the alert sinks of the resolved routes and
// the cycle's dependencies around a store and the runners. Platform-neutral (fetch and WebCrypto only):
// each entry point brings its own store, runners, clock and BGP sources.
import { createPagerDutySink } from '../adapters/alert/pagerduty.ts'
import { createSlackSink } from '../adapters/alert/slack.ts'
import { createWebhookSink } from '../adapters/alert/webhook.ts'
import type { BgpCheckDeps } from '../app/bgp-check.ts'
import type { CycleDeps } from '../app/run-cycle.ts'
import { routesFor, type ResolvedAlertRoute } from '../core/alerts/routes.ts'
import type { Config } from '../core/config.ts'
import { evaluateCycle, requiredHistoryCycles } from '../core/evaluate.ts'
import type { AlertSink } from '../ports/alert-sink.ts'
import type { Clock } from '../ports/clock.ts'
import type { ObservationArchive } from '../ports/observation-archive.ts'
import type { MonitorStore } from '../ports/store.ts'
import type { VantageRunner } from '../ports/vantage-runner.ts'

export function createSinks(config: Config, routes: readonly ResolvedAlertRoute[]): Map<string, AlertSink> {
  const common = {
    statusPageUrl: config.alerts.statusPageUrl,
    targetLabels: Object.fromEntries(config.targets.map((target) => [target.id, target.label])),
  }
  return new Map(
    routes.map((route): [string, AlertSink] => {
      if (route.kind === 'slack') return [route.route, createSlackSink({ ...common, route: route.route, webhookUrl: route.webhookUrl })]
      if (route.kind === 'pagerduty') {
        return [route.route, createPagerDutySink({ ...common, route: route.route, routingKey: route.routingKey, eventsUrl: route.eventsUrl })]
      }
      return [route.route, createWebhookSink({ ...common, route: route.route, url: route.url, secret: route.secret })]
    }),
  )
}

export interface MonitorParts {
  config: Config
  routes: readonly ResolvedAlertRoute[]
  store: MonitorStore
  runners: VantageRunner[]
  clock: Clock
  bgp?: BgpCheckDeps
  archive?: ObservationArchive
}

export function cycleDepsOf(parts: MonitorParts): CycleDeps {
  const { config, routes } = parts
  const params = { detection: config.detection, incidents: config.incidents }
  return {
    config,
    runners: parts.runners,
    store: parts.store,
    clock: parts.clock,
    evaluate: (input) => evaluateCycle({ ...input, params }),
    routesFor: (notification) => routesFor(notification, routes).map((route) => route.route),
    historyCycles: requiredHistoryCycles(config.detection),
    ...(parts.bgp === undefined ? {} : { bgp: parts.bgp }),
    ...(parts.archive === undefined ? {} : { archive: parts.archive }),
  }
}
