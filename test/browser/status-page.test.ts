// The status page in a real browser: headless Chromium (Debian's `chromium`, driven by playwright-core)
// loads the overview, a target page and an incident page from the web app on 127.0.0.1. No console
// error, no failed request, no Content-Security-Policy violation (a canary page proves the listeners
// catch one), no script; the map, matrix and charts are there with text alternatives; the hostile NSID
// and BGP reason show as text; the BGP panel's peer tables have captions. Screenshots go to test-artifacts/screenshots/ for people to look at.
import { serve, type ServerType } from '@hono/node-server'
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Hono } from 'hono'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../src/adapters/store/memory.ts'
import { securityHeaders } from '../../src/app/create-status-page.ts'
import { createWebApp } from '../../src/app/create-web-app.ts'
import { HOSTILE_TEXT, NOW_MS, fillStatusHistory, statusConfig } from '../support/status-history.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const SCREENSHOTS = join(ROOT, 'test-artifacts/screenshots')
const VIEWPORT = { width: 1366, height: 900 }
/** Headless and quiet: no sandbox (containers), no GPU, no QUIC, nothing fetched from the network. */
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const CHROMIUM = findExecutable(process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : ['chromium', 'chromium-browser'])
const SKIP_REASON = 'chromium is not installed (Debian: `sudo bash scripts/deps.sh --browser`); set CHROMIUM_PATH to use another binary'
const MUST_RUN = process.env.CI === 'true'
const TARGETS = 2
const VANTAGES = 9

function findExecutable(candidates: readonly string[]): string | null {
  for (const candidate of candidates) {
    const paths = candidate.includes('/') ? [candidate] : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, candidate))
    for (const path of paths) {
      try {
        accessSync(path, constants.X_OK)
        return path
      } catch {
        // not here
      }
    }
  }
  return null
}

interface Problems {
  console: string[]
  pageErrors: string[]
  failedRequests: string[]
  dialogs: string[]
}

let server: ServerType | null = null
let context: BrowserContext | null = null
let userDataDir: string | null = null
let base = ''

/** Records every CSP violation the page reports, from before any of its content runs. */
const CSP_LISTENER = `
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__cspViolations.push(event.violatedDirective + ' ' + (event.blockedURI || 'inline'));
  });
`

beforeAll(async () => {
  if (!CHROMIUM) return
  const store = createMemoryStore()
  await fillStatusHistory(store, statusConfig(), { hostile: true })
  const app = new Hono()
  // A page that breaks the CSP on purpose, under the same headers: the listeners must catch it.
  app.use('/__csp-canary', securityHeaders())
  app.get('/__csp-canary', (c) => c.html('<!doctype html><title>canary</title><p style="color: red">x</p><script>console.log("ran")</script>'))
  app.route('/', createWebApp({ config: statusConfig(), store, nowMs: () => NOW_MS }))
  const started = await new Promise<{ server: ServerType; port: number }>((resolveStart) => {
    const listening = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => resolveStart({ server: listening, port: info.port }))
  })
  server = started.server
  base = `http://127.0.0.1:${started.port}`
  userDataDir = mkdtempSync(join(tmpdir(), 'status-page-chromium-'))
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: VIEWPORT })
  await context.addInitScript({ content: CSP_LISTENER })
  mkdirSync(SCREENSHOTS, { recursive: true })
})

afterAll(async () => {
  await context?.close()
  await new Promise<void>((resolveClose) => (server ? server.close(() => resolveClose()) : resolveClose()))
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true })
})

