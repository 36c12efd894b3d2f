/**
 * kill -9 in the middle of the work: every acknowledged delivery's run still completes on
 * restart, finished steps are not repeated, and the only requests a receiver sees twice are
 * the ones that were in flight at the kill, recorded as `interrupted` attempts, always with
 * the same Idempotency-Key. A durable retry wait survives the restart too.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'node:test';
import Database from 'better-sqlite3';
import { e2e } from './support/e2e.js';
import type { Page, RunDetailView, RunView } from './support/hookflow.js';
import { expectRunsCounted } from './support/metrics.js';

const RUNS = 30;

describe('crash recovery', () => {
  e2e(
    'after kill -9 with runs in flight, a restart completes every acknowledged run; only interrupted attempts are sent twice',
    async ({ hookflow, receiver }, t) => {
      // Every answer takes 300 ms, so at any moment some requests are in flight.
      const target = await receiver({ fallback: { status: 200, body: { ok: true }, delayMs: 300 } });
      const server = await hookflow({
        workflows: {
          'crash.yaml': `
id: crash
trigger:
  webhook:
    path: crash
steps:
  - id: prepare
    type: transform
    expression: '{ "n": trigger.body.n, "doubled": trigger.body.n * 2 }'
  - id: deliver
    type: http
    method: POST
    url: "${target.url}/deliver"
    json: steps.prepare
    timeout: 10s
    retry: { attempts: 5, delay: 200ms, maxDelay: 1s }
`,
        },
        // A few runs at a time, so the kill finds some runs done, some in flight and some queued.
        env: { HOOKFLOW_WORKER_CONCURRENCY: '8' },
      });

      const acks = await Promise.all(Array.from({ length: RUNS }, (_, n) => server.hook('crash', { n })));
      for (const ack of acks) assert.equal(ack.status, 202, ack.text);
      const runIds = acks.map((ack) => ack.body.runId);
      assert.equal(new Set(runIds).size, RUNS);

      await server.waitFor(() => target.requests.length >= 12, 20_000, 'the receiver to see a dozen requests');
      await server.kill9();
      const seenAtKill = target.requests.length;
      assert.ok(seenAtKill < RUNS * 2, 'the kill came while work was left');

      await server.restart();

      const finished = await server.waitFor(
        async () => {
          const page = await server.api<Page<RunView>>('/api/runs?workflowId=crash&limit=100');
          const done = page.body.items.filter((run) => run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled');
          return done.length === RUNS ? page.body.items : undefined;
        },
        30_000,
        `all ${RUNS} runs to finish after the restart`,
      );
      assert.deepEqual(finished.map((run) => run.id).sort(), [...runIds].sort(), 'exactly the acknowledged runs exist');

      let interruptedTotal = 0;
      let sentTwice = 0;
      for (const [n, runId] of runIds.entries()) {
        const { body: run } = await server.api<RunDetailView>(`/api/runs/${runId}`);
        assert.equal(run.status, 'succeeded', `run ${runId}: ${JSON.stringify(run.error)}`);
        const prepare = run.steps.find((step) => step.id === 'prepare');
        const deliver = run.steps.find((step) => step.id === 'deliver');
        assert.equal(prepare?.status, 'succeeded');
        assert.equal(deliver?.status, 'succeeded');
        assert.deepEqual(prepare.output, { n, doubled: n * 2 });
        for (const step of [prepare, deliver]) {
          const succeeded = step.attempts.filter((attempt) => attempt.status === 'succeeded');
          assert.equal(succeeded.length, 1, `run ${runId} step ${step.id} succeeded exactly once: ${JSON.stringify(step.attempts)}`);
          assert.equal(step.attempts.at(-1)!.status, 'succeeded', 'nothing was attempted after the success');
          assert.ok(
            step.attempts.every((attempt) => attempt.status === 'succeeded' || attempt.status === 'interrupted'),
            `only interrupted attempts before the success: ${JSON.stringify(step.attempts)}`,
          );
        }
        const interrupted = deliver.attempts.filter((attempt) => attempt.status === 'interrupted').length;
        interruptedTotal += interrupted;

        const sent = target.requests.filter((request) => request.idempotencyKey === `${runId}.deliver`);
        assert.ok(sent.length >= 1, `the receiver saw run ${runId}'s request`);
        if (sent.length > 1) sentTwice += 1;
        assert.ok(
          sent.length <= 1 + interrupted,
          `run ${runId}: the receiver saw its key ${sent.length} times, but only ${interrupted} attempt(s) were interrupted by the kill`,
        );
        assert.ok(
          sent.every((request) => JSON.stringify(request.json) === JSON.stringify({ n, doubled: n * 2 })),
          'every copy carries the same body',
        );
      }
      t.diagnostic(`killed after ${seenAtKill} requests; ${interruptedTotal} attempts interrupted; ${sentTwice} keys seen more than once`);
      assert.ok(interruptedTotal >= 1, 'the kill interrupted at least one request in flight (else this test showed nothing)');
      const keys = new Set(target.requests.map((request) => request.idempotencyKey));
      assert.deepEqual([...keys].sort(), runIds.map((runId) => `${runId}.deliver`).sort(), 'the receiver saw no other keys');
    },
  );

  e2e(
    'a run waiting for a durable retry survives kill -9 and completes after the restart once the receiver recovers',
    async ({ hookflow, receiver }) => {
      const target = await receiver({ fallback: { status: 503, body: { error: 'down for maintenance' } } });
      const server = await hookflow({
        workflows: {
          'patient.yaml': `
id: patient
trigger:
  webhook:
    path: patient
steps:
  - id: deliver
    type: http
    method: POST
    url: "${target.url}/patient"
    json: trigger.body
    retry: { attempts: 10, backoff: fixed, delay: 1s, maxDelay: 1s }
`,
        },
      });

      const ack = await server.hook('patient', { order: 42 });
      assert.equal(ack.status, 202, ack.text);
      const runId = ack.body.runId;
      const waiting = await server.waitForRun(runId, ['waiting']);
      assert.ok(waiting.nextAttemptAt, 'a waiting run shows when it is tried next');
      assert.equal(waiting.steps.find((step) => step.id === 'deliver')?.attempts[0]?.httpStatus, 503);

      await server.kill9();
      target.setFallback({ status: 200, body: { ok: true } });
      await server.restart();

      const run = await server.waitForRun(runId);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      const deliver = run.steps.find((step) => step.id === 'deliver');
      assert.equal(deliver?.status, 'succeeded');
      assert.ok(deliver.attempts.length >= 2);
      assert.deepEqual([deliver.attempts[0]!.status, deliver.attempts[0]!.httpStatus], ['failed', 503]);
      assert.deepEqual(
        deliver.attempts.filter((attempt) => attempt.status === 'succeeded').map((attempt) => attempt.httpStatus),
        [200],
      );
      assert.equal(deliver.attempts.at(-1)!.status, 'succeeded');
      const sent = target.requestsTo('/patient');
      assert.ok(sent.length >= 2);
      assert.ok(sent.every((request) => request.idempotencyKey === `${runId}.deliver`));
      assert.equal(sent.at(-1)!.answered, 200);
      assert.deepEqual(sent.at(-1)!.json, { order: 42 });
    },
  );

  e2e(
    'a run cut short because another process held the database file is handed back and resumes once the file is free, before its lease ends',
    async ({ hookflow, receiver }) => {
      // The receiver answers late, so that the file is locked while the request is out.
      const target = await receiver({ fallback: { status: 200, body: { ok: true }, delayMs: 2000 } });
      const server = await hookflow({
        // Without the hand-back the run would wait out this lease.
        env: { HOOKFLOW_LEASE_MS: '600000' },
        workflows: {
          'locked.yaml': `
id: locked
trigger:
  webhook:
    path: locked
steps:
  - id: deliver
    type: http
    method: POST
    url: "${target.url}/locked"
    json: trigger.body
`,
        },
      });
      const ack = await server.hook('locked', { order: 7 });
      assert.equal(ack.status, 202, ack.text);
      const runId = ack.body.runId;
      await server.waitFor(() => target.requests.length === 1, 20_000, 'the request to reach the receiver');
      const locker = new Database(join(server.dir, 'hookflow.db'), { timeout: 10_000 });
      try {
        locker.exec('BEGIN IMMEDIATE');
        // The step's outcome cannot be recorded: after the busy timeout the run is cut short.
        await server.waitFor(() => server.logs().includes('run interrupted'), 30_000, 'the run to be cut short');
      } finally {
        if (locker.inTransaction) locker.exec('ROLLBACK');
        locker.close();
      }
      const run = await server.waitForRun(runId, ['succeeded'], 30_000);
      assert.match(server.logs(), /run handed back/);
      const deliver = run.steps.find((step) => step.id === 'deliver');
      assert.deepEqual(
        deliver?.attempts.map((attempt) => attempt.status),
        ['interrupted', 'succeeded'],
      );
      const sent = target.requestsTo('/locked');
      assert.equal(sent.length, 2, 'the request whose answer was not recorded was sent again');
      assert.ok(sent.every((request) => request.idempotencyKey === `${runId}.deliver`));
    },
    { timeout: 90_000 },
  );

  e2e('a run whose stored trigger is damaged fails alone; the runs claimed with it still run', async ({ hookflow }, t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hookflow-damaged-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const workflows = { 'echo.yaml': `id: echo\nsteps:\n  - id: copy\n    type: transform\n    expression: trigger.body\n` };
    // Intake alone first, so that both runs are still queued when the database is damaged.
    const web = await hookflow({ workflows, dir, env: { HOOKFLOW_ROLE: 'web' } });
    const damaged = await web.hook('echo', { n: 1 });
    const intact = await web.hook('echo', { n: 2 });
    await web.stop();
    const db = new Database(join(dir, 'hookflow.db'));
    db.prepare(`UPDATE runs SET trigger = '{"body": {' WHERE id = ?`).run(damaged.body.runId);
    db.close();

    const server = await hookflow({ workflows, dir });
    const failed = await server.waitForRun(damaged.body.runId);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'TRIGGER_UNREADABLE');
    assert.equal(failed.trigger, '{"body": {', 'the API shows the damaged text as it is stored');
    const replayed = await server.api<{ error?: { code: string } }>(`/api/runs/${damaged.body.runId}/replay`, { method: 'POST' });
    assert.equal(replayed.status, 409, replayed.text);
    assert.equal(replayed.body.error?.code, 'TRIGGER_UNREADABLE', 'a replay would only fail the same way: it is refused');
    assert.equal((await server.api<{ items: unknown[] }>(`/api/runs?workflowId=echo`)).body.items.length, 2, 'no run was queued');
    const done = await server.waitForRun(intact.body.runId);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.steps[0]?.output, { n: 2 });
    await expectRunsCounted(server, 'echo', { failed: 1, succeeded: 1 });
  });

  e2e('a run whose recorded step output is damaged fails instead of resuming from it', async ({ hookflow, receiver }, t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hookflow-damaged-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const target = await receiver({ fallback: { status: 503, body: 'busy' } });
    const workflows = {
      'later.yaml': `id: later
steps:
  - id: first
    type: transform
    expression: '{ "n": trigger.body.n }'
  - id: call
    type: http
    url: ${target.url}/later
    json: 'steps.first'
    retry: { attempts: 3, delay: 1s }
`,
    };
    const before = await hookflow({ workflows, dir });
    const accepted = await before.hook('later', { n: 1 });
    await before.waitForRun(accepted.body.runId, ['waiting']);
    await before.stop();
    const db = new Database(join(dir, 'hookflow.db'));
    db.prepare(`UPDATE run_steps SET output = '{"n": ' WHERE run_id = ? AND step_id = 'first'`).run(accepted.body.runId);
    db.prepare(`UPDATE step_attempts SET error = 'HTTP 5' WHERE run_id = ? AND step_id = 'call'`).run(accepted.body.runId);
    db.close();

    target.setFallback({ status: 200, body: { ok: true } });
    const server = await hookflow({ workflows, dir });
    const failed = await server.waitForRun(accepted.body.runId);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'OUTPUT_UNREADABLE');
    assert.equal(failed.error?.stepId, 'first');
    assert.equal(target.requestsTo('/later').length, 1, 'the step after it was not sent again with a guessed input');
    assert.equal(failed.steps.find((step) => step.id === 'first')?.output, '{"n": ', 'the API shows the damaged text as it is stored');
    assert.deepEqual(
      failed.steps.find((step) => step.id === 'call')?.attempts[0]?.error,
      { code: 'ERROR_UNREADABLE', message: 'the stored error is not valid JSON: HTTP 5' },
      'a damaged error is still an error object',
    );
    await expectRunsCounted(server, 'later', { failed: 1 });
  });
});
