/**
 * How http steps fail and retry against a real receiver: retryable answers are tried again
 * with the same Idempotency-Key (honouring Retry-After), other 4xx fail at once, spent
 * attempts fail the run, and workflow mistakes (a missing template name, an endless
 * expression) fail the step with a message that says where, without stopping other runs.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { e2e, shared } from './support/e2e.js';
import type { Hookflow, RunDetailView } from './support/hookflow.js';

/** A workflow whose one http step POSTs the webhook body to `<receiver>/<id>`. */
function callWorkflow(id: string, receiverUrl: string, retry: string): string {
  return `
id: ${id}
trigger:
  webhook:
    path: ${id}
steps:
  - id: call
    type: http
    method: POST
    url: "${receiverUrl}/${id}"
    json: trigger.body
    timeout: 5s
    retry: ${retry}
`;
}

const FAST_RETRY = '{ attempts: 3, delay: 100ms, maxDelay: 200ms }';

async function runOf(server: Hookflow, path: string, body: unknown): Promise<RunDetailView> {
  const ack = await server.hook(path, body);
  assert.equal(ack.status, 202, ack.text);
  return server.waitForRun(ack.body.runId);
}

function callStep(run: RunDetailView): RunDetailView['steps'][number] {
  const step = run.steps.find((candidate) => candidate.id === 'call');
  assert.ok(step, `run ${run.id} has a "call" step: ${JSON.stringify(run.steps)}`);
  return step;
}

