/**
 * A webhook becomes a durable run end to end, over real HTTP: intake answers at once, the
 * steps run (transform → if → http), the receiver gets the body and the Idempotency-Key,
 * and the API shows runs, steps, attempts and deliveries. Also the answers to bad requests.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { e2e, shared } from './support/e2e.js';
import type { ApiErrorBody, DeliveryView, Page, RunDetailView, RunView, WorkflowView } from './support/hookflow.js';

function ordersWorkflow(receiverUrl: string): string {
  return `
id: orders
name: Forward big orders
trigger:
  webhook:
    path: orders
steps:
  - id: summary
    type: transform
    expression: '{ "order": trigger.body.id, "total": $sum(trigger.body.items.price) }'
  - id: notify
    type: http
    if: steps.summary.total > 10
    method: POST
    url: "${receiverUrl}/orders/{{steps.summary.order}}"
    json: trigger.body
    timeout: 10s
    retry: { attempts: 1 }
`;
}

function auditWorkflow(receiverUrl: string): string {
  return `
id: audit
trigger:
  webhook:
    path: audit
steps:
  - id: record
    type: http
    method: POST
    url: "${receiverUrl}/audit"
    json: '{ "seen": trigger.body }'
`;
}

/** Line 9 holds an expression JSONata cannot parse. */
const BROKEN_WORKFLOW = `id: broken
name: Does not compile
trigger:
  webhook:
    path: broken
steps:
  - id: oops
    type: transform
    expression: 'trigger.body.((('
`;

/** Rejects what it gets only through intake: its step never matters. */
const STRICT_WORKFLOW = `id: strict
trigger:
  webhook:
    path: strict
steps:
  - id: noop
    type: transform
    expression: '1'
`;

