// No response of the web app may carry a secret, whatever route it comes from: the config names env vars
// holding a Slack webhook URL, a PagerDuty routing key and an HMAC key, runner namespaces and a looking
// glass URL with a password (which a stored BGP reason quotes); the env holds the secrets themselves. The test crawls every link from the pages and the feed, adds the API and
// error routes, checks that every GET route of the app was visited, and looks for each secret everywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../src/adapters/store/memory.ts'
import { createWebApp } from '../../src/app/create-web-app.ts'
import { resolveRouteSecrets } from '../../src/core/alerts/routes.ts'
import { NOW_MS, SECRET_ENV, SECRETS, fillStatusHistory, statusConfig } from '../support/status-history.ts'

const STATUS_PAGE_URL = 'https://status.example.net'
const SEEDS = [
  '/', '/feed.atom', '/metrics', '/api/v1/health', '/api/v1/targets', '/api/v1/incidents', '/api/v1/incidents?status=open',
  '/badge/k-root.svg', '/badge/ns-example.svg', '/badge/nope.svg',
  '/api/v1/targets/k-root/catchment', '/api/v1/targets/k-root/catchment/history?since=0', '/api/v1/targets/ns-example/observations?since=0&limit=1000', '/api/v1/targets/nope/catchment',
  '/api/v1/targets/ns-example/bgp', '/api/v1/targets/k-root/bgp', '/api/v1/targets/nope/bgp',
  '/targets/nope', '/incidents/nope', '/nothing-here', '/api/v1/nothing-here',
]
const MAX_PAGES = 200

interface Visited {
  path: string
  status: number
  text: string
}

let app: ReturnType<typeof createWebApp>
let visited: Visited[]
const savedEnv: Record<string, string | undefined> = {}

beforeAll(async () => {
  // The secrets are in this process's environment, as they are when `serve` runs.
  for (const [name, value] of Object.entries(SECRET_ENV)) {
    savedEnv[name] = process.env[name]
    process.env[name] = value
  }
  const config = statusConfig()
  expect(resolveRouteSecrets(config.alerts.routes, process.env).ok).toBe(true)
  const store = createMemoryStore()
  await fillStatusHistory(store, config, { hostile: true })
  app = createWebApp({ config, store, nowMs: () => NOW_MS, landPath: 'M0 0L1 1Z' })
  visited = await crawl(SEEDS)
})

afterAll(() => {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
})

async function crawl(seeds: readonly string[]): Promise<Visited[]> {
  const queue = [...seeds]
  const seen = new Set<string>()
  const results: Visited[] = []
  while (queue.length > 0 && results.length < MAX_PAGES) {
    const path = queue.shift() as string
    if (seen.has(path)) continue
    seen.add(path)
    const response = await app.request(path)
    const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n')
    const text = `${headers}\n\n${await response.text()}`
    results.push({ path, status: response.status, text })
    queue.push(...linksIn(text))
  }
  return results
}

/** Same-site links in HTML and Atom: href and src attributes, absolute ones under the status page URL. */
function linksIn(text: string): string[] {
  return [...text.matchAll(/\s(?:href|src)="([^"#]+)"/g)]
    .map((match) => (match[1] as string).replace(/&amp;/g, '&'))
    .map((link) => (link.startsWith(STATUS_PAGE_URL) ? link.slice(STATUS_PAGE_URL.length) || '/' : link))
    .filter((link) => link.startsWith('/') && !link.startsWith('//'))
}

function patternOf(routePath: string): RegExp {
  return new RegExp(`^${routePath.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z]+/g, '[^/]+')}$`)
}

describe('no response carries a secret', () => {
  it('visits every GET route the app has, through links and the API list', () => {
    const routes = app.routes.filter((route) => route.method === 'GET' && !route.path.includes('*')).map((route) => route.path)
    expect(routes.length).toBeGreaterThan(10)
    const unvisited = routes.filter((route) => !visited.some(({ path }) => patternOf(route).test(path.split('?')[0] as string)))
    expect(unvisited).toEqual([])
    expect(visited.some(({ path }) => path.startsWith('/incidents/k-root%2F'))).toBe(true)
    expect(visited.length).toBeLessThan(MAX_PAGES)
  })

  it.each(Object.entries(SECRETS))('%s appears in no response', (_name, secret) => {
    const leaks = visited.filter(({ text }) => text.includes(secret) || text.includes(encodeURIComponent(secret))).map(({ path }) => path)
    expect(leaks).toEqual([])
  })

  it('shows no alert route, runner or env var name at all', () => {
    for (const { path, text } of visited) {
      expect(text, path).not.toMatch(/webhookUrlEnv|routingKeyEnv|secretEnv|"runner"|netns|STATUS_TEST_/)
    }
  })
})
