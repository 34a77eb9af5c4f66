// The page shell every HTML page shares: head (stylesheet, feed link, icon), header, footer. No script
// anywhere: the page works without JavaScript and the CSP forbids it.
import { html, type Markup } from './escape.ts'
import { landDefinitions } from './map.ts'
import { formatUtc } from './time.ts'

export const STYLESHEET_PATH = '/assets/status.css'
export const FAVICON_PATH = '/assets/favicon.svg'

export interface PageInput {
  siteTitle: string
  /** The document's title, before the site's. */
  title: string | null
  body: Markup
  nowMs: number
  /** The land path, when the page has maps: defined once, used by each. */
  landPath?: string
}

export function renderPage(input: PageInput): string {
  const documentTitle = input.title === null ? input.siteTitle : `${input.title} · ${input.siteTitle}`
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${documentTitle}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
<link rel="icon" href="${FAVICON_PATH}" type="image/svg+xml">
<link rel="alternate" type="application/atom+xml" title="Incidents" href="/feed.atom">
</head>
<body>
${input.landPath === undefined ? '' : landDefinitions(input.landPath)}
<header class="site-header"><div class="wrap"><a class="brand" href="/">${input.siteTitle}</a><nav aria-label="Machine interfaces"><a href="/feed.atom">Atom feed</a><a href="/metrics">Metrics</a><a href="/api/v1/targets">JSON API</a></nav></div></header>
<main class="wrap">
${input.body}
</main>
<footer class="wrap"><p>Rendered ${formatUtc(input.nowMs)} from the monitor's store. Times are UTC. This page uses no JavaScript.</p></footer>
</body>
</html>
`.markup
}
