// Notification -> Slack incoming-webhook body: Block Kit blocks plus the `text` fallback that
// notifications and screen readers use. Anything that can come from the network (identities, details)
// is escaped, so a server naming itself '<!channel>' or '<https://evil|click>' shows as text.
import type { FindingEvidence, Incident, Notification } from '../findings.ts'
import { bgpDetailsOf, isBgpDetail } from './bgp-details.ts'
import { eventLabel, incidentTitle, incidentUrl, isoTime, truncate, type AlertContext } from './text.ts'

/** Block Kit limits (api.slack.com/reference/block-kit). */
export const SLACK_MAX_BLOCKS = 50
export const SLACK_MAX_SECTION_TEXT_CHARS = 3000
export const SLACK_MAX_HEADER_CHARS = 150
export const SLACK_MAX_FIELD_CHARS = 2000
/** Slack accepts 40,000, but a longer fallback is useless in a push notification. */
export const SLACK_MAX_FALLBACK_CHARS = 3000

export interface SlackText {
  type: 'plain_text' | 'mrkdwn'
  text: string
}

export type SlackBlock =
  | { type: 'header'; text: SlackText }
  | { type: 'section'; text: SlackText; fields?: SlackText[] }
  | { type: 'context'; elements: SlackText[] }
  | { type: 'divider' }

export interface SlackMessage {
  text: string
  blocks: SlackBlock[]
}

const EVENT_EMOJI: Record<Notification['event'], string> = {
  trigger: ':rotating_light:',
  reminder: ':hourglass_flowing_sand:',
  resolve: ':white_check_mark:',
}

/** The three characters Slack reserves for links, mentions and entities. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Cuts already-escaped mrkdwn without leaving half an entity ('&am…') behind. */
export function truncateMrkdwn(escaped: string, maxChars: number): string {
  const cut = truncate(escaped, maxChars)
  if (cut === escaped) return cut
  const body = cut.slice(0, -1)
  const lastAmpersand = body.lastIndexOf('&')
  const entityIsOpen = lastAmpersand >= 0 && !body.includes(';', lastAmpersand)
  return entityIsOpen ? `${body.slice(0, lastAmpersand)}…` : cut
}

export function renderSlackMessage(notification: Notification, context: AlertContext): SlackMessage {
  const { incident } = notification
  const fixedBlocks = 5 // header, summary, divider, link, context
  const bodyBlocks = [
    ...linesToSections('*Evidence*', evidenceLines(incident.lastFinding.evidence)),
    ...linesToSections('*BGP*', bgpLines(incident.lastFinding.evidence.details)),
    ...linesToSections('*Details*', detailLines(incident.lastFinding.evidence.details)),
  ]
  return {
    text: fallbackText(notification, context),
    blocks: [
      headerBlock(notification, context),
      summaryBlock(notification, context),
      { type: 'divider' },
      ...capBlocks(bodyBlocks, SLACK_MAX_BLOCKS - fixedBlocks),
      linkBlock(incident, context),
      footerBlock(notification),
    ],
  }
}

function fallbackText(notification: Notification, context: AlertContext): string {
  const title = `${eventLabel(notification.event)}: ${incidentTitle(notification.incident, context)}`
  const text = `${title}: ${notification.incident.lastFinding.summary}`
  return truncateMrkdwn(escapeMrkdwn(text), SLACK_MAX_FALLBACK_CHARS)
}

// plain_text is not parsed for links or mentions, and the header holds only config text and enums.
function headerBlock(notification: Notification, context: AlertContext): SlackBlock {
  const title = `${EVENT_EMOJI[notification.event]} ${eventLabel(notification.event)}: ${incidentTitle(notification.incident, context)}`
  return { type: 'header', text: { type: 'plain_text', text: truncate(title, SLACK_MAX_HEADER_CHARS) } }
}

