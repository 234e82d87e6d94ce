// The human-readable report of a Node runner summary.
import type { Summary } from './runner.ts'

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 2 : 1)} ms` : '-')
const pct = (v: number | null) =>
  v === null || !Number.isFinite(v) ? '-' : `${(v * 100).toFixed(2)}%`

function table(rows: string[][], indent = '  '): string {
  const widths: number[] = []
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length)
  }
  return rows
    .map(
      (row) =>
        indent +
        row
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
    )
    .join('\n')
}

/** Renders the summary as plain-text tables (phases, results, thresholds, verdict). */
export function formatSummary(summary: Summary): string {
  const { requests: r, latencyMs: l, cache: c } = summary
  const out: string[] = []
  const flags = [
    summary.truncated ? 'TRUNCATED by maxDurationSeconds' : '',
    summary.aborted ? 'ABORTED' : '',
  ]
    .filter(Boolean)
    .join(', ')
  out.push(
    `${summary.scenario} against ${summary.baseUrl}: ${summary.durationSeconds.toFixed(1)} s of load ` +
      `(planned ${summary.plannedSeconds} s, bound ${summary.maxDurationSeconds} s)${flags ? ` - ${flags}` : ''}`,
  )
  if (summary.slugs.count > 0) {
    out.push(
      `slugs: ${summary.slugs.count} (${summary.slugs.discovered} discovered), e.g. ${summary.slugs.sample.join(', ')}`,
    )
  }
  if (summary.journeys) {
    out.push(
      `journeys: ${summary.journeys.count} resolved; the first: ${summary.journeys.sample.map((s) => s.split(' ')[0]).join(' > ')}`,
    )
  }
  for (const warning of summary.warnings) out.push(`warning: ${warning}`)
  out.push('', 'phases')
  out.push(
    table([
      ['stage', 'conns', 'seconds', 'responses', 'req/s'],
      ...summary.phases.map((p) => [
        p.stage,
        String(p.connections),
        p.actualSeconds.toFixed(1),
        String(p.responses),
        p.actualSeconds > 0 ? (p.responses / p.actualSeconds).toFixed(0) : '-',
      ]),
    ]),
  )
  const statuses = Object.entries(r.byStatus)
    .map(([status, count]) => `${status}: ${count}`)
    .join(', ')
  const cache =
    c.hitRatio === null
      ? 'no X-Cache-Status header seen'
      : `${pct(c.hitRatio)} HIT (${Object.entries(c.counts)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')})`
  out.push('', 'results')
  out.push(
    table([
      ['requests', `${r.total} (${r.perSecond.toFixed(1)}/s)`],
      ['statuses', statuses || '-'],
      [
        'paths',
        Object.entries(summary.sentByPath)
          .map(([name, n]) => `${name}: ${n}`)
          .join(', '),
      ],
      [
        'failed',
        `${pct(r.failedRate)} (${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts)`,
      ],
      [
        'latency',
        `p50 ${ms(l.med)}  p95 ${ms(l.p95)}  p99 ${ms(l.p99)}  max ${ms(l.max)}  avg ${ms(l.avg)}`,
      ],
      ['cache', cache],
      ...(c.images.withHeader > 0 || summary.journeys
        ? [
            [
              'images cache',
              c.images.hitRatio === null
                ? 'no image response with X-Cache-Status'
                : `${pct(c.images.hitRatio)} HIT (${Object.entries(c.images.counts)
                    .map(([k, v]) => `${k} ${v}`)
                    .join(', ')})`,
            ],
          ]
        : []),
      ['checks', `${pct(summary.checks.rate)} (${summary.checks.fails} failed)`],
    ]),
  )
  out.push('', 'thresholds')
  out.push(
    summary.thresholds.length === 0
      ? '  (none)'
      : table(
          summary.thresholds.map((t) => [
            t.ok ? 'ok  ' : 'FAIL',
            t.metric,
            t.expression,
            t.actual === null ? 'no samples' : `actual ${t.actual}`,
          ]),
        ),
  )
  out.push('', summary.passed ? 'PASS' : 'FAIL')
  return out.join('\n')
}
