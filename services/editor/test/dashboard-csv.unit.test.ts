import assert from 'node:assert/strict'
import { test } from 'node:test'
import { csvField, csvFilename, toCsv } from '../src/csv.ts'
import { groupDays, periodStart } from '../src/periods.ts'

test('dashboard csv - fields quoted, quotes doubled, formulas neutralised, CRLF lines', () => {
  assert.equal(csvField('plain'), '"plain"')
  assert.equal(csvField('say "hi"'), '"say ""hi"""')
  for (const start of ['=', '+', '-', '@', '\t', '\r']) {
    assert.equal(csvField(`${start}1+1`), `"'${start}1+1"`, JSON.stringify(start))
  }
  assert.equal(csvField('a,b\nc'), '"a,b\nc"')
  assert.equal(csvField(-3), '"-3"', 'numbers are numbers, not formulas')
  assert.equal(csvField(null), '""')
  assert.equal(toCsv(['a', 'b'], [[1, 'x']]), '"a","b"\r\n"1","x"\r\n')
  assert.equal(csvFilename('top', 'page', '2026-01-01'), 'inkstream-top-page-2026-01-01.csv')
  assert.equal(csvFilename('a"b;c/d'), 'inkstream-a_b_c_d.csv')
})

test('dashboard periods - weeks start on Monday, months on the 1st, gaps are zero', () => {
  assert.equal(periodStart('2026-03-04', 'week'), '2026-03-02') // a Wednesday
  assert.equal(periodStart('2026-03-08', 'week'), '2026-03-02') // the Sunday after
  assert.equal(periodStart('2026-03-09', 'week'), '2026-03-09')
  assert.equal(periodStart('2026-03-31', 'month'), '2026-03-01')
  const byDay = [
    { day: '2026-02-27', views: 1, uniques: 1 },
    { day: '2026-03-02', views: 2, uniques: 2 },
  ]
  assert.deepEqual(groupDays(byDay, '2026-02-27', '2026-03-02', 'month'), [
    { start: '2026-02-01', views: 1, uniques: 1 },
    { start: '2026-03-01', views: 2, uniques: 2 },
  ])
  assert.deepEqual(
    groupDays(byDay, '2026-02-27', '2026-03-02', 'day').map((p) => p.views),
    [1, 0, 0, 2],
  )
  assert.equal(groupDays([], '2025-03-03', '2026-03-02', 'day').length, 365)
})