function summaryBlock(notification: Notification, context: AlertContext): SlackBlock {
  const { incident } = notification
  const { evidence } = incident.lastFinding
  const fields: [string, string][] = [
    ['Target', `${escapeMrkdwn(context.targetLabel)} (\`${incident.target}\`)`],
    ['Severity', incident.severity],
    ['Sites', listOrDash(evidence.sites)],
    ['Vantages', listOrDash(evidence.vantages)],
    ...(incident.lastFinding.paths === undefined ? [] : [['Paths', incident.lastFinding.paths.text === '' ? 'all' : incident.lastFinding.paths.text] as [string, string]]),
    ['Since', slackDate(incident.openedAt)],
  ]
  if (incident.resolvedAt !== null) fields.push(['Resolved', slackDate(incident.resolvedAt)])
  if (incident.flapping) fields.push(['Flapping', 'yes: it resolves only after a quiet window'])
  return {
    type: 'section',
    text: mrkdwn(truncateMrkdwn(`*${escapeMrkdwn(incident.lastFinding.summary)}*`, SLACK_MAX_SECTION_TEXT_CHARS)),
    fields: fields.map(([name, value]) => mrkdwn(truncateMrkdwn(`*${name}*\n${value}`, SLACK_MAX_FIELD_CHARS))),
  }
}

function listOrDash(values: readonly string[]): string {
  return values.length === 0 ? '-' : escapeMrkdwn(values.join(', '))
}

/** Shown in the reader's time zone by Slack; the ISO fallback is for clients that cannot. */
function slackDate(epochMs: number): string {
  return `<!date^${Math.floor(epochMs / 1000)}^{date_short_pretty} {time_secs}|${isoTime(epochMs)}>`
}

function evidenceLines(evidence: FindingEvidence): string[] {
  return evidence.latest.map((seen) => {
    const rtt = seen.rttMs === null ? '' : `, ${seen.rttMs} ms`
    const where = `${seen.transport} ${seen.address}`
    return escapeMrkdwn(`• ${seen.vantage} (${where}) → ${seen.site ?? 'no site'}: ${seen.outcome}${rtt}`)
  })
}

/** One line per AS path and per source, so that paths and peer counts read at a glance. */
function bgpLines(details: FindingEvidence['details']): string[] {
  return bgpDetailsOf(details).flatMap(({ label, value }) =>
    (Array.isArray(value) ? value : [value]).map((item) => escapeMrkdwn(`• ${label}: ${String(item)}`)),
  )
}

function detailLines(details: FindingEvidence['details']): string[] {
  return Object.entries(details).filter(([name]) => !isBgpDetail(name)).map(([name, value]) => {
    const shown = Array.isArray(value) ? value.join(', ') : String(value)
    return escapeMrkdwn(`• ${name}: ${shown}`)
  })
}

/** Packs lines into as few sections as the 3000-character limit allows; a title line starts the first. */
function linesToSections(title: string, lines: readonly string[]): SlackBlock[] {
  if (lines.length === 0) return []
  const texts: string[] = []
  let current = title
  for (const line of lines) {
    const fitted = truncateMrkdwn(line, SLACK_MAX_SECTION_TEXT_CHARS)
    if (current.length + 1 + fitted.length > SLACK_MAX_SECTION_TEXT_CHARS) {
      texts.push(current)
      current = fitted
    } else {
      current = `${current}\n${fitted}`
    }
  }
  texts.push(current)
  return texts.map((text) => ({ type: 'section', text: mrkdwn(text) }))
}

/** Keeps the first blocks that fit and says how many were left out (the status page has them all). */
function capBlocks(blocks: readonly SlackBlock[], maxBlocks: number): SlackBlock[] {
  if (blocks.length <= maxBlocks) return [...blocks]
  const kept = blocks.slice(0, maxBlocks - 1)
  const note = `_${blocks.length - kept.length} more sections of evidence are on the status page._`
  return [...kept, { type: 'context', elements: [mrkdwn(note)] }]
}

function linkBlock(incident: Incident, context: AlertContext): SlackBlock {
  const url = escapeMrkdwn(incidentUrl(context.statusPageUrl, incident.key))
  return { type: 'section', text: mrkdwn(`<${url}|View this incident on the status page>`) }
}

function footerBlock(notification: Notification): SlackBlock {
  const text = `anycast-monitor · incident ${notification.incident.key} · notification ${notification.id}`
  return { type: 'context', elements: [mrkdwn(truncateMrkdwn(escapeMrkdwn(text), SLACK_MAX_FIELD_CHARS))] }
}

function mrkdwn(text: string): SlackText {
  return { type: 'mrkdwn', text }
}
