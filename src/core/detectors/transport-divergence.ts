// Transport divergence: a site answers over one transport and not over the other. TCP/53 filtered at
// one site (a firewall change, conntrack exhausted) breaks truncated and DNSSEC answers there, while UDP
// probes, and every detector that counts any answer, stay happy; RFC 7766 requires TCP.
//
// Per path pair (vantage, address): over the last windowCycles cycles the failing transport got no answer
// at all while the other answered in at least half of them (and in the current cycle, which names the
// site). Random loss fails UDP far more often than TCP, which retransmits, so a run of whole cycles is
// asked for, not one miss: at 20 % loss each way a UDP probe fails about a third of the time, and six
// misses in a row on one path happen about twice in a thousand cycles.
// One finding per site and failing transport, scoped to the site like its black hole, so a site that
// goes on to fail over every transport stays one incident.
import { z } from 'zod'
import { compareText, uniqueSorted, type CatchmentCycle } from '../catchment.ts'
import type { Finding } from '../findings.ts'
import type { TransportName } from '../model.ts'
import { familiesOf, transportLabel } from '../paths.ts'
import { UNKNOWN_SITE_ID } from '../site-ids.ts'
import { currentCycle, findingOf, lastCycles, listText, siteScope, type Detector, type DetectorInput } from './detector.ts'

export const TransportDivergenceParamsSchema = z
  .strictObject({
    windowCycles: z
      .number()
      .int()
      .min(2)
      .max(1_000)
      .default(6)
      .describe(
        'Cycles in a row in which one transport got no answer on a path while the other answered (in at least half of them ' +
          'and in the current one) that make a divergence.',
      ),
  })
  .describe('Transport divergence: a site answers over UDP but not over TCP, or the reverse.')

export type TransportDivergenceParams = z.output<typeof TransportDivergenceParamsSchema>

/** One (vantage, address) path pair whose `failing` transport got nothing while the other answered. */
interface DivergentPath {
  vantage: string
  address: string
  failing: TransportName
  answering: TransportName
  /** Sites the answering transport reached in the current cycle ('unknown' without identity). */
  sites: string[]
  outcomes: string[]
}

function detectDivergence(input: DetectorInput, params: TransportDivergenceParams): Finding[] {
  const transports = input.target.transports
  if (transports.length < 2) return []
  const window = lastCycles(input, params.windowCycles)
  if (window.length < params.windowCycles) return []
  const divergent = [...currentCycle(input).catchment.keys()].flatMap((vantage) =>
    input.target.addresses.flatMap((address) =>
      transports.flatMap((failing) => {
        const answering = transports.find((transport) => transport !== failing) as TransportName
        const path = divergentPath(window, vantage, address, failing, answering)
        return path === null ? [] : [path]
      }),
    ),
  )
  const groups = new Map<string, DivergentPath[]>()
  for (const path of divergent) {
    for (const site of path.sites) groups.set(`${site}|${path.failing}`, [...(groups.get(`${site}|${path.failing}`) ?? []), path])
  }
  return [...groups.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([group, paths]) => divergenceFinding(input, group.split('|')[0] as string, paths, params))
}

function divergentPath(
  window: readonly CatchmentCycle[],
  vantage: string,
  address: string,
  failing: TransportName,
  answering: TransportName,
): DivergentPath | null {
  const perCycle = window.map((cycle) => {
    const observations = (cycle.catchment.get(vantage)?.observations ?? []).filter(({ observation }) => observation.address === address)
    const over = (transport: TransportName) => observations.filter(({ observation }) => observation.transport === transport)
    return { failing: over(failing), answering: over(answering).filter(({ observation }) => observation.outcome === 'ok') }
  })
  if (perCycle.some((cycle) => cycle.failing.length === 0)) return null
  if (perCycle.some((cycle) => cycle.failing.some(({ observation }) => observation.outcome === 'ok'))) return null
  const answered = perCycle.filter((cycle) => cycle.answering.length > 0).length
  const current = perCycle.at(-1)
  if (current === undefined || current.answering.length === 0 || answered * 2 < perCycle.length) return null
  return {
    vantage,
    address,
    failing,
    answering,
    sites: uniqueSorted(current.answering.map(({ site }) => site ?? UNKNOWN_SITE_ID)),
    outcomes: uniqueSorted(current.failing.map(({ observation }) => observation.outcome)),
  }
}

function divergenceFinding(input: DetectorInput, site: string, paths: readonly DivergentPath[], params: TransportDivergenceParams): Finding {
  const first = paths[0] as DivergentPath
  const vantages = uniqueSorted(paths.map((path) => path.vantage))
  const addresses = input.target.addresses.filter((address) => paths.some((path) => path.address === address))
  const outcomes = uniqueSorted(paths.flatMap((path) => path.outcomes))
  const failing = transportLabel(first.failing)
  const onAddresses = addresses.length === input.target.addresses.length ? '' : ` on ${listText(addresses)}`
  const who = `${listText(vantages)} ${vantages.length === 1 ? 'gets' : 'get'} no ${failing} answer (${outcomes.join(', ')})`
  return findingOf(input, {
    kind: 'transport-divergence',
    scope: siteScope(site),
    severity: 'error',
    summary: `${site} answers over ${transportLabel(first.answering)} but not over ${failing}${onAddresses}: ${who} for ${params.windowCycles} cycles`,
    sites: [site],
    vantages,
    paths: { slice: first.failing, text: `over ${failing}`, families: familiesOf(addresses), addresses, transports: [first.failing] },
    details: { failingTransport: first.failing, answeringTransport: first.answering, addresses, outcomes, windowCycles: params.windowCycles },
  })
}

export const transportDivergence = {
  kind: 'transport-divergence',
  // It compares the transports of each path pair itself.
  slicing: 'all-paths',
  params: TransportDivergenceParamsSchema,
  historyCycles: (params: TransportDivergenceParams) => params.windowCycles,
  detect: detectDivergence,
} satisfies Detector<TransportDivergenceParams>
