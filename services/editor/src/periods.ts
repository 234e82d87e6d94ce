// Days grouped into weeks or months, for the dashboard's views-and-uniques series. Pure (the
// studio bundles it too). Days are UTC `YYYY-MM-DD`; a week starts on Monday (ISO), a month on
// its first day; a period is named by its first day.

export type Grouping = 'day' | 'week' | 'month'
export interface DayCount {
  day: string
  views: number
  uniques: number
}
export interface PeriodCount {
  /** First day of the period (may be before the range's first day for weeks and months). */
  start: string
  views: number
  uniques: number
}

const DAY_MS = 86_400_000
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const msOf = (day: string) => Date.parse(`${day}T00:00:00Z`)

/** Every day from..to (both included), in order. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = []
  for (let t = msOf(from), end = msOf(to); t <= end; t += DAY_MS) out.push(dayOf(t))
  return out
}

export function periodStart(day: string, by: Grouping): string {
  if (by === 'day') return day
  if (by === 'month') return `${day.slice(0, 7)}-01`
  const t = msOf(day)
  const weekday = (new Date(t).getUTCDay() + 6) % 7 // Monday 0
  return dayOf(t - weekday * DAY_MS)
}

/**
 * The range's counts per period, every period present (days without a count are 0), so a chart
 * shows the gaps. Uniques of a period are the sum of its days' (a visitor is one per day).
 */
export function groupDays(
  byDay: readonly DayCount[],
  from: string,
  to: string,
  by: Grouping,
): PeriodCount[] {
  const counts = new Map(byDay.map((d) => [d.day, d]))
  const out: PeriodCount[] = []
  let current: PeriodCount | undefined
  for (const day of daysBetween(from, to)) {
    const start = periodStart(day, by)
    if (!current || current.start !== start) {
      current = { start, views: 0, uniques: 0 }
      out.push(current)
    }
    const c = counts.get(day)
    if (c) {
      current.views += c.views
      current.uniques += c.uniques
    }
  }
  return out
}
