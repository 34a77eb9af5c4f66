// Unknown identity: an answer named a node that matches no site of the target's site table: a new
// site the table does not know yet, a renamed node, or someone else answering on the address.
// One finding per identity (keyed by its hex, the lossless form), naming the vantages that saw it.
import { z } from 'zod'
import { UNKNOWN_SITE_ID } from '../site-ids.ts'
import { compareText, uniqueSorted } from '../catchment.ts'
import type { Finding } from '../findings.ts'
import type { Identity } from '../model.ts'
import { currentCycle, findingOf, listText, type Detector, type DetectorInput } from './detector.ts'

export const UnknownIdentityParamsSchema = z
  .strictObject({
    ignoreIdentities: z
      .array(z.string().min(1))
      .default([])
      .describe('Identities never to report, as text (case-insensitive) or as lowercase hex of the raw bytes.'),
  })
  .describe('Unknown identity: an answer carries an identity that matches no site of the target.')

export type UnknownIdentityParams = z.output<typeof UnknownIdentityParamsSchema>

function detectUnknownIdentities(input: DetectorInput, params: UnknownIdentityParams): Finding[] {
  const ignored = new Set(params.ignoreIdentities.map((identity) => identity.toLowerCase()))
  const seen = new Map<string, { identity: Identity; vantages: string[] }>()
  for (const state of currentCycle(input).catchment.values()) {
    for (const { observation, site } of state.observations) {
      const identity = observation.identity
      if (identity === null || site !== UNKNOWN_SITE_ID || isIgnored(identity, ignored)) continue
      const entry = seen.get(identity.hex) ?? { identity, vantages: [] }
      entry.vantages.push(state.vantage)
      seen.set(identity.hex, entry)
    }
  }
  return [...seen.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([, { identity, vantages }]) => identityFinding(input, identity, uniqueSorted(vantages)))
}

function isIgnored(identity: Identity, ignored: ReadonlySet<string>): boolean {
  return ignored.has(identity.hex) || (identity.text !== null && ignored.has(identity.text.toLowerCase()))
}

function identityFinding(input: DetectorInput, identity: Identity, vantages: string[]): Finding {
  const shown = identity.text === null ? `0x${identity.hex}` : `"${identity.text}"`
  return findingOf(input, {
    kind: 'unknown-identity',
    scope: `identity:${identity.hex}`,
    severity: 'warning',
    summary: `identity ${shown} (${identity.source}) matches no site; seen by ${listText(vantages)}`,
    sites: [],
    vantages,
    details: { identityText: identity.text, identityHex: identity.hex, identitySource: identity.source },
  })
}

export const unknownIdentity = {
  kind: 'unknown-identity',
  // An identity names a node whatever path brought it.
  slicing: 'all-paths',
  params: UnknownIdentityParamsSchema,
  historyCycles: () => 1,
  detect: detectUnknownIdentities,
} satisfies Detector<UnknownIdentityParams>
