import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dueTick, nextTickOf } from './cron-due.js';

const at = (iso: string) => Date.parse(iso);

describe('dueTick', () => {
  const cases: Array<[string, string, string | undefined, string, string, string, string]> = [
    [
      'fires on time',
      '*/15 * * * *',
      undefined,
      '2026-01-01T10:15:00Z',
      '2026-01-01T10:15:00.010Z',
      '2026-01-01T10:15:00Z',
      '2026-01-01T10:30:00Z',
    ],
    [
      'fires a little early',
      '*/15 * * * *',
      undefined,
      '2026-01-01T10:15:00Z',
      '2026-01-01T10:14:59.800Z',
      '2026-01-01T10:15:00Z',
      '2026-01-01T10:30:00Z',
    ],
    [
      'catches up after a stall',
      '* * * * *',
      undefined,
      '2026-01-01T10:00:00Z',
      '2026-01-01T10:03:20Z',
      '2026-01-01T10:03:00Z',
      '2026-01-01T10:04:00Z',
    ],
    [
      'six fields, seconds first',
      '*/10 * * * * *',
      undefined,
      '2026-01-01T10:00:10Z',
      '2026-01-01T10:00:10.200Z',
      '2026-01-01T10:00:10Z',
      '2026-01-01T10:00:20Z',
    ],
    [
      'in a time zone',
      '0 9 * * *',
      'Europe/Berlin',
      '2026-01-01T08:00:00Z',
      '2026-01-01T08:00:00.050Z',
      '2026-01-01T08:00:00Z',
      '2026-01-02T08:00:00Z',
    ],
  ];
  for (const [name, schedule, zone, expected, now, due, next] of cases) {
    it(name, () => {
      const result = dueTick(nextTickOf(schedule, zone), at(expected), at(now));
      assert.equal(new Date(result.due).toISOString(), new Date(at(due)).toISOString());
      assert.equal(new Date(result.next).toISOString(), new Date(at(next)).toISOString());
    });
  }

  it('names the first tick after now', () => {
    assert.equal(new Date(nextTickOf('0 * * * *')(at('2026-01-01T10:20:00Z'))).toISOString(), '2026-01-01T11:00:00.000Z');
  });
});
