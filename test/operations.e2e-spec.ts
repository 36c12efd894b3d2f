/**
 * What an operator relies on day to day: hot reload with versions, cron ticks, retry /
 * replay / cancel through the API, the generated API token, SIGTERM, and HTTPS.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { describe } from 'node:test';
import { e2e } from './support/e2e.js';
import type { Page, RunDetailView, RunView, WorkflowView } from './support/hookflow.js';
import { expectRunsCounted } from './support/metrics.js';

const transform = (id: string, value: string) => `id: ${id}
steps:
  - id: answer
    type: transform
    expression: '{ "value": ${value} }'
`;

const failingHttp = (url: string) => `id: flaky
steps:
  - id: prepare
    type: transform
    expression: '{ "order": trigger.body.order }'
  - id: send
    type: http
    url: ${url}/orders
    json: steps.prepare
    retry: { attempts: 1 }
`;

describe('hot reload', () => {
  e2e('serves an edit, keeps a broken edit on the last valid version, and stops a deleted hook', async ({ hookflow }) => {
    const server = await hookflow({ workflows: { 'echo.yaml': transform('echo', '1') } });
    const first = await server.hook('echo', {});
    assert.equal(first.status, 202);
    const firstRun = await server.waitForRun(first.body.runId);
    assert.deepEqual(firstRun.steps[0]!.output, { value: 1 });

    writeFileSync(join(server.workflowsDir, 'echo.yaml'), transform('echo', '2'));
    await server.waitFor(
      async () => {
        const answer = await server.hook('echo', {});
        const run = await server.waitForRun(answer.body.runId);
        return (run.steps[0]!.output as { value: number }).value === 2;
      },
      10_000,
      'the edit to be served',
    );
    const again = await server.api<RunDetailView>(`/api/runs/${first.body.runId}`);
    assert.equal(again.body.workflowVersion, firstRun.workflowVersion, 'a finished run keeps its version');

    writeFileSync(join(server.workflowsDir, 'echo.yaml'), 'id: echo\nsteps: [\n');
    const broken = await server.waitFor(
      async () => {
        const answer = await server.api<WorkflowView>('/api/workflows/echo');
        return answer.body.status === 'invalid' ? answer.body : undefined;
      },
      10_000,
      'the broken edit to be reported',
    );
    assert.match(JSON.stringify(broken.errors), /echo\.yaml:\d+:\d+/);
    const served = await server.hook('echo', {});
    assert.equal(served.status, 202, 'the last valid version keeps serving');
    assert.deepEqual((await server.waitForRun(served.body.runId)).steps[0]!.output, { value: 2 });

    unlinkSync(join(server.workflowsDir, 'echo.yaml'));
    await server.waitFor(async () => (await server.hook('echo', {})).status === 404, 10_000, 'the deleted hook to answer 404');
  });

  e2e('finishes a run on the version it started with when the file changes meanwhile', async ({ hookflow, receiver }) => {
    const slow = await receiver({ fallback: { status: 200, body: { ok: true }, delayMs: 1500 } });
    const workflow = (label: string) => `id: versioned
steps:
  - id: call
    type: http
    url: ${slow.url}/call
    json: '{ "label": "${label}" }'
  - id: after
    type: transform
    expression: '"${label}"'
`;
    const server = await hookflow({ workflows: { 'versioned.yaml': workflow('old') } });
    const accepted = await server.hook('versioned', {});
    await server.waitFor(() => slow.requests.length === 1, 10_000, 'the first step to start');
    writeFileSync(join(server.workflowsDir, 'versioned.yaml'), workflow('new'));
    const run = await server.waitForRun(accepted.body.runId);
    assert.equal(run.status, 'succeeded');
    assert.equal(run.steps[1]!.output, 'old');
  });
});

describe('cron', () => {
  e2e('records each tick as a run whose trigger says when it was due', async ({ hookflow }) => {
    const server = await hookflow({
      workflows: {
        'tick.yaml': `id: tick
trigger:
  cron: "* * * * * *"
steps:
  - id: due
    type: transform
    expression: trigger.scheduledAt
`,
      },
    });
    const runs = await server.waitFor(
      async () => {
        const page = await server.api<Page<RunView>>('/api/runs?workflowId=tick&status=succeeded');
        return page.body.items.length >= 2 ? page.body.items : undefined;
      },
      15_000,
      'two cron runs',
    );
    const ticks = await Promise.all(runs.map(async (run) => (await server.api<RunDetailView>(`/api/runs/${run.id}`)).body));
    for (const tick of ticks) {
      assert.equal(tick.triggerType, 'cron');
      const due = (tick.trigger as unknown as { scheduledAt: string }).scheduledAt;
      assert.match(due, /:\d\d\.000Z$/, 'a tick is named by its scheduled second');
      assert.equal(tick.steps[0]!.output, due);
    }
    assert.equal(
      new Set(ticks.map((tick) => (tick.trigger as unknown as { scheduledAt: string }).scheduledAt)).size,
      ticks.length,
      'one run per tick',
    );
  });
});

describe('retry, replay and cancel', () => {
  e2e('retries a failed run from its failed step, keeping the finished one', async ({ hookflow, receiver }) => {
    const target = await receiver();
    target.script('/orders', { status: 400, body: { error: 'bad' } });
    const server = await hookflow({ workflows: { 'flaky.yaml': failingHttp(target.url) } });
    const accepted = await server.hook('flaky', { order: 7 });
    const failed = await server.waitForRun(accepted.body.runId);
    assert.equal(failed.status, 'failed');

    const conflict = await server.api<{ error: { code: string } }>(`/api/runs/${accepted.body.runId}/cancel`, { method: 'POST' });
    assert.equal(conflict.status, 409, 'a finished run cannot be cancelled');
    assert.equal(conflict.body.error.code, 'INVALID_STATE');

    const retried = await server.api<{ attempt: number }>(`/api/runs/${accepted.body.runId}/retry`, { method: 'POST' });
    assert.equal(retried.status, 202);
    const done = await server.waitForRun(accepted.body.runId, ['succeeded']);
    assert.equal(done.attempt, 2);
    assert.equal(done.steps[0]!.attempts.length, 1, 'the finished step was not executed again');
    assert.equal(done.steps[1]!.attempts.length, 2);
    assert.equal(target.requestsTo('/orders').length, 2);

    const again = await server.api(`/api/runs/${accepted.body.runId}/retry`, { method: 'POST' });
    assert.equal(again.status, 409, 'only a failed run can be retried');

    const replay = await server.api<{ runId: string }>(`/api/runs/${accepted.body.runId}/replay`, { method: 'POST' });
    assert.equal(replay.status, 202);
    assert.notEqual(replay.body.runId, accepted.body.runId);
    const replayed = await server.waitForRun(replay.body.runId);
    assert.equal(replayed.status, 'succeeded');
    assert.equal(replayed.deliveryId, done.deliveryId);
    assert.deepEqual(replayed.trigger.body, { order: 7 });

    const missing = await server.api('/api/runs/00000000-0000-7000-8000-000000000000/retry', { method: 'POST' });
    assert.equal(missing.status, 404);
  });

  e2e('cancels a run that is waiting for a retry', async ({ hookflow, receiver }) => {
    const target = await receiver({ fallback: { status: 503, body: 'busy' } });
    const server = await hookflow({
      workflows: {
        'waits.yaml': `id: waits
steps:
  - id: call
    type: http
    url: ${target.url}/busy
    retry: { attempts: 5, delay: 1h }
`,
      },
    });
    const accepted = await server.hook('waits', {});
    await server.waitForRun(accepted.body.runId, ['waiting']);
    const cancelled = await server.api<{ status: string }>(`/api/runs/${accepted.body.runId}/cancel`, { method: 'POST' });
    assert.equal(cancelled.status, 202);
    assert.equal(cancelled.body.status, 'cancelled');
    const run = await server.waitForRun(accepted.body.runId);
    assert.equal(run.status, 'cancelled');
    assert.deepEqual(run.error, { code: 'CANCELLED', message: 'cancelled by an operator', stepId: 'call' });
    assert.deepEqual(
      run.steps.map((step) => [step.id, step.status, step.attempts.map((attempt) => attempt.status)]),
      [['call', 'failed', ['failed']]],
      'the step waiting for its retry will not be retried: it failed',
    );
    assert.ok(run.steps[0]?.finishedAt, 'the closed step has an end');
    await expectRunsCounted(server, 'waits', { cancelled: 1 });
  });
  e2e('stops a running run before its next step when cancelled during a step', async ({ hookflow, receiver }) => {
    const target = await receiver();
    target.script('/slow', { status: 200, body: { ok: true }, delayMs: 1500 });
    const server = await hookflow({
      workflows: {
        'two.yaml': `id: two
steps:
  - id: call
    type: http
    url: ${target.url}/slow
  - id: after
    type: transform
    expression: '{ "reached": true }'
`,
      },
    });
    const accepted = await server.hook('two', {});
    await server.waitFor(() => target.requestsTo('/slow').length === 1, 10_000, 'the first step to be sending');
    const asked = await server.api<{ status: string; cancelRequested: boolean }>(`/api/runs/${accepted.body.runId}/cancel`, {
      method: 'POST',
    });
    assert.equal(asked.status, 202);
    assert.deepEqual([asked.body.status, asked.body.cancelRequested], ['running', true]);
    const run = await server.waitForRun(accepted.body.runId);
    assert.equal(run.status, 'cancelled');
    assert.deepEqual(
      run.steps.map((step) => [step.id, step.status]),
      [['call', 'succeeded']],
      'the step in flight finished; the next one never started',
    );
    await expectRunsCounted(server, 'two', { cancelled: 1 });
  });
  e2e('ends a run cancelled during a step that then fails, rather than waiting to retry it', async ({ hookflow, receiver }) => {
    const target = await receiver();
    target.script('/slow-busy', { status: 503, body: 'busy', delayMs: 1500 });
    const server = await hookflow({
      workflows: {
        'busy.yaml': `id: busy
steps:
  - id: call
    type: http
    url: ${target.url}/slow-busy
    retry: { attempts: 5, delay: 1h }
`,
      },
    });
    const accepted = await server.hook('busy', {});
    await server.waitFor(() => target.requestsTo('/slow-busy').length === 1, 10_000, 'the step to be sending');
    const asked = await server.api<{ status: string }>(`/api/runs/${accepted.body.runId}/cancel`, { method: 'POST' });
    assert.equal(asked.body.status, 'running');
    const run = await server.waitForRun(accepted.body.runId);
    assert.equal(run.status, 'cancelled', 'cancelled when the attempt failed, not after the hour-long retry delay');
    assert.deepEqual(run.error, { code: 'CANCELLED', message: 'cancelled by an operator', stepId: 'call' });
    assert.deepEqual(
      run.steps.map((step) => [step.id, step.status, step.attempts.map((attempt) => attempt.status)]),
      [['call', 'failed', ['failed']]],
    );
    await expectRunsCounted(server, 'busy', { cancelled: 1 });
  });
});

describe('process', () => {
  e2e('generates an API token at first start, stores it owner-only, prints it once, and keeps it', async ({ hookflow }) => {
    const server = await hookflow({ workflows: { 'echo.yaml': transform('echo', '1') }, env: { HOOKFLOW_API_TOKEN: '' } });
    const file = join(server.dir, 'api-token');
    assert.ok(existsSync(file));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const token = readFileSync(file, 'utf8').trim();
    assert.ok(token.length >= 40);
    assert.ok(server.logs().includes(token), 'printed once at generation');
    assert.equal((await server.api('/api/runs', { token: null })).status, 401, 'the API is never open');
    assert.equal((await server.api('/api/runs', { token })).status, 200);

    await server.restart();
    assert.equal(server.logs().split(token).length - 1, 1, 'not printed again');
    assert.equal((await server.api('/api/runs', { token })).status, 200);
  });

  e2e('exits 0 on SIGTERM after finishing what it acknowledged', async ({ hookflow }) => {
    const server = await hookflow({ workflows: { 'echo.yaml': transform('echo', '1') } });
    const accepted = await server.hook('echo', {});
    assert.equal(accepted.status, 202);
    const exited = new Promise<number | null>((resolve) => server.process.once('exit', (code) => resolve(code)));
    server.process.kill('SIGTERM');
    assert.equal(await exited, 0);
    await server.restart();
    assert.equal((await server.waitForRun(accepted.body.runId)).status, 'succeeded');
  });

  e2e('stops a second server started on the same SQLite file, and the first goes on', async ({ hookflow }) => {
    const workflows = { 'echo.yaml': transform('echo', '1') };
    const server = await hookflow({ workflows });
    await assert.rejects(hookflow({ workflows, dir: server.dir }), /another Hookflow process is using this file/);
    const accepted = await server.hook('echo', {});
    assert.equal((await server.waitForRun(accepted.body.runId)).status, 'succeeded');
  });

  e2e('serves HTTPS with HOOKFLOW_TLS_CERT and HOOKFLOW_TLS_KEY', async ({ hookflow }) => {
    const dir = join(process.cwd(), 'dist', `tls-${process.pid}-${Date.now()}`);
    execFileSync('mkdir', ['-p', dir]);
    try {
      const key = join(dir, 'key.pem');
      const cert = join(dir, 'cert.pem');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          key,
          '-out',
          cert,
          '-days',
          '1',
        ],
        { stdio: 'ignore' },
      );
      const server = await hookflow({
        workflows: { 'echo.yaml': transform('echo', '1') },
        env: { HOOKFLOW_TLS_CERT: cert, HOOKFLOW_TLS_KEY: key },
      });
      const url = new URL('/health', server.url.replace('http://', 'https://'));
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(url, { ca: readFileSync(cert) }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(answer.status, 200);
      assert.match(answer.body, /"status":"ok"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