describe('webhook to run', () => {
  // One server for the tests that each use their own workflow or hook path; booting takes seconds.
  const setup = shared(async ({ hookflow, receiver }) => {
    const target = await receiver();
    const server = await hookflow({
      workflows: {
        'orders.yaml': ordersWorkflow(target.url),
        'audit.yaml': auditWorkflow(target.url),
        'broken.yaml': BROKEN_WORKFLOW,
        'strict.yaml': STRICT_WORKFLOW,
      },
    });
    return { server, target };
  });

  e2e('a JSON webhook is acknowledged with 202 before its steps run, then runs transform → if → http to the receiver', async () => {
    const { server, target } = setup();
    // The receiver holds its answer, so the run cannot finish before the 202 is read.
    target.script('/orders/o-1', { status: 200, body: { accepted: 'o-1' }, delayMs: 1500 });
    const payload = {
      id: 'o-1',
      items: [
        { sku: 'a', price: 7 },
        { sku: 'b', price: 8 },
      ],
    };

    const ack = await server.hook('orders', payload);

    assert.equal(ack.status, 202, ack.text);
    assert.match(ack.body.deliveryId, /^[0-9a-f-]{36}$/);
    assert.match(ack.body.runId, /^[0-9a-f-]{36}$/);
    const early = await server.api<RunDetailView>(`/api/runs/${ack.body.runId}`);
    assert.equal(early.status, 200);
    assert.ok(
      ['queued', 'running'].includes(early.body.status),
      `the run is still in progress when the 202 arrives (got ${early.body.status})`,
    );

    const run = await server.waitForRun(ack.body.runId);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal(run.workflowId, 'orders');
    assert.equal(run.deliveryId, ack.body.deliveryId);
    assert.equal(run.error, null);
    assert.deepEqual(run.trigger.body, payload);
    assert.equal(run.trigger.deliveryId, ack.body.deliveryId);

    const requests = target.requestsTo('/orders/o-1');
    assert.equal(requests.length, 1);
    const [sent] = requests;
    assert.equal(sent!.method, 'POST');
    assert.deepEqual(sent!.json, payload);
    assert.match(String(sent!.headers['content-type']), /^application\/json/);
    assert.equal(sent!.idempotencyKey, `${ack.body.runId}.notify`);

    assert.deepEqual(
      run.steps.map((step) => [step.id, step.status]),
      [
        ['summary', 'succeeded'],
        ['notify', 'succeeded'],
      ],
    );
    const [summary, notify] = run.steps;
    assert.deepEqual(summary!.output, { order: 'o-1', total: 15 });
    assert.equal(summary!.attempts.length, 1);
    assert.equal(summary!.attempts[0]!.status, 'succeeded');
    assert.equal(notify!.attempts.length, 1);
    assert.equal(notify!.attempts[0]!.status, 'succeeded');
    assert.equal(notify!.attempts[0]!.httpStatus, 200);
    assert.equal(notify!.attempts[0]!.number, 1);
    assert.ok(notify!.attempts[0]!.startedAt && notify!.attempts[0]!.finishedAt, 'the attempt has a start and an end');
    const output = notify!.output as { status: number; body: unknown };
    assert.equal(output.status, 200);
    assert.deepEqual(output.body, { accepted: 'o-1' });

    const delivery = await server.api<DeliveryView>(`/api/deliveries/${ack.body.deliveryId}`);
    assert.equal(delivery.status, 200);
    assert.equal(delivery.body.outcome, 'accepted');
    assert.equal(delivery.body.status, 202);
    assert.equal(delivery.body.runId, ack.body.runId);
    assert.equal(delivery.body.workflowId, 'orders');
  });

  e2e('a step whose if is false is skipped and the run still succeeds without calling the receiver', async () => {
    const { server, target } = setup();

    const ack = await server.hook('orders', { id: 'small', items: [{ sku: 'a', price: 3 }] });
    assert.equal(ack.status, 202, ack.text);

    const run = await server.waitForRun(ack.body.runId);
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(
      run.steps.map((step) => [step.id, step.status]),
      [
        ['summary', 'succeeded'],
        ['notify', 'skipped'],
      ],
    );
    assert.deepEqual(target.requestsTo('/orders/small'), []);
  });

  e2e(
    'GET /api/runs filters by workflow and status, lists newest first, and pages with nextCursor without repeats',
    async ({ hookflow, receiver }) => {
      const target = await receiver();
      target.script('/orders/refused', { status: 400, body: { error: 'no' } });
      const server = await hookflow({
        workflows: { 'orders.yaml': ordersWorkflow(target.url), 'audit.yaml': auditWorkflow(target.url) },
      });

      // Sent one after another, so their order is the order of receipt.
      const sends: Array<[string, unknown]> = [
        ['orders', { id: 'a', items: [{ price: 20 }] }],
        ['audit', { n: 1 }],
        ['orders', { id: 'refused', items: [{ price: 50 }] }],
        ['orders', { id: 'b', items: [{ price: 1 }] }],
        ['audit', { n: 2 }],
        ['orders', { id: 'c', items: [{ price: 11 }] }],
      ];
      const created: Array<{ workflowId: string; runId: string }> = [];
      for (const [path, body] of sends) {
        const ack = await server.hook(path, body);
        assert.equal(ack.status, 202, ack.text);
        created.push({ workflowId: path, runId: ack.body.runId });
      }
      const finished = new Map<string, RunDetailView>();
      for (const { runId } of created) finished.set(runId, await server.waitForRun(runId));
      const refusedRunId = created[2]!.runId;
      assert.equal(finished.get(refusedRunId)!.status, 'failed');
      for (const { runId } of created.filter((run) => run.runId !== refusedRunId)) {
        assert.equal(finished.get(runId)!.status, 'succeeded', `run ${runId}`);
      }

      const newestFirst = created.map((run) => run.runId).reverse();
      const all = await server.api<Page<RunView>>('/api/runs');
      assert.equal(all.status, 200);
      assert.deepEqual(
        all.body.items.map((run) => run.id),
        newestFirst,
      );
      assert.equal(all.body.nextCursor, null);

      const orders = await server.api<Page<RunView>>('/api/runs?workflowId=orders');
      assert.deepEqual(
        orders.body.items.map((run) => run.id),
        created
          .filter((run) => run.workflowId === 'orders')
          .map((run) => run.runId)
          .reverse(),
      );
      assert.ok(orders.body.items.every((run) => run.workflowId === 'orders'));

      const failed = await server.api<Page<RunView>>('/api/runs?workflowId=orders&status=failed');
      assert.deepEqual(
        failed.body.items.map((run) => [run.id, run.status]),
        [[refusedRunId, 'failed']],
      );
      const auditFailed = await server.api<Page<RunView>>('/api/runs?workflowId=audit&status=failed');
      assert.deepEqual(auditFailed.body.items, []);
      const succeeded = await server.api<Page<RunView>>('/api/runs?status=succeeded');
      assert.deepEqual(
        succeeded.body.items.map((run) => run.id),
        newestFirst.filter((id) => id !== refusedRunId),
      );

      const walked: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 20; page += 1) {
        const query: string = cursor ? `/api/runs?limit=1&cursor=${encodeURIComponent(cursor)}` : '/api/runs?limit=1';
        const answer = await server.api<Page<RunView>>(query);
        assert.equal(answer.status, 200, answer.text);
        assert.ok(answer.body.items.length <= 1);
        walked.push(...answer.body.items.map((run) => run.id));
        cursor = answer.body.nextCursor;
        if (cursor === null) break;
      }
      assert.equal(cursor, null, 'the walk ends with nextCursor null');
      assert.deepEqual(walked, newestFirst, 'limit=1 pages visit every run once, newest first');

      const badStatus = await server.api<ApiErrorBody>('/api/runs?status=bogus');
      assert.equal(badStatus.status, 400);
      assert.equal(badStatus.body.error.code, 'INVALID_QUERY');
      const badCursor = await server.api<ApiErrorBody>('/api/runs?cursor=not-a-cursor');
      assert.equal(badCursor.status, 400);
      assert.equal(typeof badCursor.body.error.code, 'string');
    },
  );

  e2e('GET /api/workflows reports an invalid file with file:line:col errors while the valid workflows serve', async () => {
    const { server, target } = setup();

    const list = await server.api<{ items: WorkflowView[] }>('/api/workflows');
    assert.equal(list.status, 200);
    const byFile = new Map(list.body.items.map((workflow) => [workflow.file, workflow]));
    assert.deepEqual([...byFile.keys()].sort(), ['audit.yaml', 'broken.yaml', 'orders.yaml', 'strict.yaml']);

    const broken = byFile.get('broken.yaml')!;
    assert.equal(broken.status, 'invalid');
    assert.ok(broken.errors.length >= 1, 'the invalid workflow lists its errors');
    const [error] = broken.errors;
    assert.equal(error!.file, 'broken.yaml');
    assert.equal(error!.line, 9, `the error points at the expression's line: ${error!.text}`);
    assert.ok(error!.col >= 1);
    assert.match(error!.text, /^broken\.yaml:9:\d+: .+/);

    for (const file of ['orders.yaml', 'audit.yaml', 'strict.yaml']) {
      const workflow = byFile.get(file)!;
      assert.equal(workflow.status, 'active', file);
      assert.deepEqual(workflow.errors, [], file);
      assert.match(workflow.version ?? '', /.+/);
    }
    assert.equal(byFile.get('orders.yaml')!.webhookUrl, `${server.url}/hooks/orders`);

    const brokenHook = await server.hook<ApiErrorBody>('broken', { x: 1 });
    assert.equal(brokenHook.status, 404, 'a workflow that never compiled serves no hook');
    const ack = await server.hook('audit', { still: 'serving' });
    assert.equal(ack.status, 202, ack.text);
    const run = await server.waitForRun(ack.body.runId);
    assert.equal(run.status, 'succeeded');
    const received = target.requestsTo('/audit').filter((request) => request.idempotencyKey === `${ack.body.runId}.record`);
    assert.deepEqual(
      received.map((request) => request.json),
      [{ seen: run.trigger.body }],
    );
  });

  e2e('bad requests get the right status and an { error: { code, message } } body', async () => {
    const { server } = setup();
    const assertError = (answer: { status: number; body: unknown; text: string }, status: number, code?: string): void => {
      assert.equal(answer.status, status, answer.text);
      const body = answer.body as ApiErrorBody;
      assert.equal(typeof body?.error?.code, 'string', `error body: ${answer.text}`);
      assert.equal(typeof body.error.message, 'string');
      assert.ok(body.error.message.length > 0);
      if (code) assert.equal(body.error.code, code);
      assert.doesNotMatch(answer.text, /\n\s+at /, 'no stack trace in the body');
    };

    assertError(await server.hook('no-such-hook', { a: 1 }), 404, 'WORKFLOW_NOT_FOUND');
    assertError(await server.api('/no/such/path', { token: null }), 404);
    assertError(await server.api('/api/no-such-thing'), 404);
    assertError(await server.api(`/api/runs/${'0'.repeat(8)}-0000-7000-8000-${'0'.repeat(12)}`), 404, 'RUN_NOT_FOUND');

    const wrongMethod = await server.api<ApiErrorBody>('/hooks/strict', { method: 'GET', token: null });
    assertError(wrongMethod, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(wrongMethod.headers.get('allow'), 'POST');

    const before = await server.api<Page<RunView>>('/api/runs?workflowId=strict');
    const malformed = await server.hook<ApiErrorBody>('strict', '{"id": "x", items: [');
    assertError(malformed, 400, 'INVALID_BODY');
    const rejected = await server.api<Page<DeliveryView>>('/api/deliveries?workflowId=strict&outcome=rejected');
    assert.equal(rejected.status, 200);
    const invalidBody = rejected.body.items.filter((delivery) => delivery.reason === 'INVALID_BODY');
    assert.equal(invalidBody.length, 1, JSON.stringify(rejected.body.items));
    assert.equal(invalidBody[0]!.status, 400);
    assert.equal(invalidBody[0]!.outcome, 'rejected');
    assert.equal(invalidBody[0]!.runId, null);
    const detail = await server.api<DeliveryView>(`/api/deliveries/${invalidBody[0]!.id}`);
    assert.equal(detail.body.body, '{"id": "x", items: [', 'the rejected body is kept for inspection');
    const after = await server.api<Page<RunView>>('/api/runs?workflowId=strict');
    assert.deepEqual(
      after.body.items.map((run) => run.id),
      before.body.items.map((run) => run.id),
      'a rejected delivery creates no run',
    );

    assertError(await server.api('/api/runs', { token: null }), 401, 'UNAUTHORIZED');
    assertError(await server.api('/api/runs', { token: 'not-the-token' }), 401, 'UNAUTHORIZED');
    assertError(await server.api('/api/deliveries', { token: null }), 401, 'UNAUTHORIZED');
    assertError(await server.api('/api/workflows', { token: null }), 401, 'UNAUTHORIZED');
    assert.equal((await server.api('/api/runs')).status, 200);

    const health = await server.api('/health', { token: null });
    assert.equal(health.status, 200, health.text);
  });
});
