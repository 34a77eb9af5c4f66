// Unexpected origin: peers route the prefix to an origin AS that is not among the expected ones (a
// hijack, a leak, or a config that forgot an origin). One finding per unexpected origin, so a second
// origin opens its own incident. An origin the RPKI says is valid for the prefix is reported as a
// warning (the ROA authorises it: more likely a stale config than a hijack); otherwise critical.
// Not checked when no expected origin is configured.
// Recovery: the finding stops when fewer than minPeers peers route to that origin.
import { z } from 'zod'
import { peerKey, type BgpPeerRoute, type BgpSnapshot } from '../model.ts'
import { asnText, bgpFindingOf, currentSnapshot, originScope, type BgpDetector, type BgpDetectorInput, type BgpFinding } from './bgp-detector.ts'

const MAX_LISTED_PATHS = 5

export const UnexpectedOriginParamsSchema = z
  .strictObject({
    minPeers: z
      .number()
      .int()
      .min(1)
      .default(2)
      .describe('Peers that must route to an unexpected origin before it is reported (one odd RIS peer is noise).'),
  })
  .describe('Unexpected origin: the prefix is originated by an AS that is not among its expected origins.')

export type UnexpectedOriginParams = z.output<typeof UnexpectedOriginParamsSchema>

function detectUnexpectedOrigin(input: BgpDetectorInput, params: UnexpectedOriginParams): BgpFinding[] {
  const snapshot = currentSnapshot(input)
  if (snapshot === null || input.expectedOriginAsns.length === 0) return []
  const routesByOrigin = new Map<number | null, BgpPeerRoute[]>()
  for (const route of snapshot.routes) {
    if (route.originAsn !== null && input.expectedOriginAsns.includes(route.originAsn)) continue
    routesByOrigin.set(route.originAsn, [...(routesByOrigin.get(route.originAsn) ?? []), route])
  }
  return [...routesByOrigin.entries()]
    .map(([originAsn, routes]) => ({ originAsn, routes, peers: new Set(routes.map(peerKey)).size }))
    .filter((origin) => origin.peers >= params.minPeers)
    .sort((a, b) => (a.originAsn ?? -1) - (b.originAsn ?? -1))
    .map((origin) => findingFor(input, snapshot, origin))
}

function findingFor(
  input: BgpDetectorInput,
  snapshot: BgpSnapshot,
  origin: { originAsn: number | null; routes: BgpPeerRoute[]; peers: number },
): BgpFinding {
  const rpki = snapshot.rpki?.find((check) => check.originAsn === origin.originAsn)?.status ?? 'not checked'
  const authorised = rpki === 'valid'
  const expected = input.expectedOriginAsns.map((asn) => `AS${asn}`)
  const peersText = `${origin.peers} ${origin.peers === 1 ? 'peer routes' : 'peers route'}`
  return bgpFindingOf(input, snapshot, {
    kind: 'bgp-unexpected-origin',
    scope: originScope(input.prefix, origin.originAsn),
    severity: authorised ? 'warning' : 'critical',
    summary:
      `${peersText} ${input.prefix} to origin ${asnText(origin.originAsn)}, expected ${expected.join(' or ')}` +
      (authorised ? ' (RPKI valid: update the expected origins?)' : ''),
    sites: [],
    details: {
      originAsn: origin.originAsn,
      peers: origin.peers,
      expectedOriginAsns: expected,
      rpki,
      collectors: [...new Set(origin.routes.map((route) => route.collector))].sort(),
      paths: [...new Set(origin.routes.map((route) => route.asPath.join(' ')))].slice(0, MAX_LISTED_PATHS),
    },
  })
}

export const unexpectedOrigin = {
  kind: 'bgp-unexpected-origin',
  params: UnexpectedOriginParamsSchema,
  historyResults: () => 1,
  detect: detectUnexpectedOrigin,
} satisfies BgpDetector<UnexpectedOriginParams>
