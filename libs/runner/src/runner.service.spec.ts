import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { ExecutionRun, RunQueueRepository } from '#libs/store';
import type { RunExecutor } from './run.executor.js';
import { RunnerService } from './runner.service.js';

const RUN: ExecutionRun = {
  id: 'run-1',
  workflowId: 'w',
  workflowVersion: 'v1',
  deliveryId: null,
  triggerType: 'cron',
  trigger: {},
  status: 'running',
  attempt: 1,
  cancelRequested: false,
};

describe('RunnerService', () => {
  it('does not start a second execution of a run it is still executing when a claim hands it back', async () => {
    // The second claim answers the same run, as after its lease ran out while heartbeats failed.
    let claims = 0;
    const queue = {
      claim: async () => (++claims <= 2 ? [RUN] : []),
      heartbeat: async () => 0,
      nextDueAt: async () => undefined,
      release: async () => 0,
    } as unknown as RunQueueRepository;
    const started: string[] = [];
    let finish = (): void => undefined;
    const executor = {
      execute: (run: ExecutionRun) => {
        started.push(run.id);
        return new Promise<void>((resolve) => (finish = resolve));
      },
    } as unknown as RunExecutor;
    const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };
    const service = new RunnerService(queue, executor, { concurrency: 32, leaseMs: 30_000, soleWorker: false }, silent);
    await service.start();
    await service.pump();
    for (let i = 0; i < 20 && claims < 2; i++) await tick();
    assert.equal(claims, 2);
    assert.deepEqual(started, ['run-1']);
    finish();
    await service.stop();
  });

  it('claims nothing while it is told to hold off, and claims once it is not', async () => {
    let claims = 0;
    const queue = {
      claim: async () => {
        claims++;
        return [];
      },
      heartbeat: async () => 0,
      nextDueAt: async () => undefined,
      release: async () => 0,
    } as unknown as RunQueueRepository;
    const executor = { execute: async () => undefined } as unknown as RunExecutor;
    let holdOff = 60_000;
    const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };
    const service = new RunnerService(
      queue,
      executor,
      { concurrency: 4, leaseMs: 30_000, soleWorker: false, holdOff: () => holdOff },
      silent,
    );
    await service.start();
    await service.pump();
    assert.equal(claims, 0);
    holdOff = 0;
    await service.pump();
    assert.equal(claims, 1);
    await service.stop();
  });

  it('hands a run that storage cut short back to the queue, due shortly, and leaves one that ended alone', async () => {
    const released: Array<{ runIds: readonly string[] | undefined; now: number; runAt: number | undefined }> = [];
    let claims = 0;
    const queue = {
      claim: async () => (++claims === 1 ? [RUN, { ...RUN, id: 'run-2' }] : []),
      heartbeat: async () => 0,
      nextDueAt: async () => undefined,
      release: async (_owner: string, now: number, runIds?: readonly string[], runAt?: number) => {
        released.push({ runIds, now, runAt });
        return 1;
      },
    } as unknown as RunQueueRepository;
    const executor = {
      execute: async (run: ExecutionRun) => (run.id === 'run-1' ? 'interrupted' : 'ended'),
    } as unknown as RunExecutor;
    const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };
    const service = new RunnerService(queue, executor, { concurrency: 4, leaseMs: 30_000, soleWorker: false }, silent);
    await service.start();
    await service.pump();
    for (let i = 0; i < 20 && released.length === 0; i++) await tick();
    await service.stop();
    assert.equal(released.length, 1);
    assert.deepEqual(released[0]!.runIds, ['run-1']);
    assert.ok(released[0]!.runAt! > released[0]!.now, 'due after a pause, not at once');
  });

  it('logs the first of a series of failed claims and the recovery, not every retry', async () => {
    let claims = 0;
    const queue = {
      claim: async () => {
        if (++claims <= 3) throw new Error('database is locked');
        return [];
      },
      heartbeat: async () => 0,
      nextDueAt: async () => undefined,
      release: async () => 0,
    } as unknown as RunQueueRepository;
    const executor = { execute: async () => 'ended' } as unknown as RunExecutor;
    const lines: Array<{ level: string; message: Record<string, unknown> }> = [];
    const logger = {
      log: (message: object) => lines.push({ level: 'info', message: message as Record<string, unknown> }),
      warn: (message: object) => lines.push({ level: 'warn', message: message as Record<string, unknown> }),
      error: (message: object) => lines.push({ level: 'error', message: message as Record<string, unknown> }),
    };
    const service = new RunnerService(queue, executor, { concurrency: 4, leaseMs: 30_000, soleWorker: false }, logger);
    await service.start();
    while (claims < 4) await service.pump();
    await service.stop();
    assert.deepEqual(
      lines.map(({ level, message }) => [level, message.msg, message.failures]),
      [
        ['error', 'could not claim runs; retrying every second', 1],
        ['info', 'claiming runs again', 3],
      ],
    );
  });
});
