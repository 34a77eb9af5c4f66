// Time spans and formatting for the status page. Times are epoch ms and shown in UTC: the page is
// rendered on the server, which does not know the reader's time zone.

export const MINUTE_MS = 60_000
export const HOUR_MS = 3_600_000
export const DAY_MS = 86_400_000

/** '2026-11-22 12:00 UTC' */
export function formatUtc(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`
}

/** '2026-11-22' */
export function formatUtcDate(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10)
}

/** '12:05' */
export function formatUtcClock(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 16)
}

/** '45 s', '12 min', '3 h 5 min', '2 d 4 h': the two largest units, rounded down. */
export function formatDuration(durationMs: number): string {
  const totalMinutes = Math.floor(Math.max(0, durationMs) / MINUTE_MS)
  if (totalMinutes < 1) return `${Math.floor(Math.max(0, durationMs) / 1000)} s`
  const days = Math.floor(totalMinutes / (24 * 60))
  const hours = Math.floor((totalMinutes % (24 * 60)) / 60)
  const minutes = totalMinutes % 60
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`
  if (hours > 0) return minutes > 0 ? `${hours} h ${minutes} min` : `${hours} h`
  return `${minutes} min`
}

/** '12.3 ms', '143 ms', or '–' without a value. */
export function formatRttMs(rttMs: number | null): string {
  if (rttMs === null || !Number.isFinite(rttMs)) return '–'
  return rttMs < 100 ? `${rttMs.toFixed(1)} ms` : `${Math.round(rttMs)} ms`
}

/** '99.95%', '100%', or '–' without a value. Never rounds up to 100% from below. */
export function formatPercent(fraction: number | null): string {
  if (fraction === null || !Number.isFinite(fraction)) return '–'
  if (fraction >= 1) return '100%'
  const hundredths = Math.floor(fraction * 10_000) / 100
  return `${hundredths.toFixed(2)}%`
}

/** Start of the UTC day that `epochMs` falls in. */
export function utcDayStart(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS) * DAY_MS
}

/** Start of the UTC hour that `epochMs` falls in. */
export function utcHourStart(epochMs: number): number {
  return Math.floor(epochMs / HOUR_MS) * HOUR_MS
}