async function open(path: string): Promise<{ page: Page; problems: Problems; csp: () => Promise<string[]> }> {
  const page = await (context as BrowserContext).newPage()
  const problems: Problems = { console: [], pageErrors: [], failedRequests: [], dialogs: [] }
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.console.push(`${message.type()}: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.pageErrors.push(error.message))
  page.on('requestfailed', (request) => problems.failedRequests.push(`${request.url()}: ${request.failure()?.errorText ?? ''}`))
  page.on('response', (response) => {
    if (response.status() >= 400) problems.failedRequests.push(`${response.url()}: HTTP ${response.status()}`)
  })
  page.on('dialog', (dialog) => {
    problems.dialogs.push(dialog.message())
    void dialog.dismiss()
  })
  const response = await page.goto(`${base}${path}`, { waitUntil: 'load' })
  expect(response?.status()).toBe(200)
  const csp = async (): Promise<string[]> => (await page.evaluate('window.__cspViolations')) as string[]
  return { page, problems, csp }
}

async function expectClean(problems: Problems, csp: () => Promise<string[]>): Promise<void> {
  expect(await csp()).toEqual([])
  expect(problems).toEqual({ console: [], pageErrors: [], failedRequests: [], dialogs: [] })
}

/** The text of the elements an aria-labelledby names. */
async function labelledByText(page: Page, selector: string, index: number): Promise<string> {
  const ids = (await page.locator(selector).nth(index).getAttribute('aria-labelledby')) ?? ''
  const texts = await Promise.all(ids.split(' ').filter(Boolean).map((id) => page.locator(`[id="${id}"]`).textContent()))
  return texts.join(' ').trim()
}

describe('the status page in Chromium', () => {
  it.runIf(MUST_RUN)('has chromium in CI', () => {
    expect(CHROMIUM, SKIP_REASON).not.toBeNull()
  })

  it('catches a CSP violation when there is one (canary)', async ({ skip }) => {
    skip(!CHROMIUM, SKIP_REASON)
    const { page, problems, csp } = await open('/__csp-canary')
    expect((await csp()).length).toBeGreaterThanOrEqual(2)
    expect(problems.console.some((line) => line.includes('Content Security Policy'))).toBe(true)
    await page.close()
  })

  it('loads the overview cleanly, with a map and a matrix per target that say what they show', async ({ skip }) => {
    skip(!CHROMIUM, SKIP_REASON)
    const { page, problems, csp } = await open('/')
    await page.screenshot({ path: join(SCREENSHOTS, 'overview.png'), fullPage: true })
    await expectClean(problems, csp)
    expect(await page.locator('script').count()).toBe(0)
    expect(await page.locator('svg.map[role="img"]').count()).toBe(TARGETS)
    for (let index = 0; index < TARGETS; index += 1) expect(await labelledByText(page, 'svg.map', index)).toMatch(/^Catchment map of .+ \d+ vantages, \d+ sites\./)
    const mapBox = await page.locator('svg.map').first().boundingBox()
    expect(mapBox?.width).toBeGreaterThan(400)
    // The land is drawn: the shared path has an extent where a map uses it.
    const landWidth = await page.evaluate('document.querySelector("svg.map use").getBBox().width')
    expect(landWidth).toBeGreaterThan(100)
    expect(await page.locator('table.matrix[aria-label] caption').count()).toBe(TARGETS)
    // The stylesheet applied under `style-src 'self'`.
    expect(await page.locator('.banner').evaluate((element) => (globalThis as unknown as { getComputedStyle: (e: unknown) => { borderRadius: string } }).getComputedStyle(element).borderRadius)).toBe('12px')
    await page.close()
  })

  it('loads a target page cleanly, with its charts and bars labelled, the hostile NSID as text and the BGP panel with captioned tables', async ({ skip }) => {
    skip(!CHROMIUM, SKIP_REASON)
    const { page, problems, csp } = await open('/targets/ns-example')
    await page.locator('details').evaluateAll((elements) => elements.forEach((element) => element.setAttribute('open', '')))
    await page.screenshot({ path: join(SCREENSHOTS, 'target.png'), fullPage: true })
    await expectClean(problems, csp)
    expect(await page.locator('script').count()).toBe(0)
    expect(await page.locator('svg.map[role="img"]').count()).toBe(1)
    expect(await page.locator('table.matrix caption').textContent()).toContain('Which site answers each vantage')
    const charts = page.locator('svg.chart[role="img"]')
    expect(await charts.count()).toBe(2 * VANTAGES)
    for (let index = 0; index < 2 * VANTAGES; index += 1) expect(await labelledByText(page, 'svg.chart', index)).toMatch(/^RTT from .+, last (24 hours|7 days) (Median RTT between|No answers)/)
    expect(await page.locator('svg.bars[role="img"][aria-label*="of queries answered over 90 days"]').count()).toBe(VANTAGES + 4)
    expect(await labelledByText(page, 'svg.strips', 0)).toMatch(/^Catchment history of ns.example.net Which site answered each vantage/)
    const bgpPanel = page.locator('#bgp-panel')
    expect(await bgpPanel.locator('h4').allTextContents()).toEqual([
      'ripestat fresh',
      'ris-live stale: no frame from RIS Live for 240 s <script>alert(1)</script>\\x00\\x1b',
      'lg unavailable: network error: Request cannot be constructed from a URL that includes credentials: https://[redacted]@lg.internal.example/routes/prefix?prefix=198.51.100.0%2F24',
    ])
    expect(await bgpPanel.locator('table caption').first().textContent()).toBe('Peers of ripestat routing to 198.51.100.0/24: the path each one takes and the site it leads to')
    expect(await bgpPanel.locator('table:has(caption)').count()).toBe(await bgpPanel.locator('table').count())
    expect(await bgpPanel.locator('table tfoot').textContent()).toBe('and 2 more')
    expect(await bgpPanel.locator('.unexpected').textContent()).toBe('AS64666 (1 peer), unexpected')
    const identities = await page.locator('td.mono').allTextContents()
    expect(identities).toContain('<script>alert(1)</script>\\x00\\x1b')
    expect(identities.join('')).not.toContain(HOSTILE_TEXT)
    await page.close()
  })

  it('shows IPv4 and IPv6 side by side on a dual-stack target: a matrix row and a map line per family, and the coverage', async ({ skip }) => {
    skip(!CHROMIUM, SKIP_REASON)
    const { page, problems, csp } = await open('/targets/k-root')
    await page.screenshot({ path: join(SCREENSHOTS, 'target-dual-stack.png'), fullPage: true })
    const now = page.locator('section[aria-labelledby="now"] .card')
    await now.screenshot({ path: join(SCREENSHOTS, 'target-dual-stack-now.png') })
    await expectClean(problems, csp)
    expect(await page.locator('.lede .coverage').textContent()).toBe(`${VANTAGES} of ${VANTAGES} vantages reporting`)
    expect(await page.locator('table.matrix caption').textContent()).toContain('over IPv4 and over IPv6')
    // Every vantage has an IPv4 and an IPv6 row; par lands on lhr over IPv4 and on ams over IPv6.
    expect(await page.locator('table.matrix th.family').allTextContents()).toEqual(Array.from({ length: VANTAGES }, () => ['IPv4', 'IPv6']).flat())
    const columns = await page.locator('table.matrix thead th abbr').allTextContents()
    const marks = async (row: number): Promise<string[]> => {
      const cells = await page.locator('table.matrix tbody tr').nth(row).locator('td.hit, td.empty').evaluateAll((tds) => tds.map((td) => td.className))
      return columns.filter((_, index) => cells[index] === 'hit')
    }
    expect([await marks(0), await marks(1)]).toEqual([['lhr'], ['ams']])
    // IPv6 lines are dashed, and both families' lines are drawn with a visible extent.
    const dashed = page.locator('svg.map path[data-family="ipv6"]')
    expect(await dashed.count()).toBeGreaterThan(0)
    expect(await dashed.first().getAttribute('stroke-dasharray')).toMatch(/^[\d.]+ [\d.]+$/)
    expect(await page.locator('svg.map path[data-family="ipv4"]').count()).toBeGreaterThan(0)
    expect((await dashed.first().boundingBox())?.width).toBeGreaterThan(1)
    expect(await page.locator('ul.legend .swatch.line-ipv6').count()).toBe(1)
    expect(await labelledByText(page, 'svg.map', 0)).toMatch(/Paris: over IPv4 lhr in [\d.]+ ms, over IPv6 ams in [\d.]+ ms\./)
    expect(await page.locator('svg.strips text').allTextContents()).toEqual(expect.arrayContaining(['par IPv4', 'par IPv6']))
    await page.close()
  })

  it('loads an incident page cleanly', async ({ skip }) => {
    skip(!CHROMIUM, SKIP_REASON)
    const { page, problems, csp } = await open(`/incidents/${encodeURIComponent('ns-example/unknown-identity/vantage:dub')}`)
    await page.screenshot({ path: join(SCREENSHOTS, 'incident.png'), fullPage: true })
    await expectClean(problems, csp)
    expect(await page.locator('h1').textContent()).toBe('Unknown identity · vantage:dub on ns.example.net')
    expect(await page.locator('.timeline').textContent()).toContain('opened: identity "<script>alert(1)</script>\\x00\\x1b"')
    await page.close()
  })

  it('gets a well-formed Atom feed and badge', async ({ skip }) => {
    skip(!CHROMIUM, SKIP_REASON)
    const page = await (context as BrowserContext).newPage()
    await page.goto(`${base}/assets/favicon.svg`)
    for (const path of ['/feed.atom', '/badge/ns-example.svg']) {
      const text = await (await page.request.get(`${base}${path}`)).text()
      const errors = await page.evaluate((xml) => {
        const parser = new (globalThis as unknown as { DOMParser: new () => { parseFromString: (s: string, t: string) => { getElementsByTagName: (n: string) => { length: number } } } }).DOMParser()
        return parser.parseFromString(xml, 'application/xml').getElementsByTagName('parsererror').length
      }, text)
      expect(errors, path).toBe(0)
    }
    await page.close()
  })
})
