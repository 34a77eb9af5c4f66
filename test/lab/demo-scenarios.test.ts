// How the demo reads an incident off the status page (scripts/demo-scenarios.ts): by its card,
// rendered here by the page's own renderer.
import { describe, expect, it } from 'vitest'
import { incidentOnPage } from '../../scripts/demo-scenarios.ts'
import { renderIncidentCard } from '../../src/core/status/incidents.ts'
import { incident } from '../support/notifications.ts'

const open = incident()
const resolved = incident({ status: 'resolved', resolvedAt: open.openedAt + 60_000 })
const card = (subject: typeof open): string => renderIncidentCard(subject, 'Lab anycast DNS', open.openedAt + 120_000).markup

describe('incidentOnPage', () => {
  it('sees an open card as open, a resolved one as resolved, and a missing one as absent', () => {
    expect(incidentOnPage(`<main>${card(open)}</main>`, open.key)).toBe('open')
    expect(incidentOnPage(`<main>${card(resolved)}</main>`, open.key)).toBe('resolved')
    expect(incidentOnPage('<main><p class="empty-note">No incidents on record.</p></main>', open.key)).toBe('absent')
  })

  it('tells incidents apart by key, and prefers the open occurrence when the page lists an earlier one too', () => {
    expect(incidentOnPage(card(open), `${open.key}-other`)).toBe('absent')
    expect(incidentOnPage(`${card(resolved)}${card(open)}`, open.key)).toBe('open')
  })
})
