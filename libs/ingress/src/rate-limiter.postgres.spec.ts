/** Shared rate limits: web processes on one PostgreSQL database spend one budget per client. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openStorage, type Storage } from '#libs/store';
import { createTestDatabase, WITH_POSTGRES, type TestDatabase } from '../../../test/support/postgres.js';
import { hookRateLimiterFor } from './rate-limiter.js';

const limit = { requests: 3, perMs: 60_000 };

if (WITH_POSTGRES)
  describe('HookRateLimiter on PostgreSQL', () => {
    let database: TestDatabase;
    let first: Storage;
    let second: Storage;

    before(async () => {
      database = await createTestDatabase();
      first = await openStorage(database.url);
      second = await openStorage(database.url);
    });

    after(async () => {
      await second?.close();
      await first?.close();
      await database?.drop();
    });

    it('shares one budget between processes, in the table the migration created', async () => {
      const processes = [hookRateLimiterFor(first), hookRateLimiterFor(second)];
      const decisions = [];
      for (let i = 0; i < 3; i++) decisions.push(await processes[i % 2]!.consume('orders', limit, '203.0.113.7'));
      assert.deepEqual(decisions, [{ ok: true }, { ok: true }, { ok: true }]);
      for (const limiter of processes) {
        const refused = await limiter.consume('orders', limit, '203.0.113.7');
        assert.equal(refused.ok, false);
      }
      assert.deepEqual(await processes[1]!.consume('orders', limit, '198.51.100.1'), { ok: true });
      const [row] = await first.db.all<{ points: number }>(`SELECT points FROM hookflow_rate_limits WHERE key LIKE ?`, ['%203.0.113.7']);
      assert.equal(row?.points, 5);
    });
  });