describe('retries and step failures', () => {
  // One server, one workflow and receiver path per test: booting Hookflow takes seconds.
  const setup = shared(async ({ hookflow, receiver }) => {
    const target = await receiver();
    const server = await hookflow({
      workflows: {
        'flaky.yaml': callWorkflow('flaky', target.url, FAST_RETRY),
        'throttled.yaml': callWorkflow('throttled', target.url, '{ attempts: 3, delay: 100ms, maxDelay: 5s }'),
        'refused.yaml': callWorkflow('refused', target.url, FAST_RETRY),
        'exhausted.yaml': callWorkflow('exhausted', target.url, '{ attempts: 2, delay: 100ms, maxDelay: 200ms }'),
        'healthy.yaml': callWorkflow('healthy', target.url, FAST_RETRY),
        'template.yaml': `
id: template
trigger:
  webhook:
    path: template
steps:
  - id: notify
    type: http
    method: POST
    url: "${target.url}/template/{{trigger.body.customer.email}}"
    json: trigger.body
    retry: ${FAST_RETRY}
`,
        'recursive.yaml': `
id: recursive
trigger:
  webhook:
    path: recursive
steps:
  - id: explode
    type: transform
    expression: '( $grow := function($n) { 1 + $grow($n + 1) }; $grow(0) )'
  - id: never
    type: http
    method: POST
    url: "${target.url}/recursive"
    json: steps.explode
`,
        'looping.yaml': `
id: looping
trigger:
  webhook:
    path: looping
steps:
  - id: spin
    type: transform
    expression: '( $loop := function($n) { $loop($n + 1) }; $loop(0) )'
`,
      },
    });
    return { server, target };
  });

  e2e('a 503 then a 200 ends succeeded after 2 attempts, both sent with the same Idempotency-Key', async () => {
    const { server, target } = setup();
    target.script('/flaky', { status: 503, body: { error: 'busy' } }, { status: 200, body: { ok: 'second time' } });

    const run = await runOf(server, 'flaky', { n: 1 });

    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    const step = callStep(run);
    assert.equal(step.status, 'succeeded');
    assert.deepEqual(
      step.attempts.map((attempt) => [attempt.number, attempt.status, attempt.httpStatus]),
      [
        [1, 'failed', 503],
        [2, 'succeeded', 200],
      ],
    );
    assert.equal(step.attempts[0]!.error?.code, 'HTTP_STATUS');
    assert.deepEqual((step.output as { body: unknown }).body, { ok: 'second time' });
    const requests = target.requestsTo('/flaky');
    assert.deepEqual(
      requests.map((request) => request.idempotencyKey),
      [`${run.id}.call`, `${run.id}.call`],
    );
    assert.deepEqual(
      requests.map((request) => request.json),
      [{ n: 1 }, { n: 1 }],
    );
  });

  e2e('a 429 with Retry-After: 1 is retried no sooner than a second later and then succeeds', async () => {
    const { server, target } = setup();
    target.script('/throttled', { status: 429, headers: { 'retry-after': '1' }, body: { error: 'slow down' } }, { status: 200 });

    const run = await runOf(server, 'throttled', { n: 2 });

    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    const step = callStep(run);
    assert.deepEqual(
      step.attempts.map((attempt) => [attempt.status, attempt.httpStatus]),
      [
        ['failed', 429],
        ['succeeded', 200],
      ],
    );
    // The policy alone would wait 50–100 ms; only Retry-After explains a wait of a second.
    const waited = Date.parse(step.attempts[1]!.startedAt!) - Date.parse(step.attempts[0]!.finishedAt!);
    assert.ok(waited >= 950, `the second attempt waited for Retry-After (waited ${waited} ms)`);
    assert.equal(target.requestsTo('/throttled').length, 2);
  });

  e2e('a 400 fails the run at once with one attempt', async () => {
    const { server, target } = setup();
    target.script('/refused', { status: 400, body: { error: 'bad input' } }, { status: 200 });

    const run = await runOf(server, 'refused', { n: 3 });

    assert.equal(run.status, 'failed');
    assert.equal(run.error?.code, 'HTTP_STATUS');
    assert.match(run.error?.message ?? '', /400/);
    const step = callStep(run);
    assert.equal(step.status, 'failed');
    assert.deepEqual(
      step.attempts.map((attempt) => [attempt.status, attempt.httpStatus]),
      [['failed', 400]],
    );
    assert.equal(target.requestsTo('/refused').length, 1);
  });

  e2e('when every attempt gets a 500 the run fails after the policy’s 2 attempts', async () => {
    const { server, target } = setup();
    // A third 500 ready, so an extra attempt would show up as one more failure rather than a success.
    target.script('/exhausted', { status: 500 }, { status: 500 }, { status: 500 });

    const run = await runOf(server, 'exhausted', { n: 4 });

    assert.equal(run.status, 'failed');
    assert.equal(run.error?.code, 'HTTP_STATUS');
    const step = callStep(run);
    assert.equal(step.status, 'failed');
    assert.deepEqual(
      step.attempts.map((attempt) => [attempt.number, attempt.status, attempt.httpStatus]),
      [
        [1, 'failed', 500],
        [2, 'failed', 500],
      ],
    );
    assert.deepEqual(
      target.requestsTo('/exhausted').map((request) => request.idempotencyKey),
      [`${run.id}.call`, `${run.id}.call`],
    );
  });

  e2e('a template naming a missing field fails the step with a message naming workflow, step, template and name', async () => {
    const { server, target } = setup();

    const run = await runOf(server, 'template', { customer: { name: 'Ada' } });

    assert.equal(run.status, 'failed');
    const step = run.steps.find((candidate) => candidate.id === 'notify');
    assert.equal(step?.status, 'failed');
    assert.equal(step.attempts.length, 1, 'a template error is not retried');
    const message = step.error?.message ?? '';
    assert.equal(step.error?.code, 'TEMPLATE_FAILED');
    assert.match(message, /"template"/, `names the workflow: ${message}`);
    assert.match(message, /"notify"/, `names the step: ${message}`);
    assert.match(message, /\burl\b/, `names the template: ${message}`);
    assert.match(message, /trigger\.body\.customer\.email/, `names the missing name: ${message}`);
    assert.equal(run.error?.message, message);
    assert.deepEqual(
      target.requests.filter((request) => request.path.startsWith('/template')),
      [],
      'nothing was sent',
    );
  });

  e2e('an endlessly recursive JSONata expression fails its step with a clear error while another workflow’s run succeeds', async () => {
    const { server, target } = setup();
    const [recursive, looping, healthy] = await Promise.all([
      runOf(server, 'recursive', { n: 5 }),
      runOf(server, 'looping', { n: 6 }),
      runOf(server, 'healthy', { n: 7 }),
    ]);

    for (const [run, stepId] of [
      [recursive, 'explode'],
      [looping, 'spin'],
    ] as const) {
      assert.equal(run.status, 'failed', `${run.workflowId}: ${JSON.stringify(run.error)}`);
      const step = run.steps.find((candidate) => candidate.id === stepId);
      assert.equal(step?.status, 'failed');
      assert.equal(step.error?.code, 'EXPRESSION_FAILED');
      const message = step.error?.message ?? '';
      assert.match(message, new RegExp(`"${stepId}"`), message);
      assert.match(message, new RegExp(`"${run.workflowId}"`), message);
      assert.match(message, /depth|recurs|longer than/i, `says why: ${message}`);
    }
    assert.equal(
      recursive.steps.find((step) => step.id === 'never'),
      undefined,
      'no later step runs',
    );
    assert.equal(target.requestsTo('/recursive').length, 0);

    assert.equal(healthy.status, 'succeeded', JSON.stringify(healthy.error));
    assert.deepEqual(
      target.requestsTo('/healthy').map((request) => request.json),
      [{ n: 7 }],
    );
    const health = await server.api('/health', { token: null });
    assert.equal(health.status, 200, 'the server still serves');
  });
});
