// Wall-clock times in the author's time zone, without Temporal (not in every browser yet):
// Intl tells the zone's offset at an instant, and the instant of a wall time is found from the
// offsets in effect around it.

const DAY_MS = 86_400_000
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/

const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formatters.set(timeZone, f)
  }
  return f
}

interface WallTime {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
}

/** The wall time in `timeZone` at the instant `ms`. */
function wallTimeAt(ms: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {}
  for (const part of formatter(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value)
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  }
}

const wallMs = (w: WallTime) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)

/** The zone's offset from UTC at the instant `ms`, in ms (east positive). */
export function offsetAt(ms: number, timeZone: string): number {
  const whole = Math.floor(ms / 1000) * 1000
  return wallMs(wallTimeAt(whole, timeZone)) - whole
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

function offsetText(offsetMs: number): string {
  const minutes = Math.round(offsetMs / 60_000)
  const sign = minutes < 0 ? '-' : '+'
  const abs = Math.abs(minutes)
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

/** RFC 3339 for the instant, written in the zone's wall time with its offset. */
export function formatInstant(ms: number, timeZone: string): string {
  const w = wallTimeAt(ms, timeZone)
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${offsetText(offsetAt(ms, timeZone))}`
}

export interface LocalInstant {
  /** RFC 3339 with the offset in effect then, e.g. `2026-03-29T03:30:00+02:00`. */
  at: string
  /** The instant, ms since the epoch. */
  ms: number
  /**
   * 'exact', 'gap' (the wall time does not exist that day: clocks jumped over it; it is moved
   * forward by the jump) or 'ambiguous' (it happens twice: the first is taken).
   */
  kind: 'exact' | 'gap' | 'ambiguous'
}

/**
 * The instant a `<input type="datetime-local">` value (`YYYY-MM-DDTHH:mm[:ss]`) names in
 * `timeZone`, resolved like Temporal's 'compatible' disambiguation; null when it is no such value.
 */
export function localToInstant(value: string, timeZone: string): LocalInstant | null {
  const m = LOCAL.exec(value)
  if (!m) return null
  const [year, month, day, hour, minute, second] = m.slice(1).map((s) => Number(s ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const wall = Date.UTC(year, month - 1, day, hour, minute, second)
  const check = new Date(wall)
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23) return null
  // 1. the offsets in effect a day before and a day after (zones change at most once a day)
  const before = offsetAt(wall - DAY_MS, timeZone)
  const after = offsetAt(wall + DAY_MS, timeZone)
  // 2. each offset that maps the wall time to an instant showing that very wall time
  const candidates = [...new Set([before, after])]
    .map((offset) => wall - offset)
    .filter((ms) => offsetAt(ms, timeZone) === wall - ms)
    .sort((a, b) => a - b)
  const first = candidates[0]
  if (first !== undefined) {
    const kind = candidates.length > 1 ? 'ambiguous' : 'exact'
    return { at: formatInstant(first, timeZone), ms: first, kind }
  }
  // 3. none: the clocks jumped over it; read it with the offset from before the jump
  const ms = wall - before
  return { at: formatInstant(ms, timeZone), ms, kind: 'gap' }
}

/** The `datetime-local` value showing the instant in `timeZone` (minutes precision). */
export function instantToLocal(ms: number, timeZone: string): string {
  const w = wallTimeAt(ms, timeZone)
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`
}

/** The browser's time zone, e.g. `Europe/Berlin`. */
export const browserTimeZone = (): string =>
  Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'

/** A short human date-time in the zone: "Tue, 1 Dec 2026, 21:30". */
export function describeInstant(iso: string, timeZone: string): string {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) return iso
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(ms))
}
