import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RetryPolicy } from '#libs/workflow';
import { isRetryableStatus, parseRetryAfter, retryDelayMs } from './retry-delay.js';

const exponential: RetryPolicy = { attempts: 5, backoff: 'exponential', delayMs: 1000, maxDelayMs: 600_000 };
const fixed: RetryPolicy = { attempts: 4, backoff: 'fixed', delayMs: 3000, maxDelayMs: 600_000 };
const capped: RetryPolicy = { attempts: 10, backoff: 'exponential', delayMs: 1000, maxDelayMs: 5000 };

describe('retryDelayMs', () => {
  // [policy name, policy, failed attempts, delay at random()=0, at 0.5, at 1]
  const delays: Array<[string, RetryPolicy, number, number, number, number]> = [
    ['exponential', exponential, 1, 500, 750, 1000],
    ['exponential', exponential, 2, 1000, 1500, 2000],
    ['exponential', exponential, 3, 2000, 3000, 4000],
    ['exponential', exponential, 4, 4000, 6000, 8000],
    ['fixed', fixed, 1, 1500, 2250, 3000],
    ['fixed', fixed, 2, 1500, 2250, 3000],
    ['fixed', fixed, 3, 1500, 2250, 3000],
    ['exponential capped at maxDelay', capped, 3, 2000, 3000, 4000],
    ['exponential capped at maxDelay', capped, 4, 2500, 3750, 5000],
    ['exponential capped at maxDelay', capped, 9, 2500, 3750, 5000],
    ['fixed capped at maxDelay', { ...fixed, maxDelayMs: 1000 }, 1, 500, 750, 1000],
  ];
  for (const [name, policy, failed, atZero, atHalf, atOne] of delays) {
    it(`waits half fixed, half random for ${name} after ${failed} failed attempt(s)`, () => {
      assert.deepEqual(
        [0, 0.5, 1].map((random) => retryDelayMs(policy, failed, () => random)),
        [atZero, atHalf, atOne],
      );
    });
  }

  const spent: Array<[string, RetryPolicy, number]> = [
    ['exponential', exponential, 5],
    ['exponential, past the end', exponential, 6],
    ['fixed', fixed, 4],
    ['a single attempt', { ...exponential, attempts: 1 }, 1],
  ];
  for (const [name, policy, failed] of spent) {
    it(`gives up once the attempts are spent (${name}, ${failed} failed)`, () => {
      assert.equal(
        retryDelayMs(policy, failed, () => 0.5),
        undefined,
      );
      assert.equal(
        retryDelayMs(policy, failed, () => 0.5, 1000),
        undefined,
        'Retry-After does not add attempts',
      );
    });
  }

  // [case, Retry-After in ms, expected delay]
  const retryAfter: Array<[string, number, number]> = [
    ['uses the Retry-After instead of the backoff', 7000, 7000],
    ['retries at once on Retry-After 0', 0, 0],
    ['treats a Retry-After in the past as 0', -5000, 0],
    ['caps a Retry-After at maxDelay', 3_600_000, 600_000],
  ];
  for (const [name, ms, expected] of retryAfter) {
    it(name, () => {
      for (const random of [0, 0.5, 1])
        assert.equal(
          retryDelayMs(exponential, 1, () => random, ms),
          expected,
        );
    });
  }

  it('ignores a Retry-After that is not a number', () => {
    assert.equal(
      retryDelayMs(exponential, 1, () => 0, Number.NaN),
      500,
    );
  });

  it('keeps a zero delay at zero however many attempts failed', () => {
    const policy: RetryPolicy = { attempts: 5000, backoff: 'exponential', delayMs: 0, maxDelayMs: 600_000 };
    assert.equal(
      retryDelayMs(policy, 1500, () => 1),
      0,
    );
  });

  it('stays at maxDelay when the exponential delay overflows', () => {
    const policy: RetryPolicy = { attempts: 5000, backoff: 'exponential', delayMs: 1000, maxDelayMs: 600_000 };
    assert.equal(
      retryDelayMs(policy, 1500, () => 1),
      600_000,
    );
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-01-01T00:00:00Z');
  const cases: Array<[string, string | undefined, number | undefined]> = [
    ['seconds', '120', 120_000],
    ['zero seconds', '0', 0],
    ['seconds with spaces around', ' 5 ', 5000],
    ['an IMF-fixdate', 'Mon, 01 Jan 2024 00:00:30 GMT', 30_000],
    ['an RFC 850 date', 'Monday, 01-Jan-24 00:00:30 GMT', 30_000],
    ['an asctime date, read as GMT', 'Mon Jan  1 00:00:30 2024', 30_000],
    ['a date in the past, as 0', 'Sun, 31 Dec 2023 23:00:00 GMT', 0],
    ['no header', undefined, undefined],
    ['an empty header', '', undefined],
    ['only spaces', '   ', undefined],
    ['a word', 'soon', undefined],
    ['a decimal', '1.5', undefined],
    ['a negative number', '-5', undefined],
    ['a number with a unit', '12abc', undefined],
    ['words and a number', 'foo 12', undefined],
    ['an exponent', '1e3', undefined],
    ['hex', '0x10', undefined],
    ['an ISO date (not an HTTP date)', '2024-01-01T00:00:30Z', undefined],
    ['a date with an impossible day', 'Mon, 45 Jan 2024 00:00:30 GMT', undefined],
    ['more seconds than can be counted', '9'.repeat(30), undefined],
  ];
  for (const [name, value, expected] of cases) {
    it(`reads ${name} → ${String(expected)}`, () => assert.equal(parseRetryAfter(value, now), expected));
  }
});

describe('isRetryableStatus', () => {
  const table: Array<[number, boolean]> = [
    [200, false],
    [201, false],
    [204, false],
    [301, false],
    [304, false],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [405, false],
    [408, true],
    [409, false],
    [410, false],
    [413, false],
    [422, false],
    [425, true],
    [429, true],
    [451, false],
    [499, false],
    [500, true],
    [501, true],
    [502, true],
    [503, true],
    [504, true],
    [599, true],
    [600, false],
    [999, false],
  ];
  for (const [status, retryable] of table) {
    it(`${retryable ? 'retries' : 'does not retry'} ${status}`, () => assert.equal(isRetryableStatus(status), retryable));
  }
});
