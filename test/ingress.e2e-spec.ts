/**
 * SPEC §3 over real HTTP against real server processes: every row of the intake table (404,
 * 405, 403, 429, 413, 401 for every auth type and preset, 415, 400, 422, filtered, duplicate,
 * 202, 503), what each leaves in the delivery log (outcome, status, reason, masked headers,
 * capped body) and that only accepted deliveries start runs. Also the HTTP server's own
 * defences: oversized uploads and clients that drip their headers.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe } from 'node:test';
import { sign as githubSign } from '@octokit/webhooks-methods';
import Database from 'better-sqlite3';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { e2e, shared } from './support/e2e.js';
import type { ApiErrorBody, DeliveryView, Hookflow, HookAccepted, Page, RunDetailView, RunView } from './support/hookflow.js';
import { dripHeaders, streamBody } from './support/ingress.js';

// ---- the workflows ----

interface WebhookOptions {
  /** YAML lines under `webhook:` besides the path, indented by four spaces. */
  lines?: string[];
  secrets?: string[];
}

function workflow(id: string, { lines = [], secrets = [] }: WebhookOptions = {}): string {
  return [
    `id: ${id}`,
    ...(secrets.length > 0 ? [`secrets: [${secrets.join(', ')}]`] : []),
    'trigger:',
    '  webhook:',
    `    path: ${id}`,
    ...lines.map((line) => `    ${line}`),
    'steps:',
    '  - id: noop',
    '    type: transform',
    `    expression: '1'`,
    '',
  ].join('\n');
}

function authed(id: string, secret: string, auth: string[], lines: string[] = []): string {
  return workflow(id, { secrets: [secret], lines: ['auth:', ...auth.map((line) => `  ${line}`), ...lines] });
}

const SECRETS = {
  GITHUB_SECRET: `gh-${randomBytes(12).toString('hex')}`,
  STRIPE_SECRET: `whsec_${randomBytes(12).toString('hex')}`,
  SW_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
  SHOPIFY_SECRET: `shpss_${randomBytes(12).toString('hex')}`,
  SLACK_SECRET: `slack-${randomBytes(12).toString('hex')}`,
  GENERIC_SECRET: `generic-${randomBytes(12).toString('hex')}`,
  TOKEN_SECRET: `tok-${randomBytes(12).toString('hex')}`,
  BEARER_SECRET: `bearer-${randomBytes(12).toString('hex')}`,
  BASIC_SECRET: `hooks:pa ss-${randomBytes(6).toString('hex')}`,
  HEADER_SECRET: `hdr-${randomBytes(12).toString('hex')}`,
  LIMIT_SECRET: `limit-${randomBytes(12).toString('hex')}`,
};

const SCHEMA = [
  'schema:',
  '  type: object',
  '  required: [id, amount]',
  '  properties:',
  '    id: { type: string }',
  '    amount: { type: number, minimum: 0 }',
  '    items:',
  '      type: array',
  '      items:',
  '        type: object',
  '        required: [sku]',
  '        properties:',
  '          sku: { type: string }',
];

const MAIN_WORKFLOWS: Record<string, string> = {
  'intake.yaml': workflow('intake', { lines: ['methods: [POST, PUT]'] }),
  'guarded.yaml': workflow('guarded', { lines: ['allowIps: [10.0.0.0/8, "2001:db8::/32"]'] }),
  'limited.yaml': authed(
    'limited',
    'LIMIT_SECRET',
    ['type: bearer', 'secret: "{{secrets.LIMIT_SECRET}}"'],
    ['rateLimit: { requests: 3, per: 1m }'],
  ),
  'small.yaml': workflow('small', { lines: ['maxBody: 1kb'] }),
  'bulk.yaml': workflow('bulk', { lines: ['maxBody: 1kb'] }),
  'roomy.yaml': workflow('roomy'),
  'github.yaml': authed('github', 'GITHUB_SECRET', ['type: hmac', 'preset: github', 'secret: "{{secrets.GITHUB_SECRET}}"']),
  'stripe.yaml': authed('stripe', 'STRIPE_SECRET', ['type: hmac', 'preset: stripe', 'secret: "{{secrets.STRIPE_SECRET}}"']),
  'sw.yaml': authed('sw', 'SW_SECRET', ['type: hmac', 'preset: standard-webhooks', 'secret: "{{secrets.SW_SECRET}}"']),
  'shopify.yaml': authed('shopify', 'SHOPIFY_SECRET', ['type: hmac', 'preset: shopify', 'secret: "{{secrets.SHOPIFY_SECRET}}"']),
  'slack.yaml': authed('slack', 'SLACK_SECRET', ['type: hmac', 'preset: slack', 'secret: "{{secrets.SLACK_SECRET}}"']),
  'generic.yaml': authed('generic', 'GENERIC_SECRET', [
    'type: hmac',
    'preset: generic',
    'secret: "{{secrets.GENERIC_SECRET}}"',
    'header: X-Digest',
    'algorithm: sha512',
    'encoding: base64',
    'prefix: "sha512="',
  ]),
  'tok.yaml': authed('tok', 'TOKEN_SECRET', ['type: token', 'secret: "{{secrets.TOKEN_SECRET}}"']),
  'bearer.yaml': authed('bearer', 'BEARER_SECRET', ['type: bearer', 'secret: "{{secrets.BEARER_SECRET}}"']),
  'basic.yaml': authed('basic', 'BASIC_SECRET', ['type: basic', 'secret: "{{secrets.BASIC_SECRET}}"']),
  'header.yaml': authed('header', 'HEADER_SECRET', ['type: header', 'header: X-Partner-Key', 'secret: "{{secrets.HEADER_SECRET}}"']),
  'schema.yaml': workflow('schema', { lines: SCHEMA }),
  'filtered.yaml': workflow('filtered', { lines: [`filter: 'body.ref = "refs/heads/main"'`] }),
  'idem.yaml': workflow('idem', { lines: [`idempotencyKey: 'headers."x-delivery-id"'`] }),
  'idem-race.yaml': workflow('idem-race', { lines: [`idempotencyKey: 'body.event'`] }),
};

/** The default body limit on the main server, so that a workflow without maxBody has a small one. */
const MAIN_MAX_BODY = 256 * 1024;
/** The ingress keeps this much of a rejected body (REJECTED_BODY_CAP). */
const REJECTED_BODY_CAP = 64 * 1024;

// ---- sending and looking ----

interface Sent<T> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
  /** The x-test-request header value, to find this request in the delivery log. */
  marker: string;
}

interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  /** A string or bytes are sent as-is; anything else as JSON. Omitted: no body. */
  body?: unknown;
}

/** A request to `/hooks/<path>`, tagged with a marker header; JSON unless a content type is given. */
async function send<T = unknown>(server: Hookflow, path: string, options: SendOptions = {}): Promise<Sent<T>> {
  const marker = randomUUID();
  const headers = new Headers(options.headers);
  headers.set('x-test-request', marker);
  let body: string | Uint8Array | undefined;
  if (typeof options.body === 'string' || options.body instanceof Uint8Array) body = options.body;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !(body instanceof Uint8Array) && !headers.has('content-type')) headers.set('content-type', 'application/json');
  const response = await fetch(`${server.url}/hooks/${path}`, {
    method: options.method ?? 'POST',
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON; kept as text
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text, marker };
}

