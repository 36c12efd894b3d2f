import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { loadConfig } from '#libs/config';
import { Metrics } from '#libs/metrics';
import {
  DeliveryRepository,
  openStorage,
  QueueStatsRepository,
  RunSignal,
  TRIGGER_FROM_DELIVERY,
  WorkflowVersionRepository,
  type Storage,
} from '#libs/store';
import { WorkflowRegistry } from '#libs/workflow';
import { RunnerHost } from './runner.host.js';
import { loadWorkflows } from './workflow-watcher.service.js';

const WORKFLOW = `id: greet
trigger:
  webhook: { path: greet }
steps:
  - id: hello
    type: transform
    expression: '{ "hello": trigger.body.name }'
`;

Logger.overrideLogger(false);

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A host over real storage with the `greet` workflow loaded, as the app builds it. */
async function hostOn(databaseUrl: (dir: string) => string) {
  const dir = mkdtempSync(join(tmpdir(), 'hookflow-host-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(join(dir, 'workflows', 'greet.yaml'), WORKFLOW);
  const config = loadConfig({ DATABASE_URL: databaseUrl(dir), HOOKFLOW_WORKFLOWS_DIR: join(dir, 'workflows') });
  const storage = await openStorage(config.databaseUrl);
  const registry = new WorkflowRegistry(config.workflowsDir, {});
  await loadWorkflows(registry, new WorkflowVersionRepository(storage.db), new Logger('test'));
  const signal = new RunSignal();
  const metrics = new Metrics(new QueueStatsRepository(storage.db));
  const host = new RunnerHost(config, storage, signal, metrics, registry);
  return { storage, signal, metrics, host, version: registry.get('greet')!.version };
}

/** Queues a run of `greet` as intake does, and wakes the runner. */
async function queue(storage: Storage, signal: RunSignal, version: string, name: string): Promise<string> {
  const deliveryId = uuidv7();
  const runId = uuidv7();
  const now = Date.now();
  await new DeliveryRepository(storage.db).accept(
    {
      id: deliveryId,
      workflowId: 'greet',
      receivedAt: now,
      method: 'POST',
      path: 'greet',
      query: {},
      headers: {},
      body: JSON.stringify({ name }),
      bodyTruncated: false,
      ip: '127.0.0.1',
      status: 202,
      outcome: 'accepted',
      reason: null,
      message: null,
      runId,
      idempotencyKey: null,
    },
    {
      id: runId,
      workflowId: 'greet',
      workflowVersion: version,
      deliveryId,
      triggerType: 'webhook',
      trigger: TRIGGER_FROM_DELIVERY,
      createdAt: now,
    },
  );
  signal.notify();
  return runId;
}

async function finished(storage: Storage, runId: string): Promise<{ status: string; output: string | null }> {
  for (let i = 0; i < 200; i++) {
    const [row] = await storage.db.all<{ status: string; output: string | null }>(
      `SELECT runs.status, run_steps.output FROM runs LEFT JOIN run_steps ON run_steps.run_id = runs.id WHERE runs.id = ?`,
      [runId],
    );
    if (row && ['succeeded', 'failed', 'cancelled'].includes(row.status)) return row;
    await sleep(25);
  }
  throw new Error(`run ${runId} did not finish`);
}

describe('RunnerHost', () => {
  it('executes runs in the runner thread, counts them on the main thread, and starts the thread again when it dies', async () => {
    // (The main thread's helper runner may take a run too, once nothing has been queued for a moment.)
    const { storage, signal, metrics, host, version } = await hostOn((dir) => `sqlite:${join(dir, 'db.sqlite')}`);
    try {
      await host.onApplicationBootstrap();
      const first = await queue(storage, signal, version, 'Ada');
      assert.deepEqual(await finished(storage, first), { status: 'succeeded', output: '{"hello":"Ada"}' });

      const current = () => (host as unknown as { worker: Worker | undefined }).worker;
      const thread = current();
      await thread!.terminate();
      for (let i = 0; i < 200 && (current() === undefined || current() === thread); i++) await sleep(25);
      assert.ok(current() && current() !== thread, 'a new runner thread was started');
      const second = await queue(storage, signal, version, 'Grace');
      assert.deepEqual(await finished(storage, second), { status: 'succeeded', output: '{"hello":"Grace"}' });

      await sleep(50); // the thread's counts arrive by message
      const runs = (await metrics.registry.getSingleMetric('hookflow_runs_total')?.get())?.values ?? [];
      assert.deepEqual(
        runs.map((sample) => [sample.labels, sample.value]),
        [[{ workflow: 'greet', status: 'succeeded' }, 2]],
      );
    } finally {
      await host.beforeApplicationShutdown();
      await storage.close();
    }
  });

  it('executes runs on the main thread when the database is sqlite::memory:', async () => {
    const { storage, signal, host, version } = await hostOn(() => 'sqlite::memory:');
    try {
      await host.onApplicationBootstrap();
      assert.equal((host as unknown as { worker: Worker | undefined }).worker, undefined);
      const runId = await queue(storage, signal, version, 'Linus');
      assert.deepEqual(await finished(storage, runId), { status: 'succeeded', output: '{"hello":"Linus"}' });
    } finally {
      await host.beforeApplicationShutdown();
      await storage.close();
    }
  });
});
