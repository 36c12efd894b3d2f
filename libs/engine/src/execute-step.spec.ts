import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadWorkflowSource, type Step } from '#libs/workflow';
import {
  HttpTransportError,
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
  type RunContext,
  type StepOutcome,
  type StepPorts,
} from './engine.types.js';
import { executeStep } from './execute-step.js';

const NOW = Date.parse('2024-01-01T00:00:00Z');

/** Records every request and answers from a script (or throws what the script throws). */
class FakeHttpClient implements HttpClient {
  readonly requests: HttpRequest[] = [];

  constructor(private readonly answer: (request: HttpRequest) => HttpResponse) {}

  send(request: HttpRequest): Promise<HttpResponse> {
    this.requests.push(request);
    try {
      return Promise.resolve(this.answer(request));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
}

function answer(status: number, body = '', headers: Record<string, string> = {}): () => HttpResponse {
  return () => ({ status, headers, body });
}

function portsFor(client: HttpClient): StepPorts {
  return { http: client, now: () => NOW };
}

/** Builds steps the way production does: from a workflow file. */
function loadSteps(stepsYaml: string, env: Record<string, string> = {}): Step[] {
  const secrets = Object.keys(env);
  const text = `id: wf\n${secrets.length > 0 ? `secrets: [${secrets.join(', ')}]\n` : ''}steps:\n${stepsYaml}`;
  const loaded = loadWorkflowSource('wf.yaml', text, env);
  assert.deepEqual(loaded.errors, [], 'the test workflow loads');
  return loaded.workflow!.steps;
}

function loadStep(stepYaml: string, env: Record<string, string> = {}): Step {
  return loadSteps(stepYaml, env).at(-1)!;
}

function contextFor(
  overrides: { body?: unknown; steps?: Record<string, unknown>; secrets?: Record<string, string>; attempt?: number } = {},
): RunContext {
  return {
    trigger: {
      body: overrides.body ?? { name: 'octo', items: [{ id: 1 }, { id: 2 }] },
      headers: { 'content-type': 'application/json' },
      query: {},
      method: 'POST',
      path: 'wf',
      ip: '127.0.0.1',
      receivedAt: '2024-01-01T00:00:00.000Z',
      deliveryId: 'delivery-1',
    },
    steps: overrides.steps ?? {},
    run: { id: 'run-1', workflowId: 'wf', attempt: overrides.attempt ?? 1 },
    secrets: overrides.secrets ?? {},
  };
}

const POST_STEP = `
  - id: notify
    type: http
    url: https://receiver.test/hook
    json: 'trigger.body'
`;

function failure(outcome: StepOutcome): Extract<StepOutcome, { status: 'failed' }> {
  assert.equal(outcome.status, 'failed', `expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome as Extract<StepOutcome, { status: 'failed' }>;
}

describe('executeStep: http answers', () => {
  // [case, status, response headers, response body, expected parsed body]
  const successes: Array<[string, number, Record<string, string>, string, unknown]> = [
    ['a JSON body, parsed', 200, { 'content-type': 'application/json' }, '{"ok":true,"n":[1]}', { ok: true, n: [1] }],
    ['a JSON body with a charset, parsed', 201, { 'content-type': 'application/json; charset=utf-8' }, '{"id":7}', { id: 7 }],
    ['a +json body, parsed', 200, { 'content-type': 'application/vnd.api+json' }, '[1,2]', [1, 2]],
    ['a text body, as text', 200, { 'content-type': 'text/plain' }, 'hello', 'hello'],
    ['a body without content type, as text', 202, {}, '{"a":1}', '{"a":1}'],
    ['JSON that does not parse, as text', 200, { 'content-type': 'application/json' }, 'not json', 'not json'],
    ['an empty JSON answer, as empty text', 204, { 'content-type': 'application/json' }, '', ''],
    ['a content type in another case, parsed', 200, { 'Content-Type': 'application/json' }, '{"a":1}', { a: 1 }],
  ];
  for (const [name, status, headers, body, parsed] of successes) {
    it(`succeeds on ${status} with ${name}`, async () => {
      const client = new FakeHttpClient(answer(status, body, headers));
      const outcome = await executeStep(loadStep(POST_STEP), contextFor(), portsFor(client));
      assert.deepEqual(outcome, { status: 'succeeded', output: { status, headers, body: parsed }, httpStatus: status });
    });
  }

  // [status, retryable]
  const failures: Array<[number, boolean]> = [
    [301, false],
    [304, false],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [409, false],
    [422, false],
    [408, true],
    [425, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
  ];
  for (const [status, retryable] of failures) {
    it(`fails ${retryable ? 'retryably' : 'for good'} on ${status}, keeping the answer`, async () => {
      const headers = { 'content-type': 'application/json' };
      const client = new FakeHttpClient(answer(status, '{"error":"nope"}', headers));
      const outcome = await executeStep(loadStep(POST_STEP), contextFor(), portsFor(client));
      assert.deepEqual(outcome, {
        status: 'failed',
        error: { code: 'HTTP_STATUS', message: `step "notify" of workflow "wf": POST answered ${status}` },
        retryable,
        httpStatus: status,
        output: { status, headers, body: { error: 'nope' } },
      });
    });
  }

  // [case, status, response headers, expected retryAfterMs]
  const retryAfter: Array<[string, number, Record<string, string>, number | undefined]> = [
    ['Retry-After in seconds on 503', 503, { 'retry-after': '30' }, 30_000],
    ['Retry-After as an HTTP date on 429', 429, { 'retry-after': 'Mon, 01 Jan 2024 00:02:00 GMT' }, 120_000],
    ['Retry-After named in another case', 429, { 'Retry-After': '5' }, 5000],
    ['an unreadable Retry-After', 503, { 'retry-after': 'later' }, undefined],
    ['no Retry-After', 503, {}, undefined],
  ];
  for (const [name, status, headers, expected] of retryAfter) {
    it(`reports ${name} as retryAfterMs=${String(expected)}`, async () => {
      const client = new FakeHttpClient(answer(status, '', headers));
      const outcome = failure(await executeStep(loadStep(POST_STEP), contextFor(), portsFor(client)));
      assert.equal(outcome.retryable, true);
      assert.equal(outcome.retryAfterMs, expected);
      assert.equal('retryAfterMs' in outcome, expected !== undefined);
    });
  }

  // [transport error code, retryable]
  const transport: Array<[HttpTransportError['code'], boolean]> = [
    ['NETWORK_ERROR', true],
    ['TIMEOUT', true],
    ['RESPONSE_TOO_LARGE', false],
  ];
  for (const [code, retryable] of transport) {
    it(`fails ${retryable ? 'retryably' : 'for good'} on ${code}`, async () => {
      const client = new FakeHttpClient(() => {
        throw new HttpTransportError(code, `it went wrong: ${code}`);
      });
      const outcome = await executeStep(loadStep(POST_STEP), contextFor(), portsFor(client));
      assert.deepEqual(outcome, {
        status: 'failed',
        error: { code, message: `step "notify" of workflow "wf": it went wrong: ${code}` },
        retryable,
      });
    });
  }

  it('throws what is not a transport error: that is a bug, not a step failure', async () => {
    const client = new FakeHttpClient(() => {
      throw new TypeError('client bug');
    });
    await assert.rejects(executeStep(loadStep(POST_STEP), contextFor(), portsFor(client)), /client bug/);
  });
});

describe('executeStep: the request sent', () => {
  async function send(stepYaml: string, context = contextFor(), env: Record<string, string> = {}): Promise<HttpRequest> {
    const client = new FakeHttpClient(answer(200));
    const outcome = await executeStep(loadStep(stepYaml, env), context, portsFor(client));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
    assert.equal(client.requests.length, 1);
    return client.requests[0]!;
  }

  it('sends Idempotency-Key <runId>.<stepId>, the same on every attempt', async () => {
    const step = loadStep(POST_STEP);
    const client = new FakeHttpClient(answer(503));
    for (const attempt of [1, 2, 3]) await executeStep(step, contextFor({ attempt }), portsFor(client));
    assert.deepEqual(
      client.requests.map((request) => request.headers['idempotency-key']),
      ['run-1.notify', 'run-1.notify', 'run-1.notify'],
    );
  });

  it('sends its own Idempotency-Key over one the workflow sets', async () => {
    const request = await send(`
  - id: notify
    type: http
    url: https://receiver.test/hook
    headers: { Idempotency-Key: mine }
`);
    assert.equal(request.headers['idempotency-key'], 'run-1.notify');
  });

  it('sends a json: body as JSON with content-type application/json', async () => {
    const request = await send(
      `
  - id: notify
    type: http
    method: PUT
    url: https://receiver.test/items/{{trigger.body.name}}
    json: '{ "who": trigger.body.name, "ids": trigger.body.items.id, "prev": steps.message.text }'
    timeout: 5s
`,
      contextFor({ steps: { message: { text: 'hi' } } }),
    );
    assert.deepEqual(request, {
      method: 'PUT',
      url: 'https://receiver.test/items/octo',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'run-1.notify' },
      body: '{"who":"octo","ids":[1,2],"prev":"hi"}',
      timeoutMs: 5000,
    });
  });

  it('keeps the content type the workflow sets for a json: body', async () => {
    const request = await send(`
  - id: notify
    type: http
    url: https://receiver.test/hook
    headers: { Content-Type: application/cloudevents+json }
    json: '{ "a": 1 }'
`);
    assert.equal(request.headers['content-type'], 'application/cloudevents+json');
  });

  it('sends null for a json: expression that matches nothing', async () => {
    const request = await send(`
  - id: notify
    type: http
    url: https://receiver.test/hook
    json: 'trigger.body.nothing'
`);
    assert.equal(request.body, 'null');
  });

  it('leaves JSONata functions out of a json: body', async () => {
    const request = await send(`
  - id: notify
    type: http
    url: https://receiver.test/hook
    json: '{ "a": 1, "f": function($x){ $x } }'
`);
    assert.equal(request.body, '{"a":1}');
  });

  it('sends a body: template as text, without HTML escaping', async () => {
    const request = await send(`
  - id: notify
    type: http
    url: https://receiver.test/hook
    body: "name=<{{trigger.body.name}}> & items={{json trigger.body.items}}"
`);
    assert.equal(request.body, 'name=<octo> & items=[{"id":1},{"id":2}]');
    assert.equal(request.headers['content-type'], 'text/plain; charset=utf-8');
  });

  it('renders every header, with secrets', async () => {
    const request = await send(
      `
  - id: notify
    type: http
    url: "{{secrets.CHAT_URL}}/post?who={{urlencode trigger.body.name}}"
    headers:
      Authorization: "Bearer {{secrets.TOKEN}}"
      X-Delivery: "{{trigger.deliveryId}}"
      X-Static: fixed
`,
      contextFor({ secrets: { CHAT_URL: 'https://chat.test', TOKEN: 'tok-123' } }),
      { CHAT_URL: 'https://chat.test', TOKEN: 'tok-123' },
    );
    assert.equal(request.url, 'https://chat.test/post?who=octo');
    assert.deepEqual(request.headers, {
      authorization: 'Bearer tok-123',
      'x-delivery': 'delivery-1',
      'x-static': 'fixed',
      'idempotency-key': 'run-1.notify',
    });
  });

  it('sends no body and no content type without json: or body:', async () => {
    const request = await send(`
  - id: notify
    type: http
    method: GET
    url: https://receiver.test/status
`);
    assert.equal(request.method, 'GET');
    assert.equal(request.body, undefined);
    assert.equal('body' in request, false);
    assert.equal(request.headers['content-type'], undefined);
  });

  it('uses POST and the default timeout when the step names neither', async () => {
    const request = await send(`
  - id: notify
    type: http
    url: https://receiver.test/hook
`);
    assert.equal(request.method, 'POST');
    assert.equal(request.timeoutMs, 30_000);
  });
});

describe('executeStep: if', () => {
  const conditions: Array<[string, string, 'skipped' | 'succeeded']> = [
    ['false', 'false', 'skipped'],
    ['a comparison that is false', '$count(trigger.body.items) > 5', 'skipped'],
    ['a name that matches nothing', 'trigger.body.nothing', 'skipped'],
    ['an empty string', '""', 'skipped'],
    ['true', 'true', 'succeeded'],
    ['a comparison that is true', '$count(trigger.body.items) > 1', 'succeeded'],
    ['a non-empty string', 'trigger.body.name', 'succeeded'],
    ['an earlier step output', 'steps.check.ok', 'succeeded'],
  ];
  for (const [name, condition, expected] of conditions) {
    it(`${expected === 'skipped' ? 'skips' : 'runs'} the step when if is ${name}`, async () => {
      const client = new FakeHttpClient(answer(200));
      const step = loadStep(`
  - id: notify
    type: http
    if: '${condition}'
    url: https://receiver.test/hook
`);
      const outcome = await executeStep(step, contextFor({ steps: { check: { ok: true } } }), portsFor(client));
      assert.equal(outcome.status, expected);
      assert.equal(client.requests.length, expected === 'skipped' ? 0 : 1);
      if (outcome.status === 'skipped') assert.equal(outcome.reason, 'condition is false');
    });
  }

  const erroring: Array<[string, string, RegExp]> = [
    ['$error', '$error("boom")', /^step "notify" of workflow "wf": if: boom$/],
    ['a type error', 'trigger.body.name + 1', /^step "notify" of workflow "wf": if: .+/],
  ];
  for (const [name, condition, message] of erroring) {
    it(`fails for good, with a message, when if raises ${name}`, async () => {
      const client = new FakeHttpClient(answer(200));
      const step = loadStep(`
  - id: notify
    type: http
    if: '${condition}'
    url: https://receiver.test/hook
`);
      const outcome = failure(await executeStep(step, contextFor(), portsFor(client)));
      assert.equal(outcome.error.code, 'CONDITION_FAILED');
      assert.match(outcome.error.message, message);
      assert.equal(outcome.retryable, false);
      assert.equal(client.requests.length, 0);
    });
  }

  it('applies to transform steps too', async () => {
    const step = loadStep(`
  - id: message
    type: transform
    if: 'false'
    expression: '1'
`);
    assert.deepEqual(await executeStep(step, contextFor(), portsFor(new FakeHttpClient(answer(200)))), {
      status: 'skipped',
      reason: 'condition is false',
    });
  });
});

describe('executeStep: transform', () => {
  const outputs: Array<[string, string, unknown]> = [
    ['an object', '{ "text": trigger.body.name & "!", "n": $count(trigger.body.items) }', { text: 'octo!', n: 2 }],
    ['a sequence, as a plain array', 'trigger.body.items.id', [1, 2]],
    ['a number', '$sum(trigger.body.items.id)', 3],
    ['an earlier step output', 'steps.first.value * 2', 42],
    ['the run', 'run.id & "/" & run.workflowId', 'run-1/wf'],
    ['an object without its functions', '{ "a": 1, "f": function($x){ $x } }', { a: 1 }],
    ['nothing, for no match', 'trigger.body.nothing', undefined],
  ];
  for (const [name, expression, expected] of outputs) {
    it(`outputs ${name}`, async () => {
      const step = loadStep(`
  - id: message
    type: transform
    expression: '${expression}'
`);
      const outcome = await executeStep(step, contextFor({ steps: { first: { value: 21 } } }), portsFor(new FakeHttpClient(answer(200))));
      assert.deepEqual(outcome, { status: 'succeeded', output: expected });
    });
  }

  it('fails for good when the expression raises an error', async () => {
    const step = loadStep(`
  - id: message
    type: transform
    expression: '$error("bad input")'
`);
    assert.deepEqual(await executeStep(step, contextFor(), portsFor(new FakeHttpClient(answer(200)))), {
      status: 'failed',
      error: { code: 'EXPRESSION_FAILED', message: 'step "message" of workflow "wf": expression: bad input' },
      retryable: false,
    });
  });
});

describe('executeStep: template failures', () => {
  // [where the missing name is, step YAML, expected message]
  const missing: Array<[string, string, string]> = [
    [
      'url',
      `url: "https://receiver.test/{{trigger.body.missing}}"`,
      'step "notify" of workflow "wf": unknown name trigger.body.missing in url template',
    ],
    [
      'body',
      `url: https://receiver.test/hook
    body: "hello {{steps.message.txt}}"`,
      'step "notify" of workflow "wf": unknown name steps.message.txt in body template',
    ],
    [
      'a header',
      `url: https://receiver.test/hook
    headers: { X-Name: "{{trigger.body.user.login}}" }`,
      'step "notify" of workflow "wf": unknown name trigger.body.user.login in header "X-Name" template',
    ],
  ];
  for (const [name, fields, message] of missing) {
    it(`fails for good on a missing name in ${name}, saying where`, async () => {
      const client = new FakeHttpClient(answer(200));
      const steps = loadSteps(`
  - id: message
    type: transform
    expression: '{ "text": "hi" }'
  - id: notify
    type: http
    ${fields}
`);
      const outcome = await executeStep(steps[1]!, contextFor({ steps: { message: { text: 'hi' } } }), portsFor(client));
      assert.deepEqual(outcome, { status: 'failed', error: { code: 'TEMPLATE_FAILED', message }, retryable: false });
      assert.equal(client.requests.length, 0);
    });
  }

  it('fails for good when a helper throws', async () => {
    const client = new FakeHttpClient(answer(200));
    const step = loadStep(`
  - id: notify
    type: http
    url: "https://receiver.test/?q={{urlencode trigger.body.name}}"
`);
    const outcome = failure(await executeStep(step, contextFor({ body: { name: '\uD800' } }), portsFor(client)));
    assert.equal(outcome.error.code, 'TEMPLATE_FAILED');
    assert.match(outcome.error.message, /^step "notify" of workflow "wf": template failed: .*URI malformed.* in url template$/);
    assert.equal(outcome.retryable, false);
    assert.equal(client.requests.length, 0);
  });
});

describe('executeStep: runaway expressions', () => {
  const runaway = '($f := function($x){ $f($x) }; $f(1))';
  const cases: Array<[string, string, string, RegExp]> = [
    [
      'a transform',
      `
  - id: message
    type: transform
    expression: '${runaway}'
`,
      'EXPRESSION_FAILED',
      /^step "message" of workflow "wf": expression: expression (ran longer than \d+ ms|exceeded the maximum depth)/,
    ],
    [
      'an if',
      `
  - id: notify
    type: http
    if: '${runaway}'
    url: https://receiver.test/hook
`,
      'CONDITION_FAILED',
      /^step "notify" of workflow "wf": if: expression (ran longer than \d+ ms|exceeded the maximum depth)/,
    ],
    [
      'a json: body',
      `
  - id: notify
    type: http
    url: https://receiver.test/hook
    json: '($f := function($x){ 1 + $f($x + 1) }; $f(1))'
`,
      'EXPRESSION_FAILED',
      /^step "notify" of workflow "wf": json: expression (ran longer than \d+ ms|exceeded the maximum depth|recursed too deeply)/,
    ],
  ];
  for (const [name, stepYaml, code, message] of cases) {
    it(`stops endless recursion in ${name} with a clear error`, async () => {
      const client = new FakeHttpClient(answer(200));
      const outcome = failure(await executeStep(loadStep(stepYaml), contextFor(), portsFor(client)));
      assert.equal(outcome.error.code, code);
      assert.match(outcome.error.message, message);
      assert.equal(outcome.retryable, false);
      assert.equal(client.requests.length, 0);
    });
  }
});

describe('executeStep: requests that cannot be sent', () => {
  // [case, step fields, trigger body, message]
  const invalid: Array<[string, string, unknown, RegExp]> = [
    ['an ftp URL', 'url: ftp://files.test/a', {}, /url "ftp:\/\/files\.test\/a" is not an http\(s\) URL/],
    ['a file URL', 'url: file:///etc/passwd', {}, /url "file:\/\/\/etc\/passwd" is not an http\(s\) URL/],
    ['a relative URL', 'url: /hook', {}, /url "\/hook" is not an http\(s\) URL/],
    ['a URL without a host', 'url: "http://"', {}, /url "http:\/\/" is not an http\(s\) URL/],
    ['a rendered URL that is not one', 'url: "{{trigger.body.target}}"', { target: 'javascript:alert(1)' }, /is not an http\(s\) URL/],
    ['a rendered URL with spaces in the host', 'url: "http://{{trigger.body.target}}/x"', { target: 'a b' }, /is not an http\(s\) URL/],
    [
      'a header value with a line break',
      `url: https://receiver.test/hook
    headers: { X-Name: "{{trigger.body.name}}" }`,
      { name: 'a\r\nX-Injected: 1' },
      /header "X-Name" has a line break/,
    ],
    [
      'a header value outside Latin-1',
      `url: https://receiver.test/hook
    headers: { X-Name: "{{trigger.body.name}}" }`,
      { name: 'snow ☃' },
      /header "X-Name" has a line break or a character outside Latin-1/,
    ],
    [
      'an invalid header name',
      `url: https://receiver.test/hook
    headers: { "X Name": "v" }`,
      {},
      /"X Name" is not a valid header name/,
    ],
    [
      'a GET with a body',
      `method: GET
    url: https://receiver.test/hook
    json: '{ "a": 1 }'`,
      {},
      /a GET request cannot have a body/,
    ],
  ];
  for (const [name, fields, body, message] of invalid) {
    it(`fails for good, without sending, on ${name}`, async () => {
      const client = new FakeHttpClient(answer(200));
      const step = loadStep(`
  - id: notify
    type: http
    ${fields}
`);
      const outcome = failure(await executeStep(step, contextFor({ body }), portsFor(client)));
      assert.equal(outcome.error.code, 'INVALID_REQUEST');
      assert.match(outcome.error.message, /^step "notify" of workflow "wf": /);
      assert.match(outcome.error.message, message);
      assert.equal(outcome.retryable, false);
      assert.equal(client.requests.length, 0);
    });
  }

  const valid: Array<[string, string]> = [
    ['an https URL', 'https://receiver.test/a?b=c#d'],
    ['an http URL with a port', 'http://127.0.0.1:8080/a'],
    ['an upper-case scheme', 'HTTPS://receiver.test/a'],
  ];
  for (const [name, url] of valid) {
    it(`sends to ${name}`, async () => {
      const client = new FakeHttpClient(answer(200));
      const step = loadStep(`
  - id: notify
    type: http
    url: "${url}"
`);
      assert.equal((await executeStep(step, contextFor(), portsFor(client))).status, 'succeeded');
      assert.equal(client.requests[0]?.url, url);
    });
  }
});