interface DeliveryDetail extends DeliveryView {
  ip: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  body: string | null;
  bodyTruncated: boolean;
}

/**
 * The delivery recorded for the request tagged `marker`, with its full detail and raw JSON
 * text; `id` when the answer named it, else searched for among the workflow's deliveries.
 */
async function recorded(
  server: Hookflow,
  workflowId: string,
  marker: string,
  id?: string,
): Promise<{ delivery: DeliveryDetail; text: string }> {
  if (id !== undefined) {
    const detail = await server.api<DeliveryDetail>(`/api/deliveries/${id}`);
    assert.equal(detail.status, 200, `GET /api/deliveries/${id}: ${detail.text}`);
    assert.equal(detail.body.headers?.['x-test-request'], marker, 'the answer names the delivery recorded for this request');
    return { delivery: detail.body, text: detail.text };
  }
  const list = await server.api<Page<DeliveryView>>(`/api/deliveries?workflowId=${workflowId}&limit=500`);
  assert.equal(list.status, 200, list.text);
  for (const item of list.body.items) {
    const detail = await server.api<DeliveryDetail>(`/api/deliveries/${item.id}`);
    assert.equal(detail.status, 200, detail.text);
    if (detail.body.headers?.['x-test-request'] === marker) return { delivery: detail.body, text: detail.text };
  }
  assert.fail(`no delivery of ${workflowId} was recorded for request ${marker}`);
}

async function runsOf(server: Hookflow, workflowId: string): Promise<RunView[]> {
  const answer = await server.api<Page<RunView>>(`/api/runs?workflowId=${workflowId}&limit=500`);
  assert.equal(answer.status, 200, answer.text);
  return answer.body.items;
}

async function allDeliveries(server: Hookflow): Promise<DeliveryView[]> {
  const answer = await server.api<Page<DeliveryView>>('/api/deliveries?limit=500');
  assert.equal(answer.status, 200, answer.text);
  return answer.body.items;
}

function assertErrorBody(answer: { status: number; body: unknown; text: string }, status: number, code: string): void {
  assert.equal(answer.status, status, answer.text);
  const body = answer.body as ApiErrorBody;
  assert.equal(body?.error?.code, code, answer.text);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0, 'the error says what went wrong');
  assert.doesNotMatch(answer.text, /\n\s+at /, 'no stack trace in the body');
}

interface RejectionCheck {
  status: number;
  code: string;
  /** Headers whose values must be stored as `***`. */
  masked?: string[];
  /** Values that must appear nowhere in the stored delivery (secrets, signatures sent). */
  hidden?: string[];
}

/**
 * The answer is the error row, the delivery log holds the request as rejected with that code
 * and status (secrets masked), and no run was created for it. Returns the stored delivery.
 */
async function assertRejected(server: Hookflow, workflowId: string, answer: Sent<unknown>, check: RejectionCheck): Promise<DeliveryDetail> {
  assertErrorBody(answer, check.status, check.code);
  const { delivery, text } = await recorded(server, workflowId, answer.marker);
  assert.equal(delivery.workflowId, workflowId);
  assert.equal(delivery.outcome, 'rejected');
  assert.equal(delivery.status, check.status);
  assert.equal(delivery.reason, check.code);
  assert.equal(delivery.runId, null);
  assert.equal(typeof delivery.message, 'string');
  for (const name of check.masked ?? []) assert.equal(delivery.headers[name], '***', `${name} is masked in the delivery log`);
  for (const value of check.hidden ?? []) assert.ok(!text.includes(value), `the delivery log does not show "${value.slice(0, 40)}"`);
  const runs = await runsOf(server, workflowId);
  assert.ok(!runs.some((run) => run.deliveryId === delivery.id), 'a rejected delivery starts no run');
  return delivery;
}

/** A 202 whose delivery and queued run are both stored; answers the run's detail. */
async function assertAccepted(server: Hookflow, workflowId: string, answer: Sent<unknown>, hidden: string[] = []): Promise<RunDetailView> {
  assert.equal(answer.status, 202, answer.text);
  const ack = answer.body as HookAccepted;
  assert.match(ack.deliveryId, /^[0-9a-f-]{36}$/);
  assert.match(ack.runId, /^[0-9a-f-]{36}$/);
  const { delivery, text } = await recorded(server, workflowId, answer.marker, ack.deliveryId);
  assert.equal(delivery.outcome, 'accepted');
  assert.equal(delivery.status, 202);
  assert.equal(delivery.reason, null);
  assert.equal(delivery.runId, ack.runId);
  const run = await server.api<RunDetailView>(`/api/runs/${ack.runId}`);
  assert.equal(run.status, 200, run.text);
  assert.equal(run.body.workflowId, workflowId);
  assert.equal(run.body.deliveryId, ack.deliveryId);
  for (const value of hidden) {
    assert.ok(!text.includes(value), `the delivery log does not show "${value.slice(0, 40)}"`);
    assert.ok(!run.text.includes(value), `the run does not show "${value.slice(0, 40)}"`);
  }
  return run.body;
}

function hmacOf(algorithm: string, key: string | Buffer, data: string, encoding: 'hex' | 'base64'): string {
  return createHmac(algorithm, key).update(data).digest(encoding);
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);
const HOUR = 3600;

// ---- the tests ----

