import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { HookRateLimiter, type RateLimiterFactory } from './rate-limiter.js';

const minute = { requests: 3, perMs: 60_000 };

async function consumeTimes(limiter: HookRateLimiter, times: number, workflowId: string, ip: string) {
  const decisions = [];
  for (let i = 0; i < times; i++) decisions.push(await limiter.consume(workflowId, minute, ip));
  return decisions;
}

describe('HookRateLimiter', () => {
  it('lets the allowed number of requests through', async () => {
    const decisions = await consumeTimes(new HookRateLimiter(), 3, 'github-push', '203.0.113.7');
    assert.deepEqual(decisions, [{ ok: true }, { ok: true }, { ok: true }]);
  });

  it('refuses the next request with a Retry-After of at least a second', async () => {
    const limiter = new HookRateLimiter();
    await consumeTimes(limiter, 3, 'github-push', '203.0.113.7');
    const decision = await limiter.consume('github-push', minute, '203.0.113.7');
    assert.ok(!decision.ok);
    assert.ok(decision.retryAfterSeconds >= 1 && decision.retryAfterSeconds <= 60, `got ${decision.retryAfterSeconds}`);
    assert.ok(Number.isInteger(decision.retryAfterSeconds));
  });

  it('keeps separate budgets per client IP', async () => {
    const limiter = new HookRateLimiter();
    await consumeTimes(limiter, 4, 'github-push', '203.0.113.7');
    assert.deepEqual(await limiter.consume('github-push', minute, '198.51.100.1'), { ok: true });
  });

  it('keeps separate budgets per workflow', async () => {
    const limiter = new HookRateLimiter();
    await consumeTimes(limiter, 4, 'github-push', '203.0.113.7');
    assert.deepEqual(await limiter.consume('stripe-invoice', minute, '203.0.113.7'), { ok: true });
  });

  it('starts a fresh budget when a workflow’s limit changes', async () => {
    const limiter = new HookRateLimiter();
    await consumeTimes(limiter, 4, 'github-push', '203.0.113.7');
    assert.deepEqual(await limiter.consume('github-push', { requests: 5, perMs: 60_000 }, '203.0.113.7'), { ok: true });
  });

  it('builds one limiter per workflow and limit through the factory, in whole seconds', async () => {
    const calls: Array<[number, number, string]> = [];
    const factory: RateLimiterFactory = (points, duration, keyPrefix) => {
      calls.push([points, duration, keyPrefix]);
      return new RateLimiterMemory({ points, duration, keyPrefix });
    };
    const limiter = new HookRateLimiter({ factory });
    await limiter.consume('a', { requests: 2, perMs: 1500 }, '203.0.113.7');
    await limiter.consume('a', { requests: 2, perMs: 1500 }, '198.51.100.1');
    await limiter.consume('b', { requests: 2, perMs: 1500 }, '203.0.113.7');
    await limiter.consume('a', { requests: 2, perMs: 500 }, '203.0.113.7');
    assert.deepEqual(calls, [
      [2, 2, 'hook:a:2/1500ms'],
      [2, 2, 'hook:b:2/1500ms'],
      [2, 1, 'hook:a:2/500ms'],
    ]);
  });

  it('passes on a store failure instead of calling it a rejection', async () => {
    const failing = new RateLimiterMemory({ points: 1, duration: 1 });
    failing.consume = () => Promise.reject(new Error('connection refused'));
    const limiter = new HookRateLimiter({ factory: () => failing });
    await assert.rejects(limiter.consume('a', minute, '203.0.113.7'), /connection refused/);
  });

  for (const limit of [
    { requests: 0, perMs: 1000 },
    { requests: 1.5, perMs: 1000 },
    { requests: 1, perMs: 0 },
    { requests: 1, perMs: Number.NaN },
  ]) {
    it(`throws for the invalid limit ${JSON.stringify(limit)}`, async () =>
      assert.rejects(new HookRateLimiter().consume('a', limit, '203.0.113.7'), /workflow "a": invalid rate limit/));
  }
});
