// The page's only stylesheet, served from /assets/status.css so that the Content-Security-Policy can
// say `style-src 'self'` (no inline style anywhere). Colours of the RTT bands match palette.ts.

export const STYLESHEET = `
:root { --text: #111827; --muted: #6b7280; --line: #e5e7eb; --card: #ffffff; --page: #f6f7f9; --link: #1d4ed8; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--page); color: var(--text); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; font-variant-numeric: tabular-nums; }
a { color: var(--link); text-decoration: none; }
a:hover, a:focus-visible { text-decoration: underline; }
.wrap { max-width: 1120px; margin: 0 auto; padding-left: 24px; padding-right: 24px; }
.site-header { background: var(--card); border-bottom: 1px solid var(--line); }
.site-header .wrap { display: flex; align-items: center; justify-content: space-between; height: 56px; }
.brand { font-weight: 700; font-size: 17px; color: var(--text); letter-spacing: -0.01em; }
.site-header nav a { margin-left: 20px; color: var(--muted); font-size: 14px; }
main { padding: 28px 0 48px; }
h1 { font-size: 28px; line-height: 1.2; margin: 4px 0 8px; letter-spacing: -0.02em; }
h2 { font-size: 19px; margin: 40px 0 12px; letter-spacing: -0.01em; }
h3 { font-size: 16px; margin: 0 0 8px; }
p { margin: 0 0 8px; }
.muted { color: var(--muted); }
.small { font-size: 13px; }
.breadcrumb { font-size: 14px; color: var(--muted); margin: 0 0 4px; }
.lede { color: var(--muted); margin: 0 0 20px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 20px; margin: 0 0 16px; }
.card-head { display: flex; align-items: baseline; justify-content: space-between; gap: 12px; margin-bottom: 12px; }
.card-head h3 { margin: 0; font-size: 17px; }
.banner { display: flex; align-items: center; gap: 14px; border-radius: 12px; padding: 18px 22px; font-size: 18px; font-weight: 600; border: 1px solid; }
.banner .dot { width: 14px; height: 14px; border-radius: 50%; flex: none; }
.banner .muted { font-size: 14px; font-weight: 400; margin-left: auto; }
.banner-operational { background: #f0fdf4; border-color: #bbf7d0; color: #14532d; }
.banner-degraded { background: #fffbeb; border-color: #fde68a; color: #78350f; }
.banner-outage { background: #fef2f2; border-color: #fecaca; color: #7f1d1d; }
.banner-no-data { background: #f9fafb; border-color: var(--line); color: #374151; }
.dot-operational { background: #16a34a; } .dot-degraded { background: #d97706; } .dot-outage { background: #dc2626; } .dot-no-data { background: #9ca3af; }
.state { display: inline-flex; align-items: center; gap: 6px; font-weight: 600; font-size: 13px; padding: 2px 10px 2px 8px; border-radius: 999px; white-space: nowrap; }
.state::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: currentColor; }
.state-operational { background: #dcfce7; color: #166534; }
.state-degraded { background: #fef3c7; color: #92400e; }
.state-outage { background: #fee2e2; color: #991b1b; }
.state-no-data { background: #f3f4f6; color: #4b5563; }
.title-row { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; color: var(--muted); font-size: 13px; padding: 0 0 6px; }
th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid var(--line); vertical-align: middle; }
thead th { font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); font-weight: 600; }
tbody tr:last-child th, tbody tr:last-child td { border-bottom: none; }
.num { text-align: right; }
.table-scroll { overflow-x: auto; }
.services td, .services th { padding: 12px 10px; }
.services .name { font-weight: 600; }
.services thead th { white-space: nowrap; }
.services .small { display: block; font-weight: 400; }
.split { display: grid; grid-template-columns: minmax(0, 7fr) minmax(0, 5fr); gap: 24px; align-items: start; }
.stack > * + * { margin-top: 14px; }
@media (max-width: 900px) { .split { grid-template-columns: minmax(0, 1fr); } }
.map { display: block; width: 100%; height: auto; border-radius: 8px; border: 1px solid var(--line); }
.svg-defs { position: absolute; width: 0; height: 0; overflow: hidden; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 6px 14px; padding: 0; margin: 10px 0 0; font-size: 12px; color: var(--muted); }
.legend li { display: inline-flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 18px; height: 4px; border-radius: 2px; }
.swatch.rtt-1 { background: #15803d; } .swatch.rtt-2 { background: #65a30d; } .swatch.rtt-3 { background: #ca8a04; } .swatch.rtt-4 { background: #ea580c; } .swatch.rtt-5 { background: #b91c1c; }
.marker { display: inline-block; width: 10px; height: 10px; }
.marker-site { border-radius: 50%; background: #1e3a8a; }
.marker-site-troubled { border-radius: 50%; background: #b91c1c; }
.marker-vantage { width: 8px; height: 8px; background: #111827; }
.marker-failing { width: 8px; height: 8px; background: #b91c1c; }
.key-swatch { width: 10px; height: 10px; }
.matrix { font-size: 13px; }
.matrix th, .matrix td { padding: 5px 6px; text-align: center; }
.matrix th[scope="row"], .matrix thead th:first-child { text-align: left; white-space: nowrap; }
.matrix abbr { text-decoration: none; }
.matrix .since { color: var(--muted); white-space: nowrap; text-align: right; }
.matrix .row-note { color: #991b1b; font-style: italic; }
.matrix .empty { color: #d1d5db; }
.matrix th.family { color: var(--muted); font-size: 12px; font-weight: 600; padding-left: 2px; }
.matrix tbody tr:not(.vantage-start) > * { border-top: 1px dashed var(--line); }
.pill .transport { font-size: 10px; font-weight: 700; letter-spacing: 0.03em; opacity: 0.85; }
.pill + .pill { margin-left: 4px; }
.swatch.line-ipv4 { height: 3px; background: #374151; }
.swatch.line-ipv6 { height: 3px; background: repeating-linear-gradient(90deg, #374151 0 5px, transparent 5px 8px); }
.vantage-id { font-weight: 600; }
.vantage-id .family { font-weight: 500; font-size: 12px; color: var(--muted); }
.pill { display: inline-block; min-width: 52px; padding: 1px 6px; border-radius: 6px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.pill.secondary { opacity: 0.6; }
.matrix.compact .pill { min-width: 38px; padding: 1px 4px; }
.matrix.compact th, .matrix.compact td { padding: 5px 4px; }
.rtt-1 { background: #dcfce7; color: #14532d; } .rtt-2 { background: #ecfccb; color: #365314; } .rtt-3 { background: #fef9c3; color: #713f12; }
.rtt-4 { background: #ffedd5; color: #7c2d12; } .rtt-5 { background: #fee2e2; color: #7f1d1d; } .rtt-none { background: #f3f4f6; color: #374151; }
.incident { background: var(--card); border: 1px solid var(--line); border-left: 4px solid #9ca3af; border-radius: 10px; padding: 14px 18px; margin: 0 0 12px; }
.incident.open.severity-critical { border-left-color: #dc2626; }
.incident.open.severity-error, .incident.open.severity-warning { border-left-color: #d97706; }
.incident.open.severity-info { border-left-color: #2563eb; }
.incident h3 { margin: 0 0 4px; }
.incident details summary { margin: 6px 0 0; font-size: 14px; }
.tags { display: flex; gap: 6px; margin: 0 0 6px; }
.tag { font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 999px; background: #f3f4f6; color: #374151; text-transform: capitalize; }
.tag.status-open { background: #fee2e2; color: #991b1b; }
.tag.status-resolved { background: #dcfce7; color: #166534; }
.empty-note { color: var(--muted); margin: 0; }
.timeline { list-style: none; margin: 8px 0 0; padding: 0 0 0 16px; border-left: 2px solid var(--line); }
.timeline li { position: relative; padding: 0 0 10px 8px; }
.timeline li::before { content: ""; position: absolute; left: -22px; top: 7px; width: 10px; height: 10px; border-radius: 50%; background: #ffffff; border: 2px solid #9ca3af; }
.timeline time { display: block; font-size: 12px; color: var(--muted); }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 8px 20px; margin: 0 0 16px; }
.facts dt { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.latency { display: grid; grid-template-columns: 120px minmax(0, 1fr) minmax(0, 1fr); gap: 4px 16px; align-items: center; }
.latency .head { font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); font-weight: 600; }
.chart { display: block; width: 100%; height: auto; }
.row-label { font-size: 14px; }
.row-label .muted { display: block; font-size: 12px; }
.uptime { display: grid; grid-template-columns: 150px minmax(0, 1fr) 70px; gap: 6px 14px; align-items: center; }
.uptime .pct { text-align: right; font-weight: 600; font-size: 14px; }
.uptime .group { grid-column: 1 / -1; font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); font-weight: 600; margin-top: 10px; }
.bars { display: block; width: 100%; height: 26px; }
.axis-note { display: flex; justify-content: space-between; font-size: 12px; color: var(--muted); grid-column: 2; }
.strips { display: block; width: 100%; height: auto; }
.placeholder { border: 1px dashed #cbd5e1; background: #f8fafc; border-radius: 10px; padding: 16px 20px; color: #475569; }
.bgp-source + .bgp-source { border-top: 1px solid var(--line); margin-top: 16px; padding-top: 16px; }
.bgp-source h4 { margin: 0; font-size: 15px; }
.bgp-source h4 .tag { margin-left: 4px; vertical-align: 1px; }
.bgp-source h4 + p { margin: 2px 0 12px; }
.tag.bgp-snapshot { background: #dcfce7; color: #166534; }
.tag.bgp-stale { background: #fef3c7; color: #92400e; }
.tag.bgp-unavailable { background: #fee2e2; color: #991b1b; }
.bgp-reason { font-weight: 400; font-size: 13px; color: #374151; overflow-wrap: anywhere; }
.bgp-line { display: block; }
@media (min-width: 700px) { .facts .fact-wide { grid-column: span 2; } }
.unexpected { color: #991b1b; }
details summary { cursor: pointer; color: var(--link); margin: 12px 0 8px; }
.data { font-size: 13px; }
.data td, .data th { padding: 6px 8px; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; overflow-wrap: anywhere; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
footer { color: var(--muted); font-size: 13px; padding-top: 20px; padding-bottom: 40px; }
footer p { border-top: 1px solid var(--line); padding-top: 16px; }
footer a { color: var(--muted); text-decoration: underline; }
`

/** A small round favicon, served so browsers do not log a 404 for /favicon.ico. */
export const FAVICON_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="6" fill="#16a34a"/></svg>'
