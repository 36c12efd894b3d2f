/**
 * What an operator sees of a running server: Prometheus metrics at /metrics, storage
 * readiness at /health, the OpenAPI document at /docs-json, and JSON log lines that
 * carry ids and never a secret — over real HTTP against the built server.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { e2e, shared } from './support/e2e.js';
import type { HookAccepted } from './support/hookflow.js';
import { metricSample as sample } from './support/metrics.js';

const SECRET = 'supersecret123';

/** `auth: header`: the x-api-key header must equal the secret S. */
const KEYED_WORKFLOW = `id: keyed
secrets: [S]
trigger:
  webhook:
    path: keyed
    auth: { type: header, header: x-api-key, secret: '{{secrets.S}}' }
steps:
  - id: echo
    type: transform
    expression: '{ "got": trigger.body }'
`;

/** `auth: token`: the secret is the last path segment, /hooks/tok/in/<S>. */
const TOKEN_WORKFLOW = `id: tokened
secrets: [S]
trigger:
  webhook:
    path: tok/in
    auth: { type: token, secret: '{{secrets.S}}' }
steps:
  - id: echo
    type: transform
    expression: '1'
`;

function plainWorkflow(id: string): string {
  return `id: ${id}
trigger:
  webhook:
    path: ${id}
steps:
  - id: echo
    type: transform
    expression: '1'
`;
}

/** The JSON lines of a server's output (the harness adds a few plain-text markers of its own). */
function jsonLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('observability', () => {
  const setup = shared(async ({ hookflow }) =>
    hookflow({ workflows: { 'counted.yaml': plainWorkflow('counted'), 'other.yaml': plainWorkflow('other') } }),
  );

  e2e('/metrics counts an accepted delivery and its finished run, without a token', async () => {
    const server = setup();
    const accepted = await server.hook<HookAccepted>('counted', { n: 1 });
    assert.equal(accepted.status, 202, accepted.text);
    await server.waitForRun(accepted.body.runId);
    const metrics = await server.waitFor(async () => {
      const answer = await server.api('/metrics', { token: null });
      return answer.text.includes('hookflow_runs_total{workflow="counted"') ? answer : undefined;
    });
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(sample(metrics.text, 'hookflow_deliveries_total{workflow="counted",outcome="accepted"}'), 1);
    assert.equal(sample(metrics.text, 'hookflow_runs_total{workflow="counted",status="succeeded"}'), 1);
    assert.equal(
      sample(metrics.text, 'hookflow_step_duration_seconds_count{workflow="counted",step="echo",type="transform",status="succeeded"}'),
      1,
    );
    assert.ok(Number.isFinite(sample(metrics.text, 'hookflow_queue_depth')));
    assert.ok(Number.isFinite(sample(metrics.text, 'hookflow_queue_oldest_age_seconds')));
    assert.match(metrics.text, /^process_resident_memory_bytes /m);
  });

  e2e('/metrics counts a rejected delivery under its outcome', async () => {
    const server = setup();
    const rejected = await server.hook('other', '{"not json', {});
    assert.equal(rejected.status, 400, rejected.text);
    const metrics = await server.api('/metrics', { token: null });
    assert.equal(sample(metrics.text, 'hookflow_deliveries_total{workflow="other",outcome="rejected"}'), 1);
    assert.equal(sample(metrics.text, 'hookflow_deliveries_total{workflow="other",outcome="accepted"}'), undefined);
  });

  e2e('/health answers 200 with storage up, without a token', async () => {
    const health = await setup().api<{ status: string; details: Record<string, { status: string }> }>('/health', { token: null });
    assert.equal(health.status, 200, health.text);
    assert.equal(health.body.status, 'ok');
    assert.equal(health.body.details.storage?.status, 'up');
  });

  e2e('/docs-json is an OpenAPI document of the API, and /docs serves its UI', async () => {
    const server = setup();
    const doc = await server.api<{ openapi: string; paths: Record<string, Record<string, { security?: unknown[] }>> }>('/docs-json', {
      token: null,
    });
    assert.equal(doc.status, 200, doc.text);
    assert.match(doc.body.openapi, /^3\./);
    for (const path of ['/api/runs', '/api/runs/{id}', '/api/deliveries', '/api/workflows', '/hooks/{path}', '/health', '/metrics']) {
      assert.ok(doc.body.paths[path], `${path} is documented`);
    }
    assert.ok(doc.body.paths['/api/runs']!.get!.security, '/api/runs declares bearer auth');
    const ui = await server.api('/docs', { token: null });
    assert.equal(ui.status, 200);
    assert.match(ui.headers.get('content-type') ?? '', /text\/html/);
  });
});

e2e('logs are JSON lines with request and delivery ids, and never a secret', async ({ hookflow }) => {
  const server = await hookflow({
    workflows: { 'keyed.yaml': KEYED_WORKFLOW, 'tokened.yaml': TOKEN_WORKFLOW },
    env: { S: SECRET, LOG_LEVEL: 'debug' },
  });
  const accepted = await server.hook<HookAccepted>('keyed', { hello: 'world' }, { headers: { 'x-api-key': SECRET } });
  assert.equal(accepted.status, 202, accepted.text);
  const requestId = accepted.headers.get('x-request-id');
  assert.ok(requestId, 'the answer names its request id');
  // The secret where a careless log would pick it up: a query string, a token path, a wrong key.
  const withQuery = await server.hook(`keyed?token=${SECRET}`, {}, { headers: { 'x-api-key': SECRET } });
  assert.equal(withQuery.status, 202, withQuery.text);
  const tokenPath = await server.hook(`tok/in/${SECRET}`, {});
  assert.equal(tokenPath.status, 202, tokenPath.text);
  const wrongKey = await server.hook('keyed', {}, { headers: { 'x-api-key': `${SECRET}-not` } });
  assert.equal(wrongKey.status, 401, wrongKey.text);
  await server.waitForRun(accepted.body.runId);

  const deliveryLine = await server.waitFor(() =>
    jsonLines(server.logs()).find((line) => line.deliveryId === accepted.body.deliveryId && line.outcome === 'accepted'),
  );
  assert.equal(deliveryLine.workflowId, 'keyed');
  assert.equal(deliveryLine.runId, accepted.body.runId);
  const requestLine = await server.waitFor(() => jsonLines(server.logs()).find((line) => line.reqId === requestId));
  assert.equal(requestLine.method, 'POST');
  assert.equal(requestLine.url, '/hooks/keyed');
  assert.equal(requestLine.status, 202);
  assert.equal(typeof requestLine.durationMs, 'number');
  await server.waitFor(() => jsonLines(server.logs()).some((line) => line.url === '/hooks/tok/in/***'));

  // Stopping flushes every buffered line; then the whole output is checked.
  await server.stop();
  const output = server.logs();
  for (const line of output.split('\n').filter((text) => text.startsWith('{'))) {
    assert.doesNotThrow(() => JSON.parse(line), `not a JSON line: ${line}`);
  }
  assert.ok(!output.includes(SECRET), 'the secret value appears in the output');
  assert.ok(!output.includes(server.token), 'the API token appears in the output');
});
