import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration, parseSize } from './duration.js';

describe('parseDuration', () => {
  const cases: Array<[string | number, number]> = [
    ['250ms', 250],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    [1200, 1200],
  ];
  for (const [input, expected] of cases) {
    it(`reads ${input} as ${expected} ms`, () => assert.equal(parseDuration(input), expected));
  }
  for (const input of ['', '10', 'ten s', '5 weeks', -1]) {
    it(`rejects ${JSON.stringify(input)}`, () => assert.throws(() => parseDuration(input), /invalid duration/));
  }
});

describe('parseSize', () => {
  const cases: Array<[string | number, number]> = [
    ['512kb', 512 * 1024],
    ['5mb', 5 * 1024 * 1024],
    ['1MB', 1024 * 1024],
    [100, 100],
  ];
  for (const [input, expected] of cases) {
    it(`reads ${input} as ${expected} bytes`, () => assert.equal(parseSize(input), expected));
  }
  it('rejects an unknown unit', () => assert.throws(() => parseSize('5tb'), /invalid size/));
});
