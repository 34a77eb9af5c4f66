// RPKI invalid: an origin AS announcing the prefix is RPKI-invalid for it (wrong AS or too long for
// the ROA's max length). For an expected origin this is an error: networks doing route origin
// validation drop the route, so visibility erodes even though nothing else changed. For an unexpected
// origin it is a warning: a hijack or leak that ROV is filtering (the unexpected-origin finding says
// the rest). Not checked when the source has no RPKI view.
// Recovery: the finding stops when the validator no longer says invalid (ROA fixed) or fewer than
// minPeers peers route to that origin.
import { z } from 'zod'
import { peerKey, type BgpSnapshot, type RpkiCheck } from '../model.ts'
import { asnText, bgpFindingOf, currentSnapshot, originScope, type BgpDetector, type BgpDetectorInput, type BgpFinding } from './bgp-detector.ts'

export const RpkiInvalidParamsSchema = z
  .strictObject({
    minPeers: z.number().int().min(1).default(1).describe('Peers that must route to the invalid origin before it is reported.'),
  })
  .describe('RPKI invalid: an origin announcing the prefix is RPKI-invalid for it.')

export type RpkiInvalidParams = z.output<typeof RpkiInvalidParamsSchema>

function detectRpkiInvalid(input: BgpDetectorInput, params: RpkiInvalidParams): BgpFinding[] {
  const snapshot = currentSnapshot(input)
  if (snapshot === null || snapshot.rpki === null) return []
  return snapshot.rpki
    .filter((check) => check.status === 'invalid')
    .map((check) => ({ check, peers: peersRoutingTo(snapshot, check.originAsn) }))
    .filter(({ peers }) => peers >= params.minPeers)
    .sort((a, b) => a.check.originAsn - b.check.originAsn)
    .map(({ check, peers }) => findingFor(input, snapshot, check, peers))
}

function peersRoutingTo(snapshot: BgpSnapshot, originAsn: number): number {
  return new Set(snapshot.routes.filter((route) => route.originAsn === originAsn).map(peerKey)).size
}

function findingFor(input: BgpDetectorInput, snapshot: BgpSnapshot, check: RpkiCheck, peers: number): BgpFinding {
  const expected = input.expectedOriginAsns.includes(check.originAsn)
  return bgpFindingOf(input, snapshot, {
    kind: 'bgp-rpki-invalid',
    scope: originScope(input.prefix, check.originAsn),
    severity: expected ? 'error' : 'warning',
    summary:
      `${input.prefix} from ${asnText(check.originAsn)} is RPKI ${check.detail}` +
      (expected ? ': networks validating origins drop it' : ' (an origin that is not expected)'),
    sites: [],
    details: { originAsn: check.originAsn, rpki: check.detail, validator: check.validator, peers, expectedOrigin: expected },
  })
}

export const rpkiInvalid = {
  kind: 'bgp-rpki-invalid',
  params: RpkiInvalidParamsSchema,
  historyResults: () => 1,
  detect: detectRpkiInvalid,
} satisfies BgpDetector<RpkiInvalidParams>
