// `npm run demo -- --scenarios`: the lab's failures played one after the other while the monitor
// serves, each one watched on the status page itself (the HTML a browser gets), not in the API:
// a black hole (stop-dns on the FRR site), a failover (kill-bgp on the same site) and a flap of the
// ExaBGP site. For each it prints when the page showed the incident open, and when it showed it
// resolved after the repair. Fails (non-zero exit) when the page does not show one in time.
import { killBgp, startBgpScenario, startDnsScenario, stopDns } from '../lab/lab.ts'
import { incidentPath } from '../src/core/status/incidents.ts'
import { pollUntil, sleep } from './poll.ts'


export interface ScenarioOptions {
  pageUrl: string
  target: string
  intervalMs: number
  print: (line: string) => void
}

type IncidentOnPage = 'open' | 'resolved' | 'absent'

/** How the page shows the incident: its card (linked by the incident's path) tagged Open or Resolved. */
export function incidentOnPage(html: string, key: string): IncidentOnPage {
  const cards = html.split('<article class="incident').slice(1).filter((card) => card.includes(`href="${incidentPath(key)}"`))
  if (cards.some((card) => /^[^"]*\bopen"/.test(card))) return 'open'
  return cards.length > 0 ? 'resolved' : 'absent'
}

async function page(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) })
    return response.ok ? await response.text() : ''
  } catch {
    return ''
  }
}

/** Polls the target page until one of the keys shows as `wanted`; the key and the seconds it took, or null. */
function waitForPage(options: ScenarioOptions, keys: readonly string[], wanted: IncidentOnPage, since: number, cycles: number): Promise<{ key: string; seconds: number } | null> {
  const attempt = async (): Promise<{ key: string; seconds: number } | null> => {
    const html = await page(`${options.pageUrl}/targets/${options.target}`)
    const key = keys.find((candidate) => incidentOnPage(html, candidate) === wanted)
    return key === undefined ? null : { key, seconds: (Date.now() - since) / 1000 }
  }
  return pollUntil(attempt, since + cycles * options.intervalMs + 2_000, 250)
}

interface Scenario {
  name: string
  /** Any of these incidents on the page shows the scenario. */
  keys: string[]
  fault: () => Promise<void>
  repair: () => Promise<void>
  /** Cycles the page may take to show the incident open, then resolved. */
  openCycles: number
  resolveCycles: number
}

function scenarios(target: string, intervalMs: number): Scenario[] {
  const flapStep = async (): Promise<void> => {
    for (let step = 0; step < 2; step++) {
      await killBgp('s2')
      await sleep(intervalMs + 1_000)
      await startBgpScenario('s2')
      await sleep(intervalMs + 1_000)
    }
  }
  return [
    { name: 'black hole (stop-dns s1: BIND dead, FRR still announcing)', keys: [`${target}/black-hole/site:s1`], fault: () => stopDns('s1'), repair: () => startDnsScenario('s1'), openCycles: 4, resolveCycles: 5 },
    { name: 'failover (kill-bgp s1: the route is withdrawn, v1 moves to s2)', keys: [`${target}/failover/site:s1`], fault: () => killBgp('s1'), repair: () => startBgpScenario('s1'), openCycles: 4, resolveCycles: 6 },
    // The flap ends before the page is watched; its finding lasts while the flap is in the detector's window.
    { name: 'flap (kill-bgp / start-bgp s2, twice)', keys: [`${target}/bgp-flapping/prefix:198.51.100.53/32`, `${target}/catchment-flapping/vantage:v2`], fault: flapStep, repair: async () => undefined, openCycles: 4, resolveCycles: 0 },
  ]
}

/** Plays every scenario; true when the page showed each one as it happened (and its repair). */
export async function playScenarios(options: ScenarioOptions): Promise<boolean> {
  for (const scenario of scenarios(options.target, options.intervalMs)) {
    options.print(`\n${scenario.name}`)
    const faultAt = Date.now()
    await scenario.fault()
    const opened = await waitForPage(options, scenario.keys, 'open', faultAt, scenario.openCycles + (Date.now() - faultAt) / options.intervalMs)
    if (opened === null) {
      options.print(`  the page did not show ${scenario.keys.join(' or ')} open`)
      await scenario.repair()
      return false
    }
    options.print(`  page shows ${opened.key} open ${opened.seconds.toFixed(1)} s after the fault`)
    if (scenario.resolveCycles === 0) continue
    const repairAt = Date.now()
    await scenario.repair()
    const resolved = await waitForPage(options, [opened.key], 'resolved', repairAt, scenario.resolveCycles)
    if (resolved === null) {
      options.print(`  the page did not show ${opened.key} resolved`)
      return false
    }
    options.print(`  page shows it resolved ${resolved.seconds.toFixed(1)} s after the repair`)
  }
  return true
}
