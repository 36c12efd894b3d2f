import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { v7 as uuidv7 } from 'uuid';
import { loadConfig } from '#libs/config';
import { DeliveryRepository, openStorage, RetentionRepository, type NewDelivery, type Storage } from '#libs/store';
import { RetentionJob } from './retention.job.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2026, 5, 1);

function delivery(receivedAt: number, runId: string | null): NewDelivery {
  return {
    id: uuidv7(),
    workflowId: 'w',
    receivedAt,
    method: 'POST',
    path: 'w',
    query: {},
    headers: {},
    body: '{}',
    bodyTruncated: false,
    ip: '127.0.0.1',
    status: runId ? 202 : 400,
    outcome: runId ? 'accepted' : 'rejected',
    reason: runId ? null : 'INVALID_BODY',
    message: null,
    runId,
    idempotencyKey: null,
  };
}

/** A delivery and its run, finished (or not) at `at`. */
async function seed(storage: Storage, at: number, status: 'succeeded' | 'failed' | 'queued'): Promise<string> {
  const runId = uuidv7();
  const received = delivery(at, runId);
  await new DeliveryRepository(storage.db).accept(received, {
    id: runId,
    workflowId: 'w',
    workflowVersion: 'v',
    deliveryId: received.id,
    triggerType: 'webhook',
    trigger: {},
    createdAt: at,
  });
  await storage.db.run(`INSERT INTO run_steps (run_id, step_id, position, status, attempts) VALUES (?, 'a', 0, 'succeeded', 1)`, [runId]);
  await storage.db.run(
    `INSERT INTO step_attempts (id, run_id, step_id, number, run_attempt, status, started_at) VALUES (?, ?, 'a', 1, 1, 'succeeded', ?)`,
    [uuidv7(), runId, at],
  );
  if (status !== 'queued') await storage.db.run(`UPDATE runs SET status = ?, finished_at = ? WHERE id = ?`, [status, at, runId]);
  return runId;
}

describe('RetentionJob', () => {
  it('purges finished runs, their steps and deliveries older than the retention period, and nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookflow-retention-'));
    const storage = await openStorage(`sqlite:${join(dir, 'db.sqlite')}`);
    try {
      const old = NOW - 40 * DAY;
      const recent = NOW - 5 * DAY;
      const purged = [await seed(storage, old, 'succeeded'), await seed(storage, old, 'failed')];
      const unfinished = await seed(storage, old, 'queued');
      const kept = await seed(storage, recent, 'succeeded');
      await new DeliveryRepository(storage.db).record(delivery(old, null));
      await new DeliveryRepository(storage.db).record(delivery(recent, null));

      const job = new RetentionJob(new RetentionRepository(storage.db), loadConfig({ HOOKFLOW_RETENTION_DAYS: '30' }));
      const totals = await job.purge(NOW);

      assert.deepEqual(totals, { runs: 2, deliveries: 3 });
      const runs = await storage.db.all<{ id: string }>('SELECT id FROM runs ORDER BY id');
      assert.deepEqual(runs.map((run) => run.id).sort(), [unfinished, kept].sort());
      for (const table of ['run_steps', 'step_attempts']) {
        const rows = await storage.db.all<{ run_id: string }>(`SELECT run_id FROM ${table}`);
        assert.ok(
          rows.every((row) => !purged.includes(row.run_id)),
          `${table} of purged runs are gone`,
        );
        assert.equal(rows.length, 2);
      }
      const deliveries = await storage.db.all<{ run_id: string | null; received_at: number }>('SELECT run_id, received_at FROM deliveries');
      assert.equal(deliveries.length, 3, "the unfinished run's delivery, the recent ones stay");
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('purges in batches until nothing is left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookflow-retention-'));
    const storage = await openStorage(`sqlite:${join(dir, 'db.sqlite')}`);
    try {
      for (let i = 0; i < 7; i += 1) await seed(storage, NOW - 40 * DAY, 'succeeded');
      const repository = new RetentionRepository(storage.db);
      assert.equal(await repository.purgeRuns(NOW - 30 * DAY, 3), 3);
      const job = new RetentionJob(repository, loadConfig({ HOOKFLOW_RETENTION_DAYS: '30' }));
      assert.deepEqual(await job.purge(NOW), { runs: 4, deliveries: 7 });
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