describe('ingress (SPEC §3)', { concurrency: true }, () => {
  describe('the checks, in order, on one server', () => {
    const setup = shared(async ({ hookflow }) =>
      hookflow({ workflows: MAIN_WORKFLOWS, env: { ...SECRETS, HOOKFLOW_MAX_BODY: String(MAIN_MAX_BODY) } }),
    );

    e2e('an unknown hook path is 404 with an error body and is not recorded as a delivery', async () => {
      const server = setup();
      for (const [method, path] of [
        ['POST', 'nope'],
        ['GET', 'nope'],
        ['POST', 'intake/extra'],
        ['POST', 'tok/extra/deeper'],
      ] as const) {
        const answer = await send(server, path, { method, ...(method === 'POST' ? { body: { a: 1 } } : {}) });
        assertErrorBody(answer, 404, 'WORKFLOW_NOT_FOUND');
      }
      const paths = (await allDeliveries(server)).map((delivery) => delivery.path);
      for (const path of ['nope', 'intake/extra', 'tok/extra/deeper']) assert.ok(!paths.includes(path), `${path} was not recorded`);
    });

    e2e('a method not in methods is 405 with Allow listing the methods, recorded as rejected', async () => {
      const server = setup();
      for (const method of ['GET', 'DELETE', 'PATCH']) {
        const answer = await send(server, 'intake', { method, ...(method === 'PATCH' ? { body: { a: 1 } } : {}) });
        const delivery = await assertRejected(server, 'intake', answer, { status: 405, code: 'METHOD_NOT_ALLOWED' });
        assert.equal(answer.headers.get('allow'), 'POST, PUT');
        assert.equal(delivery.method, method);
      }
      // The method is checked before the client's address.
      const put = await send(server, 'guarded', { method: 'PUT', body: { a: 1 } });
      await assertRejected(server, 'guarded', put, { status: 405, code: 'METHOD_NOT_ALLOWED' });
      assert.equal(put.headers.get('allow'), 'POST');
      await assertAccepted(server, 'intake', await send(server, 'intake', { method: 'PUT', body: { a: 1 } }));
    });

    e2e('a client outside allowIps is 403, whatever X-Forwarded-For claims when no proxy is trusted', async () => {
      const server = setup();
      const plain = await send(server, 'guarded', { body: { a: 1 } });
      const delivery = await assertRejected(server, 'guarded', plain, { status: 403, code: 'IP_NOT_ALLOWED' });
      assert.equal(delivery.ip, '127.0.0.1');
      const spoofed = await send(server, 'guarded', { body: { a: 1 }, headers: { 'x-forwarded-for': '10.0.0.1' } });
      const spoofedDelivery = await assertRejected(server, 'guarded', spoofed, { status: 403, code: 'IP_NOT_ALLOWED' });
      assert.equal(spoofedDelivery.ip, '127.0.0.1', 'X-Forwarded-For is ignored without HOOKFLOW_TRUST_PROXY');
      // The address is checked before the body's size.
      const big = await send(server, 'guarded', { body: 'x'.repeat(MAIN_MAX_BODY + 1), headers: { 'content-type': 'text/plain' } });
      await assertRejected(server, 'guarded', big, { status: 403, code: 'IP_NOT_ALLOWED' });
      assert.deepEqual(await runsOf(server, 'guarded'), []);
    });

    e2e('past rateLimit requests are 429 with Retry-After, counted before the signature is looked at', async () => {
      const server = setup();
      const bearer = { authorization: `Bearer ${SECRETS.LIMIT_SECRET}` };
      for (let n = 0; n < 3; n += 1)
        await assertAccepted(server, 'limited', await send(server, 'limited', { body: { n }, headers: bearer }));
      const over = await send(server, 'limited', { body: { n: 3 }, headers: bearer });
      await assertRejected(server, 'limited', over, {
        status: 429,
        code: 'RATE_LIMITED',
        masked: ['authorization'],
        hidden: [SECRETS.LIMIT_SECRET],
      });
      const retryAfter = Number(over.headers.get('retry-after'));
      assert.ok(
        Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
        `Retry-After is whole seconds within the window: ${over.headers.get('retry-after')}`,
      );
      const unsigned = await send(server, 'limited', { body: { n: 4 }, headers: { authorization: 'Bearer wrong' } });
      await assertRejected(server, 'limited', unsigned, { status: 429, code: 'RATE_LIMITED' });
      assert.equal((await runsOf(server, 'limited')).length, 3);
    });

    e2e('a body over maxBody is 413, with Content-Length or chunked, and the limit is inclusive', async () => {
      const server = setup();
      const exactly = `{"p":"${'x'.repeat(1024 - 8)}"}`;
      assert.equal(Buffer.byteLength(exactly), 1024);
      await assertAccepted(server, 'small', await send(server, 'small', { body: exactly }));
      const declared = await send(server, 'small', { body: `{"p":"${'x'.repeat(1024 - 7)}"}` });
      const delivery = await assertRejected(server, 'small', declared, { status: 413, code: 'PAYLOAD_TOO_LARGE' });
      assert.equal(delivery.body, null, 'the oversized body is not kept');

      const chunked = await streamBody(`${server.url}/hooks/small`, {
        bytes: 4096,
        contentLength: false,
        headers: { 'x-test-request': 'chunked-4k' },
      });
      assert.equal(chunked.status, 413, JSON.stringify(chunked));
      assertErrorBody({ status: chunked.status!, body: JSON.parse(chunked.text), text: chunked.text }, 413, 'PAYLOAD_TOO_LARGE');
      const chunkedDelivery = (await recorded(server, 'small', 'chunked-4k')).delivery;
      assert.equal(chunkedDelivery.reason, 'PAYLOAD_TOO_LARGE');
      assert.equal(chunkedDelivery.status, 413);

      // Without maxBody, HOOKFLOW_MAX_BODY is the limit.
      await assertAccepted(
        server,
        'roomy',
        await send(server, 'roomy', { body: 'y'.repeat(MAIN_MAX_BODY), headers: { 'content-type': 'text/plain' } }),
      );
      const over = await send(server, 'roomy', { body: 'y'.repeat(MAIN_MAX_BODY + 1), headers: { 'content-type': 'text/plain' } });
      await assertRejected(server, 'roomy', over, { status: 413, code: 'PAYLOAD_TOO_LARGE' });
      // Size comes before the signature.
      const unsignedBig = await send(server, 'github', { body: 'z'.repeat(MAIN_MAX_BODY + 1), headers: { 'content-type': 'text/plain' } });
      await assertRejected(server, 'github', unsignedBig, { status: 413, code: 'PAYLOAD_TOO_LARGE' });
      assert.equal((await runsOf(server, 'small')).length, 1);
    });

    e2e('50 MB uploads get their 413 without being read to the end, and the server keeps serving', async () => {
      const server = setup();
      const total = 50 * 1024 * 1024;
      for (const contentLength of [true, false, true, false]) {
        const answer = await streamBody(`${server.url}/hooks/bulk`, { bytes: total, contentLength });
        const how = contentLength ? 'with Content-Length' : 'chunked';
        assert.equal(answer.status, 413, `${how}: ${JSON.stringify({ ...answer, text: answer.text.slice(0, 200) })}`);
        assert.equal((JSON.parse(answer.text) as ApiErrorBody).error.code, 'PAYLOAD_TOO_LARGE');
        assert.equal(answer.headers.connection, 'close');
        assert.ok(answer.sent < total, `${how}: the server stopped taking the body (${answer.sent} of ${total} bytes sent)`);
      }
      const health = await server.api('/health', { token: null });
      assert.equal(health.status, 200, health.text);
      await assertAccepted(server, 'bulk', await send(server, 'bulk', { body: { still: 'serving' } }));
      assert.equal((await runsOf(server, 'bulk')).length, 1);
    });

    e2e('a content type that is not JSON, XML, form or text is 415, recorded like every other rejection', async () => {
      const server = setup();
      for (const contentType of ['application/octet-stream', 'image/png', 'multipart/form-data; boundary=x', 'foo', '']) {
        const answer = await send(server, 'intake', { body: 'abc', headers: { 'content-type': contentType } });
        const delivery = await assertRejected(server, 'intake', answer, { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
        assert.equal(delivery.body, 'abc', `the rejected body is kept (${contentType})`);
      }
      const bytes = await send(server, 'intake', { body: new Uint8Array([1, 2, 3]), headers: {} });
      await assertRejected(server, 'intake', bytes, { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
      // Authentication comes before the content type, even one Fastify itself would refuse.
      for (const contentType of ['application/octet-stream', 'foo']) {
        const unsigned = await send(server, 'github', { body: 'abc', headers: { 'content-type': contentType } });
        await assertRejected(server, 'github', unsigned, { status: 401, code: 'MISSING_SIGNATURE' });
      }
    });

    e2e('a body that does not parse is 400 and is kept for inspection', async () => {
      const server = setup();
      const cases: Array<[string, string | Uint8Array]> = [
        ['application/json', '{"id": "x", items: ['],
        ['application/json', ''],
        ['application/json', new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
        ['application/xml', '<order><id>1</id></orders>'],
        ['text/xml', 'not xml at all'],
        ['application/xml', '<a><b></a>'],
      ];
      for (const [contentType, body] of cases) {
        const answer = await send(server, 'intake', { body, headers: { 'content-type': contentType } });
        const delivery = await assertRejected(server, 'intake', answer, { status: 400, code: 'INVALID_BODY' });
        if (typeof body === 'string') assert.equal(delivery.body ?? '', body);
      }
      // Parsing comes before the schema.
      const broken = await send(server, 'schema', { body: '{"amount": -1,' });
      await assertRejected(server, 'schema', broken, { status: 400, code: 'INVALID_BODY' });
    });

    e2e('JSON, XML, form and text bodies are accepted and reach the run parsed', async () => {
      const server = setup();
      const cases: Array<[string | undefined, string | undefined, unknown]> = [
        ['application/json', '{"id":"o-1","items":[{"price":7}],"ok":true}', { id: 'o-1', items: [{ price: 7 }], ok: true }],
        ['application/json; charset=utf-8', '"just a string"', 'just a string'],
        // Stored as the text it came as: layout, a byte-order mark and escapes make no difference to the run.
        [
          'application/json',
          '\ufeff {\n  "id": "o-2",\n\t"note": "\\u00e9\\n\\ud83d\\ude00",\n  "n": [1.50, -2.5e0, 1E3]\n}\n',
          { id: 'o-2', note: 'é\n😀', n: [1.5, -2.5, 1000] },
        ],
        ['application/vnd.api+json', '{"data":{"type":"orders"}}', { data: { type: 'orders' } }],
        [
          'application/xml',
          '<?xml version="1.0"?><order id="7"><item>a</item><item>b</item><total>12.5</total></order>',
          { order: { '@_id': '7', item: ['a', 'b'], total: 12.5 } },
        ],
        ['text/xml', '<ping>pong</ping>', { ping: 'pong' }],
        ['application/x-www-form-urlencoded', 'a=1&b=x+y&a=2&c=%C3%A9', { a: ['1', '2'], b: 'x y', c: 'é' }],
        ['application/x-www-form-urlencoded; charset=UTF-8', 'payload=%7B%22k%22%3A1%7D', { payload: '{"k":1}' }],
        ['text/plain', 'hello\nworld', 'hello\nworld'],
        ['text/csv', 'a,b\n1,2\n', 'a,b\n1,2\n'],
        [undefined, undefined, null],
      ];
      for (const [contentType, body, expected] of cases) {
        const answer = await send(server, 'intake', {
          ...(body !== undefined ? { body } : {}),
          headers: contentType ? { 'content-type': contentType } : {},
        });
        const run = await assertAccepted(server, 'intake', answer);
        assert.deepEqual(run.trigger.body, expected, `${contentType}: ${body}`);
        assert.equal(run.trigger.method, 'POST');
        assert.equal(run.trigger.path, 'intake');
      }
      // An external entity is never expanded.
      const xxe = await send(server, 'intake', {
        body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        headers: { 'content-type': 'application/xml' },
      });
      assert.ok([202, 400].includes(xxe.status), xxe.text);
      if (xxe.status === 202) {
        const run = await server.api<RunDetailView>(`/api/runs/${(xxe.body as HookAccepted).runId}`);
        assert.doesNotMatch(JSON.stringify(run.body.trigger.body), /root:/);
      }
    });

    e2e('a body failing the schema is 422 listing every violation with its path', async () => {
      const server = setup();
      const answer = await send<ApiErrorBody & { error: { violations: Array<{ path: string; message: string }> } }>(server, 'schema', {
        body: { amount: -5, items: [{}, { sku: 7 }] },
      });
      await assertRejected(server, 'schema', answer, { status: 422, code: 'SCHEMA_VIOLATION' });
      const violations = answer.body.error.violations;
      assert.ok(Array.isArray(violations), answer.text);
      assert.deepEqual(violations.map((violation) => violation.path).sort(), ['/amount', '/id', '/items/0/sku', '/items/1/sku']);
      for (const violation of violations)
        assert.ok(typeof violation.message === 'string' && violation.message.length > 0, JSON.stringify(violation));
      const notObject = await send<ApiErrorBody & { error: { violations: Array<{ path: string }> } }>(server, 'schema', { body: [1, 2] });
      await assertRejected(server, 'schema', notObject, { status: 422, code: 'SCHEMA_VIOLATION' });
      assert.deepEqual(
        notObject.body.error.violations.map((violation) => violation.path),
        ['/'],
      );
      const run = await assertAccepted(
        server,
        'schema',
        await send(server, 'schema', { body: { id: 'a', amount: 3, items: [{ sku: 's' }] } }),
      );
      assert.deepEqual(run.trigger.body, { id: 'a', amount: 3, items: [{ sku: 's' }] });
      assert.equal((await runsOf(server, 'schema')).length, 1);
    });

    e2e('a delivery the filter turns down is 200 { deliveryId, filtered: true }, recorded, with no run', async () => {
      const server = setup();
      const answer = await send<{ deliveryId: string; filtered: boolean }>(server, 'filtered', { body: { ref: 'refs/heads/feature' } });
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(Object.keys(answer.body).sort(), ['deliveryId', 'filtered']);
      assert.equal(answer.body.filtered, true);
      const { delivery } = await recorded(server, 'filtered', answer.marker, answer.body.deliveryId);
      assert.equal(delivery.outcome, 'filtered');
      assert.equal(delivery.status, 200);
      assert.equal(delivery.runId, null);
      assert.deepEqual(await runsOf(server, 'filtered'), []);
      await assertAccepted(server, 'filtered', await send(server, 'filtered', { body: { ref: 'refs/heads/main' } }));
      assert.equal((await runsOf(server, 'filtered')).length, 1);
    });

    e2e('a repeated idempotencyKey is 200 { deliveryId, runId of the first run, duplicate: true } and starts nothing', async () => {
      const server = setup();
      const key = { 'x-delivery-id': randomUUID() };
      const first = await send<HookAccepted>(server, 'idem', { body: { n: 1 }, headers: key });
      await assertAccepted(server, 'idem', first);
      for (const n of [2, 3]) {
        const again = await send<HookAccepted & { duplicate: boolean }>(server, 'idem', { body: { n }, headers: key });
        assert.equal(again.status, 200, again.text);
        assert.deepEqual(Object.keys(again.body).sort(), ['deliveryId', 'duplicate', 'runId']);
        assert.equal(again.body.duplicate, true);
        assert.equal(again.body.runId, first.body.runId);
        assert.notEqual(again.body.deliveryId, first.body.deliveryId);
        const { delivery } = await recorded(server, 'idem', again.marker, again.body.deliveryId);
        assert.equal(delivery.outcome, 'duplicate');
        assert.equal(delivery.status, 200);
        assert.equal(delivery.runId, first.body.runId);
      }
      // No key (the header is missing): nothing to deduplicate on.
      await assertAccepted(server, 'idem', await send(server, 'idem', { body: { n: 4 } }));
      await assertAccepted(server, 'idem', await send(server, 'idem', { body: { n: 4 } }));
      assert.equal((await runsOf(server, 'idem')).length, 3);
    });

    e2e('20 identical deliveries at once start exactly one run; the 19 others are duplicates naming it', async () => {
      const server = setup();
      const event = randomUUID();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => send<HookAccepted & { duplicate?: boolean }>(server, 'idem-race', { body: { event } })),
      );
      const accepted = answers.filter((answer) => answer.status === 202);
      const duplicates = answers.filter((answer) => answer.status === 200);
      assert.equal(accepted.length, 1, answers.map((answer) => `${answer.status} ${answer.text}`).join('\n'));
      assert.equal(duplicates.length, 19, answers.map((answer) => `${answer.status} ${answer.text}`).join('\n'));
      const runId = accepted[0]!.body.runId;
      for (const duplicate of duplicates) {
        assert.equal(duplicate.body.duplicate, true);
        assert.equal(duplicate.body.runId, runId);
      }
      const runs = await runsOf(server, 'idem-race');
      assert.deepEqual(
        runs.map((run) => run.id),
        [runId],
      );
      const deliveries = (await server.api<Page<DeliveryView>>('/api/deliveries?workflowId=idem-race&limit=500')).body.items;
      assert.equal(deliveries.length, 20);
      assert.equal(deliveries.filter((delivery) => delivery.outcome === 'accepted').length, 1);
      assert.equal(deliveries.filter((delivery) => delivery.outcome === 'duplicate' && delivery.runId === runId).length, 19);
      assert.deepEqual(
        new Set(deliveries.map((delivery) => delivery.id)),
        new Set(answers.map((answer) => answer.body.deliveryId)),
        'every answer names its own recorded delivery',
      );
    });

    e2e('a rejected delivery keeps at most 64 KB of its body and masks signature headers', async () => {
      const server = setup();
      const body = JSON.stringify({ blob: 'é'.repeat(50_000) });
      const forged = `sha256=${'ab'.repeat(32)}`;
      const answer = await send(server, 'github', {
        body,
        headers: { 'x-hub-signature-256': forged, authorization: 'Bearer not-for-the-log' },
      });
      const delivery = await assertRejected(server, 'github', answer, {
        status: 401,
        code: 'INVALID_SIGNATURE',
        masked: ['x-hub-signature-256', 'authorization'],
        hidden: [forged, 'not-for-the-log', SECRETS.GITHUB_SECRET],
      });
      assert.equal(delivery.bodyTruncated, true);
      assert.ok(Buffer.byteLength(delivery.body ?? '') <= REJECTED_BODY_CAP, `kept ${Buffer.byteLength(delivery.body ?? '')} bytes`);
      assert.ok(body.startsWith(delivery.body ?? 'missing'), 'the kept part is the start of the body, cut on a character boundary');
      assert.ok((delivery.body ?? '').length > 1000);
    });

    describe('authentication: 401 for every auth type and hmac preset, never 500', () => {
      const body = JSON.stringify({ action: 'opened', number: 7 });

      interface BadCase {
        name: string;
        headers: Record<string, string>;
        code: string;
        /** Sent to this path instead of the workflow's own. */
        path?: string;
      }

      async function assertAuth(
        workflowId: string,
        valid: { headers: Record<string, string>; path?: string },
        bad: BadCase[],
        masked: string[],
      ): Promise<void> {
        const server = setup();
        const secret = Object.entries(SECRETS).find(([name]) => MAIN_WORKFLOWS[`${workflowId}.yaml`]!.includes(name))![1];
        const signatures = Object.entries(valid.headers)
          .filter(([name]) => masked.includes(name))
          .map(([, value]) => value);
        const ok = await send(server, valid.path ?? workflowId, { body, headers: valid.headers });
        const run = await assertAccepted(server, workflowId, ok, [secret, ...signatures]);
        assert.deepEqual(run.trigger.body, JSON.parse(body));
        for (const name of masked) assert.equal(run.trigger.headers[name], '***', `${name} is masked in the run's trigger`);
        const { delivery } = await recorded(server, workflowId, ok.marker);
        for (const name of masked) assert.equal(delivery.headers[name], '***', `${name} is masked in the accepted delivery`);

        for (const testCase of bad) {
          const answer = await send(server, testCase.path ?? workflowId, { body, headers: testCase.headers });
          const hidden = [
            secret,
            ...Object.entries(testCase.headers)
              .filter(([name]) => masked.includes(name))
              .map(([, value]) => value),
          ];
          await assert.doesNotReject(
            assertRejected(server, workflowId, answer, {
              status: 401,
              code: testCase.code,
              masked: masked.filter((name) => name in testCase.headers),
              hidden: hidden.filter((value) => value.length >= 8),
            }),
            `${workflowId}: ${testCase.name}`,
          );
        }
        // A header far over the HTTP server's limit (16 KB) is refused by it, not by a verifier: never a 500.
        const huge = await fetch(`${server.url}/hooks/${workflowId}`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', [masked[0] ?? 'x-huge']: `v1=${'a'.repeat(100 * 1024)}` },
        }).then(
          (response) => response.status,
          (error: Error) => `connection closed (${(error.cause as Error | undefined)?.message ?? error.message})`,
        );
        assert.ok(huge === 431 || typeof huge === 'string', `a 100 KB header: ${huge}`);
        const runs = await runsOf(server, workflowId);
        assert.deepEqual(
          runs.map((one) => one.id),
          [run.id],
          'only the valid delivery started a run',
        );
        const again = await send(server, valid.path ?? workflowId, { body, headers: valid.headers });
        assert.equal(again.status, 202, `still serving after the bad ones: ${again.text}`);
      }

      const tooLong = (prefix: string): string => `${prefix}${'a'.repeat(12 * 1024)}`;

      e2e('github (x-hub-signature-256), signed by @octokit/webhooks-methods', async () => {
        const signature = await githubSign(SECRETS.GITHUB_SECRET, body);
        const other = await githubSign('another-secret', body);
        await assertAuth(
          'github',
          { headers: { 'x-hub-signature-256': signature } },
          [
            { name: 'missing', headers: {}, code: 'MISSING_SIGNATURE' },
            { name: 'empty', headers: { 'x-hub-signature-256': '' }, code: 'MISSING_SIGNATURE' },
            { name: 'wrong scheme', headers: { 'x-hub-signature-256': signature.replace('sha256=', 'sha1=') }, code: 'INVALID_SIGNATURE' },
            { name: 'truncated by a byte', headers: { 'x-hub-signature-256': signature.slice(0, -2) }, code: 'INVALID_SIGNATURE' },
            { name: 'truncated mid-digit', headers: { 'x-hub-signature-256': signature.slice(0, -1) }, code: 'INVALID_SIGNATURE' },
            { name: 'another secret', headers: { 'x-hub-signature-256': other }, code: 'INVALID_SIGNATURE' },
            { name: 'not hex', headers: { 'x-hub-signature-256': `sha256=${'zz'.repeat(32)}` }, code: 'INVALID_SIGNATURE' },
            { name: '12 KB', headers: { 'x-hub-signature-256': tooLong('sha256=') }, code: 'INVALID_SIGNATURE' },
          ],
          ['x-hub-signature-256'],
        );
      });

      e2e('stripe (stripe-signature), signed by the stripe library, with stale and future timestamps', async () => {
        const stripe = new Stripe('sk_test_unused');
        const header = (timestamp: number, secret = SECRETS.STRIPE_SECRET): string =>
          stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp });
        const valid = header(nowSeconds());
        const v1 = /v1=([0-9a-f]+)/.exec(valid)![1]!;
        await assertAuth(
          'stripe',
          { headers: { 'stripe-signature': valid } },
          [
            { name: 'missing', headers: {}, code: 'MISSING_SIGNATURE' },
            { name: 'empty', headers: { 'stripe-signature': '' }, code: 'MISSING_SIGNATURE' },
            { name: 'stale', headers: { 'stripe-signature': header(nowSeconds() - HOUR) }, code: 'STALE_TIMESTAMP' },
            { name: 'from the future', headers: { 'stripe-signature': header(nowSeconds() + HOUR) }, code: 'STALE_TIMESTAMP' },
            { name: 'another secret', headers: { 'stripe-signature': header(nowSeconds(), 'whsec_other') }, code: 'INVALID_SIGNATURE' },
            { name: 'no timestamp', headers: { 'stripe-signature': `v1=${v1}` }, code: 'INVALID_SIGNATURE' },
            { name: 'wrong scheme', headers: { 'stripe-signature': valid.replace('v1=', 'v0=') }, code: 'INVALID_SIGNATURE' },
            { name: 'truncated', headers: { 'stripe-signature': valid.slice(0, -3) }, code: 'INVALID_SIGNATURE' },
            { name: 'garbage', headers: { 'stripe-signature': 't=soon,v1=nothex,,=,' }, code: 'INVALID_SIGNATURE' },
            { name: '12 KB', headers: { 'stripe-signature': tooLong(`t=${nowSeconds()},v1=`) }, code: 'INVALID_SIGNATURE' },
          ],
          ['stripe-signature'],
        );
      });

      e2e('standard-webhooks (webhook-signature), signed by the standardwebhooks library', async () => {
        const signer = new Webhook(SECRETS.SW_SECRET);
        const signed = (seconds: number, id = `msg_${randomUUID()}`): Record<string, string> => ({
          'webhook-id': id,
          'webhook-timestamp': String(seconds),
          'webhook-signature': signer.sign(id, new Date(seconds * 1000), body),
        });
        const valid = signed(nowSeconds());
        const other = new Webhook(`whsec_${randomBytes(24).toString('base64')}`);
        await assertAuth(
          'sw',
          { headers: valid },
          [
            { name: 'missing', headers: {}, code: 'MISSING_SIGNATURE' },
            { name: 'empty', headers: { ...valid, 'webhook-signature': '' }, code: 'MISSING_SIGNATURE' },
            { name: 'no webhook-id', headers: { ...valid, 'webhook-id': '' }, code: 'MISSING_SIGNATURE' },
            { name: 'stale', headers: signed(nowSeconds() - HOUR), code: 'STALE_TIMESTAMP' },
            { name: 'from the future', headers: signed(nowSeconds() + HOUR), code: 'STALE_TIMESTAMP' },
            {
              name: 'timestamp not signed',
              headers: { ...valid, 'webhook-timestamp': String(nowSeconds() - 1) },
              code: 'INVALID_SIGNATURE',
            },
            { name: 'not a timestamp', headers: { ...valid, 'webhook-timestamp': 'yesterday' }, code: 'INVALID_SIGNATURE' },
            {
              name: 'wrong scheme',
              headers: { ...valid, 'webhook-signature': valid['webhook-signature']!.replace('v1,', 'v2,') },
              code: 'INVALID_SIGNATURE',
            },
            {
              name: 'truncated',
              headers: { ...valid, 'webhook-signature': valid['webhook-signature']!.slice(0, -5) },
              code: 'INVALID_SIGNATURE',
            },
            {
              name: 'another secret',
              headers: {
                ...valid,
                'webhook-signature': other.sign(valid['webhook-id']!, new Date(Number(valid['webhook-timestamp']) * 1000), body),
              },
              code: 'INVALID_SIGNATURE',
            },
            { name: '12 KB', headers: { ...valid, 'webhook-signature': tooLong('v1,') }, code: 'INVALID_SIGNATURE' },
          ],
          ['webhook-signature'],
        );
      });

      e2e('shopify (x-shopify-hmac-sha256, base64)', async () => {
        const digest = hmacOf('sha256', SECRETS.SHOPIFY_SECRET, body, 'base64');
        await assertAuth(
          'shopify',
          { headers: { 'x-shopify-hmac-sha256': digest } },
          [
            { name: 'missing', headers: {}, code: 'MISSING_SIGNATURE' },
            { name: 'empty', headers: { 'x-shopify-hmac-sha256': '' }, code: 'MISSING_SIGNATURE' },
            {
              name: 'hex instead of base64',
              headers: { 'x-shopify-hmac-sha256': hmacOf('sha256', SECRETS.SHOPIFY_SECRET, body, 'hex') },
              code: 'INVALID_SIGNATURE',
            },
            { name: 'truncated', headers: { 'x-shopify-hmac-sha256': digest.slice(0, -4) }, code: 'INVALID_SIGNATURE' },
            { name: 'broken base64', headers: { 'x-shopify-hmac-sha256': digest.slice(0, -1) }, code: 'INVALID_SIGNATURE' },
            { name: 'with a scheme', headers: { 'x-shopify-hmac-sha256': `sha256=${digest}` }, code: 'INVALID_SIGNATURE' },
            { name: '12 KB', headers: { 'x-shopify-hmac-sha256': tooLong('') }, code: 'INVALID_SIGNATURE' },
          ],
          ['x-shopify-hmac-sha256'],
        );
      });

      e2e('slack (x-slack-signature over v0:<timestamp>:<body>), with a stale timestamp', async () => {
        const signed = (seconds: number, secret = SECRETS.SLACK_SECRET): Record<string, string> => ({
          'x-slack-request-timestamp': String(seconds),
          'x-slack-signature': `v0=${hmacOf('sha256', secret, `v0:${seconds}:${body}`, 'hex')}`,
        });
        const valid = signed(nowSeconds());
        await assertAuth(
          'slack',
          { headers: valid },
          [
            { name: 'missing', headers: {}, code: 'MISSING_SIGNATURE' },
            { name: 'empty', headers: { ...valid, 'x-slack-signature': '' }, code: 'MISSING_SIGNATURE' },
            { name: 'no timestamp', headers: { 'x-slack-signature': valid['x-slack-signature']! }, code: 'MISSING_SIGNATURE' },
            { name: 'stale', headers: signed(nowSeconds() - HOUR), code: 'STALE_TIMESTAMP' },
            {
              name: 'timestamp not signed',
              headers: { ...valid, 'x-slack-request-timestamp': String(nowSeconds() + 1) },
              code: 'INVALID_SIGNATURE',
            },
            {
              name: 'wrong scheme',
              headers: { ...valid, 'x-slack-signature': valid['x-slack-signature']!.replace('v0=', 'v1=') },
              code: 'INVALID_SIGNATURE',
            },
            {
              name: 'truncated',
              headers: { ...valid, 'x-slack-signature': valid['x-slack-signature']!.slice(0, -2) },
              code: 'INVALID_SIGNATURE',
            },
            { name: 'another secret', headers: signed(nowSeconds(), 'another-secret'), code: 'INVALID_SIGNATURE' },
            { name: '12 KB', headers: { ...valid, 'x-slack-signature': tooLong('v0=') }, code: 'INVALID_SIGNATURE' },
          ],
          ['x-slack-signature'],
        );
      });

      e2e('generic hmac (X-Digest, sha512, base64, prefix sha512=)', async () => {
        const digest = `sha512=${hmacOf('sha512', SECRETS.GENERIC_SECRET, body, 'base64')}`;
        await assertAuth(
          'generic',
          { headers: { 'x-digest': digest } },
          [
            { name: 'missing', headers: {}, code: 'MISSING_SIGNATURE' },
            { name: 'empty', headers: { 'x-digest': '' }, code: 'MISSING_SIGNATURE' },
            { name: 'wrong prefix', headers: { 'x-digest': digest.replace('sha512=', 'sha256=') }, code: 'INVALID_SIGNATURE' },
            {
              name: 'wrong algorithm',
              headers: { 'x-digest': `sha512=${hmacOf('sha256', SECRETS.GENERIC_SECRET, body, 'base64')}` },
              code: 'INVALID_SIGNATURE',
            },
            {
              name: 'hex',
              headers: { 'x-digest': `sha512=${hmacOf('sha512', SECRETS.GENERIC_SECRET, body, 'hex')}` },
              code: 'INVALID_SIGNATURE',
            },
            { name: 'truncated', headers: { 'x-digest': digest.slice(0, -6) }, code: 'INVALID_SIGNATURE' },
            { name: '12 KB', headers: { 'x-digest': tooLong('sha512=') }, code: 'INVALID_SIGNATURE' },
          ],
          ['x-digest'],
        );
      });

      e2e('token in the path (/hooks/<path>/<token>), which the delivery log never shows', async () => {
        const server = setup();
        await assertAuth(
          'tok',
          { headers: {}, path: `tok/${encodeURIComponent(SECRETS.TOKEN_SECRET)}` },
          [
            { name: 'no token', headers: {}, code: 'UNAUTHORIZED' },
            { name: 'wrong token', headers: {}, path: 'tok/wrong-token-value', code: 'UNAUTHORIZED' },
            { name: 'truncated token', headers: {}, path: `tok/${SECRETS.TOKEN_SECRET.slice(0, -1)}`, code: 'UNAUTHORIZED' },
            { name: 'token in a header instead', headers: { authorization: `Bearer ${SECRETS.TOKEN_SECRET}` }, code: 'UNAUTHORIZED' },
          ],
          [],
        );
        for (const delivery of (await server.api<Page<DeliveryView>>('/api/deliveries?workflowId=tok&limit=500')).body.items) {
          assert.ok(!delivery.path.includes(SECRETS.TOKEN_SECRET.slice(0, 12)), `the token is not in the recorded path: ${delivery.path}`);
        }
      });

      e2e('bearer (Authorization: Bearer <secret>)', async () => {
        await assertAuth(
          'bearer',
          { headers: { authorization: `Bearer ${SECRETS.BEARER_SECRET}` } },
          [
            { name: 'missing', headers: {}, code: 'UNAUTHORIZED' },
            { name: 'empty', headers: { authorization: '' }, code: 'UNAUTHORIZED' },
            { name: 'wrong token', headers: { authorization: 'Bearer wrong-token-value' }, code: 'UNAUTHORIZED' },
            {
              name: 'wrong scheme',
              headers: { authorization: `Basic ${Buffer.from(SECRETS.BEARER_SECRET).toString('base64')}` },
              code: 'UNAUTHORIZED',
            },
            { name: 'no scheme', headers: { authorization: SECRETS.BEARER_SECRET }, code: 'UNAUTHORIZED' },
            { name: 'truncated', headers: { authorization: `Bearer ${SECRETS.BEARER_SECRET.slice(0, -1)}` }, code: 'UNAUTHORIZED' },
            { name: '12 KB', headers: { authorization: tooLong('Bearer ') }, code: 'UNAUTHORIZED' },
          ],
          ['authorization'],
        );
      });

      e2e('basic (Authorization: Basic base64(user:password))', async () => {
        const encode = (text: string): string => `Basic ${Buffer.from(text).toString('base64')}`;
        await assertAuth(
          'basic',
          { headers: { authorization: encode(SECRETS.BASIC_SECRET) } },
          [
            { name: 'missing', headers: {}, code: 'UNAUTHORIZED' },
            { name: 'wrong password', headers: { authorization: encode('hooks:wrong-password') }, code: 'UNAUTHORIZED' },
            { name: 'not base64', headers: { authorization: 'Basic !!not-base64!!' }, code: 'UNAUTHORIZED' },
            { name: 'truncated', headers: { authorization: encode(SECRETS.BASIC_SECRET).slice(0, -3) }, code: 'UNAUTHORIZED' },
            { name: 'wrong scheme', headers: { authorization: `Bearer ${SECRETS.BASIC_SECRET}` }, code: 'UNAUTHORIZED' },
            { name: '12 KB', headers: { authorization: tooLong('Basic ') }, code: 'UNAUTHORIZED' },
          ],
          ['authorization'],
        );
      });

      e2e('header (a named header equal to the secret), masked in the log though its name says nothing', async () => {
        await assertAuth(
          'header',
          { headers: { 'x-partner-key': SECRETS.HEADER_SECRET } },
          [
            { name: 'missing', headers: {}, code: 'UNAUTHORIZED' },
            { name: 'empty', headers: { 'x-partner-key': '' }, code: 'UNAUTHORIZED' },
            { name: 'wrong', headers: { 'x-partner-key': 'wrong-key-value' }, code: 'UNAUTHORIZED' },
            { name: 'truncated', headers: { 'x-partner-key': SECRETS.HEADER_SECRET.slice(0, -1) }, code: 'UNAUTHORIZED' },
            { name: 'in another header', headers: { authorization: `Bearer ${SECRETS.HEADER_SECRET}` }, code: 'UNAUTHORIZED' },
          ],
          ['x-partner-key'],
        );
      });
    });
  });

  describe('behind a trusted proxy (HOOKFLOW_TRUST_PROXY=1)', () => {
    const setup = shared(async ({ hookflow }) =>
      hookflow({
        workflows: {
          'inside.yaml': workflow('inside', { lines: ['allowIps: [10.0.0.0/8]'] }),
          'metered.yaml': workflow('metered', { lines: ['rateLimit: { requests: 2, per: 1m }'] }),
        },
        env: { HOOKFLOW_TRUST_PROXY: '1' },
      }),
    );

    e2e('the address the proxy appended decides allowIps; a spoofed left-most entry is not believed', async () => {
      const server = setup();
      const direct = await send(server, 'inside', { body: { a: 1 } });
      assert.equal((await assertRejected(server, 'inside', direct, { status: 403, code: 'IP_NOT_ALLOWED' })).ip, '127.0.0.1');

      const viaProxy = await send(server, 'inside', { body: { a: 2 }, headers: { 'x-forwarded-for': '10.1.2.3' } });
      const run = await assertAccepted(server, 'inside', viaProxy);
      assert.equal((run.trigger as { ip?: string }).ip, '10.1.2.3');
      assert.equal((await recorded(server, 'inside', viaProxy.marker)).delivery.ip, '10.1.2.3');

      const spoofed = await send(server, 'inside', { body: { a: 3 }, headers: { 'x-forwarded-for': '10.9.9.9, 203.0.113.7' } });
      const delivery = await assertRejected(server, 'inside', spoofed, { status: 403, code: 'IP_NOT_ALLOWED' });
      assert.equal(delivery.ip, '203.0.113.7');

      const chained = await send(server, 'inside', { body: { a: 4 }, headers: { 'x-forwarded-for': '203.0.113.7, 10.2.2.2' } });
      await assertAccepted(server, 'inside', chained);
      assert.equal((await recorded(server, 'inside', chained.marker)).delivery.ip, '10.2.2.2');
      assert.equal((await runsOf(server, 'inside')).length, 2);
    });

    e2e('rate limits count per client address, and a spoofed entry does not buy a fresh budget', async () => {
      const server = setup();
      const from = (chain: string): Record<string, string> => ({ 'x-forwarded-for': chain });
      await assertAccepted(server, 'metered', await send(server, 'metered', { body: { n: 1 }, headers: from('198.51.100.1') }));
      await assertAccepted(server, 'metered', await send(server, 'metered', { body: { n: 2 }, headers: from('198.51.100.1') }));
      const over = await send(server, 'metered', { body: { n: 3 }, headers: from('198.51.100.1') });
      await assertRejected(server, 'metered', over, { status: 429, code: 'RATE_LIMITED' });
      assert.ok(Number(over.headers.get('retry-after')) >= 1);
      const spoofed = await send(server, 'metered', { body: { n: 4 }, headers: from('192.0.2.99, 198.51.100.1') });
      await assertRejected(server, 'metered', spoofed, { status: 429, code: 'RATE_LIMITED' });
      await assertAccepted(server, 'metered', await send(server, 'metered', { body: { n: 5 }, headers: from('198.51.100.2') }));
    });
  });

  describe('storage unavailable', () => {
    const setup = shared(async ({ hookflow }) =>
      hookflow({ workflows: { 'store.yaml': workflow('store'), 'typed.yaml': workflow('typed', { lines: [`filter: 'body.keep'`] }) } }),
    );

    e2e('intake answers 503 with Retry-After while the database is locked, and accepts again once it is free', async () => {
      const server = setup();
      await assertAccepted(server, 'store', await send(server, 'store', { body: { n: 1 } }));
      // Another process holds the write lock; the server's writes wait out its 5 s busy timeout.
      const locker = new Database(join(server.dir, 'hookflow.db'), { timeout: 10_000 });
      try {
        locker.exec('BEGIN EXCLUSIVE');
        let answered = false;
        const waiting = send(server, 'store', { body: { n: 2 } }).finally(() => (answered = true));
        // While the delivery waits for the lock, the server is not frozen: health and reads answer first.
        const health = await server.api('/health', { token: null });
        assert.equal(health.status, 200, health.text);
        assert.equal((await runsOf(server, 'store')).length, 1);
        assert.equal(answered, false, 'health and the run list answered before the waiting delivery did');
        const accepted = await waiting;
        assertErrorBody(accepted, 503, 'STORAGE_UNAVAILABLE');
        assert.ok(Number(accepted.headers.get('retry-after')) >= 1, 'the sender is told when to retry');
        const rejected = await send(server, 'typed', { body: 'x', headers: { 'content-type': 'application/octet-stream' } });
        assertErrorBody(rejected, 503, 'STORAGE_UNAVAILABLE');
      } finally {
        if (locker.inTransaction) locker.exec('ROLLBACK');
        locker.close();
      }
      const after = await send(server, 'store', { body: { n: 3 } });
      const run = await assertAccepted(server, 'store', after);
      assert.deepEqual(run.trigger.body, { n: 3 });
      const finished = await server.waitForRun(run.id);
      assert.equal(finished.status, 'succeeded');
      const deliveries = (await server.api<Page<DeliveryView>>('/api/deliveries?workflowId=store')).body.items;
      assert.equal(deliveries.length, 2, 'the delivery answered 503 was not stored, and the sender will retry it');
      assert.equal((await runsOf(server, 'store')).length, 2);
      await assertAccepted(server, 'typed', await send(server, 'typed', { body: { keep: true } }));
    });
  });

  describe('slow clients', () => {
    const setup = shared(async ({ hookflow }) => hookflow({ workflows: { 'drip.yaml': workflow('drip') } }));

    e2e('a client dripping its headers a byte a second is cut off with 408', async () => {
      const server = setup();
      const { hostname, port } = new URL(server.url);
      const result = await dripHeaders(hostname, Number(port), 'POST /hooks/drip HTTP/1.1\r\nHost: a\r\n', 1000, 45_000);
      assert.ok(
        result.closedByServer,
        `the server ended the connection (got ${JSON.stringify(result.received)} after ${result.dripped} bytes)`,
      );
      assert.ok(
        result.received === '' || /^HTTP\/1\.1 408 /.test(result.received),
        `answered 408 or just closed: ${JSON.stringify(result.received)}`,
      );
      const health = await server.api('/health', { token: null });
      assert.equal(health.status, 200, health.text);
      await assertAccepted(server, 'drip', await send(server, 'drip', { body: { fast: true } }));
      assert.equal((await allDeliveries(server)).length, 1, 'the cut-off request never became a delivery');
    });
  });
});
