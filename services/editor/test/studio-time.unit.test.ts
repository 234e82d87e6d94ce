import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  describeInstant,
  formatInstant,
  instantToLocal,
  localToInstant,
} from '../src/studio/time.ts'

describe('studio time', () => {
  test('time - a datetime-local value becomes the instant with the offset in effect then', () => {
    assert.deepEqual(localToInstant('2026-12-01T21:30', 'Europe/Berlin'), {
      at: '2026-12-01T21:30:00+01:00',
      ms: Date.parse('2026-12-01T20:30:00Z'),
      kind: 'exact',
    })
    assert.equal(
      localToInstant('2026-07-01T09:05', 'Europe/Berlin')?.at,
      '2026-07-01T09:05:00+02:00',
    )
    assert.equal(
      localToInstant('2026-07-01T09:05', 'America/New_York')?.at,
      '2026-07-01T09:05:00-04:00',
    )
    assert.equal(
      localToInstant('2026-07-01T09:05', 'Asia/Kolkata')?.at,
      '2026-07-01T09:05:00+05:30',
    )
    assert.equal(localToInstant('2026-07-01T09:05', 'UTC')?.at, '2026-07-01T09:05:00+00:00')
    assert.equal(localToInstant('2026-07-01T09:05:30', 'UTC')?.at, '2026-07-01T09:05:30+00:00')
  })

  test('time - the hour before and after a DST change keep their own offsets', () => {
    // Berlin goes to summer time on 2026-03-29 at 02:00 (+01:00 -> +02:00)
    assert.equal(
      localToInstant('2026-03-29T01:59', 'Europe/Berlin')?.at,
      '2026-03-29T01:59:00+01:00',
    )
    assert.equal(
      localToInstant('2026-03-29T03:00', 'Europe/Berlin')?.at,
      '2026-03-29T03:00:00+02:00',
    )
    // New York: 2026-03-08 at 02:00 (-05:00 -> -04:00)
    assert.equal(
      localToInstant('2026-03-08T01:30', 'America/New_York')?.at,
      '2026-03-08T01:30:00-05:00',
    )
    assert.equal(
      localToInstant('2026-03-08T03:30', 'America/New_York')?.at,
      '2026-03-08T03:30:00-04:00',
    )
  })

  test('time - a wall time the clocks skip is moved forward by the jump', () => {
    // 02:30 does not exist in Berlin on 2026-03-29: 01:30Z, shown as 03:30+02:00
    const gap = localToInstant('2026-03-29T02:30', 'Europe/Berlin')
    assert.deepEqual(gap, {
      at: '2026-03-29T03:30:00+02:00',
      ms: Date.parse('2026-03-29T01:30:00Z'),
      kind: 'gap',
    })
  })

  test('time - a wall time that happens twice is the first of the two', () => {
    // Berlin leaves summer time on 2026-10-25 at 03:00: 02:30 happens at +02:00, then at +01:00
    assert.deepEqual(localToInstant('2026-10-25T02:30', 'Europe/Berlin'), {
      at: '2026-10-25T02:30:00+02:00',
      ms: Date.parse('2026-10-25T00:30:00Z'),
      kind: 'ambiguous',
    })
    assert.equal(
      localToInstant('2026-10-25T03:30', 'Europe/Berlin')?.at,
      '2026-10-25T03:30:00+01:00',
    )
  })

  test('time - not a datetime-local value is null', () => {
    for (const value of [
      '',
      '2026-12-01',
      '2026-13-01T10:00',
      '2026-02-30T10:00',
      '2026-12-01T24:00',
      'tomorrow',
    ]) {
      assert.equal(localToInstant(value, 'Europe/Berlin'), null, value)
    }
  })

  test('time - an instant shown back in the input is the wall time typed', () => {
    for (const [value, zone] of [
      ['2026-12-01T21:30', 'Europe/Berlin'],
      ['2026-03-29T03:00', 'Europe/Berlin'],
      ['2026-11-01T01:15', 'America/New_York'],
      ['2027-01-01T00:00', 'Pacific/Auckland'],
    ] as const) {
      const instant = localToInstant(value, zone)
      assert.ok(instant)
      assert.equal(instantToLocal(instant.ms, zone), value)
      assert.equal(formatInstant(instant.ms, zone), instant.at)
      assert.equal(Date.parse(instant.at), instant.ms)
    }
    assert.match(describeInstant('2026-12-01T20:30:00Z', 'Europe/Berlin'), /1 Dec 2026.*21:30/)
  })
})
