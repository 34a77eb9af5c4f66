// Maintenance windows: time ranges in which the incident policy keeps tracking incidents but sends no
// triggers or reminders for the ones the window covers.
import { z } from 'zod'

const InstantSchema = z
  .union([
    z.number().int().min(0),
    z.iso
      .datetime({ offset: true, error: 'must be epoch milliseconds or an ISO 8601 date-time with "Z" or an offset' })
      .transform((text) => Date.parse(text)),
  ])
  .describe('Epoch milliseconds, or an ISO 8601 date-time with "Z" or an offset, e.g. "2026-05-01T22:00:00Z".')

export const MaintenanceWindowSchema = z
  .strictObject({
    start: InstantSchema.describe('When the window starts (inclusive): epoch ms or ISO 8601 date-time.'),
    end: InstantSchema.describe('When the window ends (exclusive): epoch ms or ISO 8601 date-time.'),
    targets: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Target ids the window applies to; every target when left out.'),
    sites: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        'Site ids the window applies to; the whole target when left out. A site-scoped incident is muted when its ' +
          'site is listed, a target-wide one when all its sites are, any other when one of its sites is.',
      ),
    reason: z.string().min(1).optional().describe('Why, for the incident timeline, e.g. "fra: router swap".'),
  })
  .refine((window) => window.end > window.start, { message: 'end must be after start', path: ['end'] })
  .describe('A maintenance window: no triggers or reminders for what it covers.')

export type MaintenanceWindow = z.output<typeof MaintenanceWindowSchema>

/** What a window is matched against: an incident's target, scope and the sites its evidence names. */
export interface MaintenanceSubject {
  target: string
  scope: string
  sites: readonly string[]
}

const SITE_SCOPE_PREFIX = 'site:'
const TARGET_SCOPE = 'target'

/** The first window that covers the subject at `now`, or null. */
export function maintenanceAt(
  windows: readonly MaintenanceWindow[],
  now: number,
  subject: MaintenanceSubject,
): MaintenanceWindow | null {
  return windows.find((window) => window.start <= now && now < window.end && covers(window, subject)) ?? null
}

function covers(window: MaintenanceWindow, subject: MaintenanceSubject): boolean {
  if (window.targets !== undefined && !window.targets.includes(subject.target)) return false
  const sites = window.sites
  if (sites === undefined) return true
  if (subject.scope.startsWith(SITE_SCOPE_PREFIX)) return sites.includes(subject.scope.slice(SITE_SCOPE_PREFIX.length))
  if (subject.scope === TARGET_SCOPE) return subject.sites.length > 0 && subject.sites.every((site) => sites.includes(site))
  return subject.sites.some((site) => sites.includes(site))
}
