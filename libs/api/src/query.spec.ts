import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { iso } from './query.js';

describe('iso', () => {
  it('writes what toISOString writes, at the edges of days, months, leap years and centuries', () => {
    const edges = [
      '1970-01-01T00:00:00.000Z',
      '1999-12-31T23:59:59.999Z',
      '2000-02-29T12:00:00.001Z',
      '2000-03-01T00:00:00.010Z',
      '2024-02-29T23:59:59.100Z',
      '2026-11-28T18:21:07.042Z',
      '2100-02-28T00:00:00.000Z',
      '2100-03-01T00:00:00.000Z',
      '2400-02-29T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
    ];
    for (const text of edges) assert.equal(iso(Date.parse(text)), text);
  });

  it('writes what toISOString writes for any millisecond from 1970 to 9999', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    for (let index = 0; index < 20_000; index++) {
      const ms = Math.floor(random() * 253_402_300_800_000);
      assert.equal(iso(ms), new Date(ms).toISOString(), String(ms));
    }
  });

  it('leaves other values to toISOString, and nothing to null', () => {
    assert.equal(iso(null), null);
    assert.equal(iso(undefined), null);
    assert.equal(iso(-1), '1969-12-31T23:59:59.999Z');
    assert.equal(iso(253_402_300_800_000), '+010000-01-01T00:00:00.000Z');
    assert.equal(iso(1.5), '1970-01-01T00:00:00.001Z');
  });
});
