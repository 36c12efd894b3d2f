import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_HTTP_TIMEOUT_MS,
  DEFAULT_RETRY,
  loadWorkflowSource,
  sourcePosition,
  workflowVersion,
  type Environment,
} from './workflow.loader.js';
import type { CompiledExpression, CompiledTemplate, Step, Workflow, WorkflowError } from './workflow.types.js';

/** Lines joined into a file, so that line numbers in the cases can be counted. */
const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;

const ENV: Environment = { GITHUB_WEBHOOK_SECRET: 'gh-secret', CHAT_URL: 'https://chat.test/hooks/abc' };

/** The example of SPEC §2, comments and all. */
const SPEC_EXAMPLE = yaml(
  'id: github-push-to-chat          # unique; [a-z0-9][a-z0-9-_]*; default: the file name',
  'name: Tell the team about pushes to main',
  'secrets: [GITHUB_WEBHOOK_SECRET, CHAT_URL]   # env vars this workflow may read; missing → workflow invalid',
  '',
  'trigger:',
  '  webhook:',
  '    path: github-push            # → POST /hooks/github-push ; default: the id',
  '    methods: [POST]              # default [POST]',
  '    auth:                        # optional; a list means any one may pass',
  '      type: hmac',
  '      preset: github             # github | stripe | standard-webhooks | shopify | slack | generic',
  '      secret: "{{secrets.GITHUB_WEBHOOK_SECRET}}"   # a list of secrets allows rotation',
  '    allowIps: [192.30.252.0/22, "2a0a:a440::/29"]  # optional CIDR allowlist',
  '    rateLimit: { requests: 100, per: 1m }          # optional, per client IP',
  '    maxBody: 5mb                 # optional, overrides HOOKFLOW_MAX_BODY',
  '    schema:                      # optional JSON Schema for the parsed body',
  '      type: object',
  '      required: [ref, repository]',
  `    idempotencyKey: 'headers."x-github-delivery"'  # optional JSONata over the delivery`,
  `    filter: 'body.ref = "refs/heads/main"'         # optional JSONata; false → acknowledged, no run`,
  '  cron: "*/15 * * * *"           # optional schedule, alone or beside the webhook',
  '',
  'steps:',
  '  - id: message',
  "    type: transform              # JSONata; its result is the step's output",
  '    expression: |',
  '      { "text": trigger.body.repository.full_name & ": " & $count(trigger.body.commits) & " new commits" }',
  '',
  '  - id: notify',
  '    type: http',
  "    if: '$count(trigger.body.commits) > 0'          # optional JSONata; false → step skipped",
  '    method: POST',
  '    url: "{{secrets.CHAT_URL}}"                      # Handlebars template',
  '    headers: { Content-Type: application/json }',
  "    json: 'steps.message'                            # JSONata → JSON body (or `body:` Handlebars string)",
  '    timeout: 10s',
  '    retry: { attempts: 5, backoff: exponential, delay: 1s, maxDelay: 10m }',
);

/** A workflow with compiled parts replaced by their sources, to compare with plain data. */
function shape(workflow: Workflow): unknown {
  const expression = (compiled: CompiledExpression | undefined): string | undefined => compiled?.source;
  const template = (compiled: CompiledTemplate): string => compiled.source;
  const step = (s: Step): unknown =>
    s.type === 'transform'
      ? { ...s, if: expression(s.if), expression: expression(s.expression) }
      : {
          ...s,
          if: expression(s.if),
          url: template(s.url),
          headers: s.headers.map((header) => ({ name: header.name, value: template(header.value) })),
          body: s.body && template(s.body),
          json: expression(s.json),
        };
  const webhook = workflow.webhook && {
    ...workflow.webhook,
    schema: workflow.webhook.schema?.source,
    idempotencyKey: expression(workflow.webhook.idempotencyKey),
    filter: expression(workflow.webhook.filter),
  };
  return JSON.parse(JSON.stringify({ ...workflow, source: undefined, webhook, steps: workflow.steps.map(step) })) as unknown;
}

function loadValid(file: string, text: string, env: Environment = ENV): Workflow {
  const loaded = loadWorkflowSource(file, text, env);
  assert.deepEqual(loaded.errors, []);
  assert.ok(loaded.workflow);
  return loaded.workflow;
}

describe('loadWorkflowSource: a valid workflow', () => {
  it('compiles the SPEC example with secrets from the environment', () => {
    const workflow = loadValid('github-push-to-chat.yaml', SPEC_EXAMPLE);
    assert.deepEqual(shape(workflow), {
      id: 'github-push-to-chat',
      name: 'Tell the team about pushes to main',
      version: workflowVersion(SPEC_EXAMPLE),
      file: 'github-push-to-chat.yaml',
      secrets: { GITHUB_WEBHOOK_SECRET: 'gh-secret', CHAT_URL: 'https://chat.test/hooks/abc' },
      webhook: {
        path: 'github-push',
        methods: ['POST'],
        auth: [{ type: 'hmac', preset: 'github', secrets: ['gh-secret'], toleranceMs: 300_000 }],
        allowIps: ['192.30.252.0/22', '2a0a:a440::/29'],
        rateLimit: { requests: 100, perMs: 60_000 },
        maxBodyBytes: 5 * 1024 * 1024,
        schema: { type: 'object', required: ['ref', 'repository'] },
        idempotencyKey: 'headers."x-github-delivery"',
        filter: 'body.ref = "refs/heads/main"',
      },
      cron: { schedule: '*/15 * * * *' },
      steps: [
        {
          id: 'message',
          type: 'transform',
          expression: '{ "text": trigger.body.repository.full_name & ": " & $count(trigger.body.commits) & " new commits" }\n',
        },
        {
          id: 'notify',
          type: 'http',
          if: '$count(trigger.body.commits) > 0',
          method: 'POST',
          url: '{{secrets.CHAT_URL}}',
          headers: [{ name: 'Content-Type', value: 'application/json' }],
          json: 'steps.message',
          timeoutMs: 10_000,
          retry: { attempts: 5, backoff: 'exponential', delayMs: 1000, maxDelayMs: 600_000 },
        },
      ],
    });
    assert.equal(workflow.source, SPEC_EXAMPLE);
  });

  it('compiles expressions and templates that run', async () => {
    const workflow = loadValid('github-push-to-chat.yaml', SPEC_EXAMPLE);
    const delivery = { body: { ref: 'refs/heads/main' }, headers: { 'x-github-delivery': 'd-1' } };
    assert.equal(await workflow.webhook?.filter?.evaluate(delivery), true);
    assert.equal(await workflow.webhook?.idempotencyKey?.evaluate(delivery), 'd-1');
    const [message, notify] = workflow.steps;
    assert.equal(message?.type, 'transform');
    assert.equal(notify?.type, 'http');
    if (message?.type !== 'transform' || notify?.type !== 'http') return;
    const run = { trigger: { body: { repository: { full_name: 'acme/app' }, commits: [{}, {}] } } };
    assert.deepEqual({ ...((await message.expression.evaluate(run)) as object) }, { text: 'acme/app: 2 new commits' });
    assert.equal(await notify.if?.evaluate(run), true);
    assert.equal(notify.url.render({ secrets: workflow.secrets }), 'https://chat.test/hooks/abc');
  });

  it('fills in the defaults of a minimal workflow, taking its id from the file name', () => {
    const text = yaml('steps:', '  - id: ping', '    type: http', '    url: https://example.test/ping');
    const workflow = loadValid('team/minimal-hook.yaml', text, {});
    assert.deepEqual(shape(workflow), {
      id: 'minimal-hook',
      name: 'minimal-hook',
      version: workflowVersion(text),
      file: 'team/minimal-hook.yaml',
      secrets: {},
      webhook: { path: 'minimal-hook', methods: ['POST'], auth: [], allowIps: [] },
      steps: [
        {
          id: 'ping',
          type: 'http',
          method: 'POST',
          url: 'https://example.test/ping',
          headers: [],
          timeoutMs: DEFAULT_HTTP_TIMEOUT_MS,
          retry: DEFAULT_RETRY,
        },
      ],
    });
    assert.equal(DEFAULT_HTTP_TIMEOUT_MS, 30_000);
    assert.deepEqual(DEFAULT_RETRY, { attempts: 3, backoff: 'exponential', delayMs: 1000, maxDelayMs: 600_000 });
  });

  it('renders every auth secret, keeps a list for rotation and lower-cases header names', () => {
    const text = yaml(
      'id: rotated',
      'secrets: [OLD, NEW]',
      'trigger:',
      '  webhook:',
      '    auth:',
      '      - type: token',
      '        secret: ["{{secrets.OLD}}", "{{secrets.NEW}}"]',
      '      - type: header',
      '        header: X-Api-Key',
      '        secret: "key-{{secrets.NEW}}"',
      '      - type: hmac',
      '        preset: stripe',
      '        secret: "{{secrets.NEW}}"',
      '        tolerance: 90s',
      'steps:',
      '  - id: a',
      '    type: transform',
      '    expression: trigger.body',
    );
    const workflow = loadValid('rotated.yaml', text, { OLD: 'old-1', NEW: 'new-2' });
    assert.deepEqual(workflow.webhook?.auth, [
      { type: 'token', secrets: ['old-1', 'new-2'] },
      { type: 'header', header: 'x-api-key', secrets: ['key-new-2'] },
      { type: 'hmac', preset: 'stripe', secrets: ['new-2'], toleranceMs: 90_000 },
    ]);
  });

  it('accepts a cron-only workflow with seconds and a timezone, and serves no webhook', () => {
    const text = yaml(
      'id: nightly',
      'trigger:',
      '  cron: { schedule: "0 0 3 * * *", timezone: Europe/Paris }',
      'steps:',
      '  - id: a',
      '    type: transform',
      '    expression: "1"',
    );
    const workflow = loadValid('nightly.yaml', text);
    assert.deepEqual(workflow.cron, { schedule: '0 0 3 * * *', timezone: 'Europe/Paris' });
    assert.equal(workflow.webhook, undefined);
  });

  it('gives a version of 16 hex characters that changes with the text and only with it', () => {
    const other = SPEC_EXAMPLE.replace('timeout: 10s', 'timeout: 11s');
    const first = loadValid('a.yaml', SPEC_EXAMPLE).version;
    assert.match(first, /^[0-9a-f]{16}$/);
    assert.equal(loadValid('b.yaml', SPEC_EXAMPLE).version, first);
    assert.notEqual(loadValid('a.yaml', other).version, first);
  });

  it("validates bodies against the webhook's schema, reporting every violation with its path", () => {
    const text = yaml(
      'id: typed',
      'trigger:',
      '  webhook:',
      '    schema:',
      '      $id: https://example.test/body.json',
      '      type: object',
      '      required: [ref, repository]',
      '      properties:',
      '        ref: { type: string }',
      '        pusher: { type: object, properties: { email: { type: string, format: email } } }',
      '        commits: { type: array, items: { type: object, required: [id] } }',
      'steps:',
      '  - id: a',
      '    type: transform',
      '    expression: trigger.body',
    );
    const validate = loadValid('typed.yaml', text).webhook?.schema?.validate;
    assert.ok(validate);
    assert.deepEqual(validate({ ref: 'main', repository: {} }), []);
    assert.deepEqual(validate({ ref: 7, pusher: { email: 'not an email' }, commits: [{ id: 1 }, {}] }), [
      { path: '/repository', message: "must have required property 'repository'" },
      { path: '/ref', message: 'must be string' },
      { path: '/pusher/email', message: 'must match format "email"' },
      { path: '/commits/1/id', message: "must have required property 'id'" },
    ]);
    assert.deepEqual(validate('text'), [{ path: '/', message: 'must be object' }]);
  });

  it('loads the same body schema $id again, as every reload does', () => {
    const text = yaml(
      'id: reloaded',
      'trigger:',
      '  webhook:',
      '    schema: { $id: "https://example.test/reloaded.json", type: object }',
      'steps:',
      '  - id: a',
      '    type: transform',
      '    expression: trigger.body',
    );
    loadValid('reloaded.yaml', text);
    loadValid('reloaded.yaml', text);
  });

  it('reads CRLF line endings', () => {
    const text = yaml(
      'id: crlf',
      'steps:',
      '  - id: a',
      '    type: transform',
      '    expression: |',
      '      trigger.body',
      '        .name',
    ).replace(/\n/g, '\r\n');
    const [step] = loadValid('crlf.yaml', text).steps;
    assert.equal(step?.type === 'transform' ? step.expression.source : undefined, 'trigger.body\n  .name\n');
  });
});

interface BadCase {
  name: string;
  file?: string;
  text: string;
  env?: Environment;
  /** Every error expected, in order: line, column and a fragment of the message. */
  errors: Array<[line: number, col: number, message: string]>;
}

const TRANSFORM = ['  - id: a', '    type: transform', '    expression: trigger.body'];
/** A workflow of one transform step whose expression is written as given (line 5, value at column 17). */
const withExpression = (...expression: string[]): string =>
  yaml('id: w', 'steps:', '  - id: a', '    type: transform', `    expression: ${expression[0]}`, ...expression.slice(1));
/** A workflow of one http step with these extra lines (from line 5). */
const withHttpStep = (...lines: string[]): string => yaml('id: w', 'steps:', '  - id: a', '    type: http', ...lines);
/** A workflow with this webhook trigger (from line 4) and one transform step. */
const withWebhook = (...lines: string[]): string => yaml('id: w', 'trigger:', '  webhook:', ...lines, 'steps:', ...TRANSFORM);

const badYaml: BadCase[] = [
  {
    name: 'an unclosed quote, at the quote',
    text: yaml('id: "abc', 'steps: []'),
    errors: [[1, 5, 'invalid YAML: Missing closing "quote']],
  },
  {
    name: 'a key indented too far',
    text: yaml('id: w', 'steps:', '  - id: a', '    type: transform', '      expression: x'),
    errors: [
      [4, 11, 'invalid YAML: Nested mappings are not allowed in compact mappings'],
      [4, 11, 'invalid YAML: Implicit keys need to be on a single line'],
    ],
  },
  {
    name: 'a key indented too little',
    text: yaml('id: w', 'steps:', '  - id: a', '    type: transform', '   expression: x'),
    errors: [[5, 1, 'invalid YAML: Sequence item without - indicator']],
  },
  {
    name: 'a duplicate key',
    text: yaml('id: w', 'name: x', 'id: v', 'steps: []'),
    errors: [[3, 1, 'invalid YAML: Map keys must be unique']],
  },
  {
    name: 'a tab as indentation',
    text: yaml('id: w', 'steps:', '\t- id: a'),
    errors: [[3, 1, 'invalid YAML: Tabs are not allowed as indentation']],
  },
  {
    name: 'an alias bomb',
    text: yaml(
      'id: w',
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'steps: []',
    ),
    errors: [[1, 1, 'invalid YAML: Excessive alias count']],
  },
];

const schemaViolations: BadCase[] = [
  {
    name: 'an unknown top-level property, at its key',
    text: yaml('id: w', 'stepz: []', 'steps:', ...TRANSFORM),
    errors: [[2, 1, 'the workflow: unknown property "stepz"']],
  },
  { name: 'missing steps', text: yaml('id: w', 'name: no steps'), errors: [[1, 1, 'the workflow: missing required property "steps"']] },
  { name: 'empty steps', text: yaml('id: w', 'steps: []'), errors: [[2, 8, 'steps: must NOT have fewer than 1 items']] },
  { name: 'a document that is not a map', text: yaml('- id: a'), errors: [[1, 1, 'the workflow: must be object']] },
  { name: 'an empty file', text: '', errors: [[1, 1, 'the workflow: must be object']] },
  {
    name: 'an id that breaks the pattern',
    text: yaml('id: Push_Events', 'steps:', ...TRANSFORM),
    errors: [[1, 5, 'id: must match pattern']],
  },
  {
    name: 'a bad secret name',
    text: yaml('id: w', 'secrets: [CHAT-URL]', 'steps:', ...TRANSFORM),
    errors: [[2, 11, 'secrets[0]: must match pattern']],
  },
  {
    name: 'an empty trigger',
    text: yaml('id: w', 'trigger: {}', 'steps:', ...TRANSFORM),
    errors: [[2, 10, 'trigger: must NOT have fewer than 1 properties']],
  },
  {
    name: 'a step without id, at the step',
    text: yaml('id: w', 'steps:', '  - type: transform', '    expression: x'),
    errors: [[3, 5, 'steps[0]: missing required property "id"']],
  },
  {
    name: 'an unknown step type, at the type',
    text: yaml('id: w', 'steps:', '  - id: a', '    type: foo'),
    errors: [[4, 11, 'unknown step type "foo"']],
  },
  {
    name: 'a transform step with url',
    text: yaml('id: w', 'steps:', ...TRANSFORM, '    url: https://example.test'),
    errors: [[6, 10, 'steps[0].url: "url" is not allowed here for this step type']],
  },
  {
    name: 'a transform step without expression',
    text: yaml('id: w', 'steps:', '  - id: a', '    type: transform'),
    errors: [[3, 5, 'steps[0]: missing required property "expression"']],
  },
  {
    name: 'an http step without url',
    text: withHttpStep('    method: GET'),
    errors: [[3, 5, 'steps[0]: missing required property "url"']],
  },
  {
    name: 'an http step with expression',
    text: withHttpStep('    url: https://example.test', '    expression: x'),
    errors: [[6, 17, 'steps[0].expression: "expression" is not allowed here for this step type']],
  },
  {
    name: 'an http step with both body and json',
    text: withHttpStep('    url: https://example.test', '    body: hello', "    json: '{}'"),
    errors: [[3, 5, 'steps[0]: an http step takes either body or json, not both']],
  },
  {
    name: 'a duration in words',
    text: withHttpStep('    url: https://example.test', '    timeout: 10 seconds'),
    errors: [[6, 14, 'steps[0].timeout: expected 250ms, 10s, 5m, 1h, 1d or a number of milliseconds']],
  },
  {
    name: 'a bad step method',
    text: withHttpStep('    method: FETCH', '    url: https://example.test'),
    errors: [[5, 13, 'steps[0].method: must be one of: GET, POST, PUT, PATCH, DELETE']],
  },
  {
    name: 'a bad webhook method',
    text: withWebhook('    methods: [POST, FETCH]'),
    errors: [[4, 21, 'trigger.webhook.methods[1]: must be one of: GET, POST']],
  },
  {
    name: 'a bad retry policy, each field',
    text: withHttpStep('    url: https://example.test', '    retry: { attempts: 0, backoff: linear }'),
    errors: [
      [6, 24, 'steps[0].retry.attempts: must be >= 1'],
      [6, 36, 'steps[0].retry.backoff: must be one of: exponential, fixed'],
    ],
  },
  {
    name: 'an hmac auth without preset',
    text: withWebhook('    auth: { type: hmac, secret: x }'),
    errors: [[4, 11, 'trigger.webhook.auth: missing required property "preset"']],
  },
  {
    name: 'an unknown auth type',
    text: withWebhook('    auth: { type: oauth, secret: x }'),
    errors: [[4, 19, 'trigger.webhook.auth.type: must be one of: hmac, token']],
  },
  {
    name: 'an auth that is neither map nor list',
    text: withWebhook('    auth: 5'),
    errors: [[4, 11, 'trigger.webhook.auth: must be object or array']],
  },
  {
    name: 'a rate limit without per',
    text: withWebhook('    rateLimit: { requests: 10 }'),
    errors: [[4, 16, 'trigger.webhook.rateLimit: missing required property "per"']],
  },
  {
    name: 'a size in words',
    text: withWebhook('    maxBody: five megabytes'),
    errors: [[4, 14, 'trigger.webhook.maxBody: expected 512kb, 5mb or a number of bytes']],
  },
];

const badExpressions: BadCase[] = [
  {
    name: 'bad JSONata in a plain scalar, at the bad token',
    text: withExpression('a.b ] c'),
    errors: [[5, 21, 'steps[0].expression: invalid JSONata: Syntax error: "]"']],
  },
  {
    name: 'a bad word token, at its first letter',
    text: withExpression('abc def'),
    errors: [[5, 21, 'invalid JSONata: Syntax error: "def"']],
  },
  {
    name: 'an expression cut short, at its last character',
    text: withExpression('"foo + "'),
    errors: [[5, 22, 'invalid JSONata: Unexpected end of expression']],
  },
  {
    name: 'bad JSONata in a double-quoted scalar',
    text: withExpression('"a.b ] c"'),
    errors: [[5, 22, 'invalid JSONata: Syntax error: "]"']],
  },
  {
    name: 'bad JSONata after escapes in a double-quoted scalar',
    text: withExpression('"\\"x\\" & \\u00e9 & a.b ] c"'),
    errors: [[5, 39, 'Syntax error: "]"']],
  },
  {
    name: 'bad JSONata after a quote in a single-quoted scalar',
    text: withExpression("'''x'' & a.b ] c'"),
    errors: [[5, 30, 'Syntax error: "]"']],
  },
  {
    name: 'bad JSONata in a block scalar',
    text: withExpression('|', '      {', '        "a": b ] c', '      }'),
    errors: [[7, 16, 'invalid JSONata: Expected "}", got "]"']],
  },
  {
    name: 'bad JSONata in a block scalar with a comment and a keep indicator',
    text: withExpression('|+  # the message', '', '      a.b', '        & e ] f'),
    errors: [[8, 13, 'Syntax error: "]"']],
  },
  {
    name: 'bad JSONata in a folded block scalar',
    text: withExpression('>', '      a.b', '      & c.d', '', '      & e ] f'),
    errors: [[9, 11, 'Syntax error: "]"']],
  },
  {
    name: 'bad JSONata in a plain scalar over two lines',
    text: withExpression('a.b', '      & c.d ] f'),
    errors: [[6, 13, 'Syntax error: "]"']],
  },
  {
    name: 'bad JSONata in a double-quoted scalar over lines',
    text: withExpression('"a.b', '      & c.d', '', '      & e ] f"'),
    errors: [[8, 11, 'Syntax error: "]"']],
  },
  {
    name: 'bad JSONata in a block scalar with CRLF line endings',
    text: withExpression('|', '      {', '        "a": b ] c', '      }').replace(/\n/g, '\r\n'),
    errors: [[7, 16, 'Expected "}", got "]"']],
  },
  {
    name: 'bad JSONata in a flow map',
    text: yaml('id: w', 'steps:', '  - { id: a, type: transform, expression: "x ]" }'),
    errors: [[3, 46, 'steps[0].expression: invalid JSONata: Syntax error: "]"']],
  },
  {
    name: 'bad JSONata in if',
    text: yaml('id: w', 'steps:', '  - id: a', '    type: transform', "    if: '$count(x) >'", '    expression: x'),
    errors: [[5, 20, 'steps[0].if: invalid JSONata: Unexpected end of expression']],
  },
  {
    name: 'bad JSONata in json',
    text: withHttpStep('    url: https://example.test', `    json: '{ "a": }'`),
    errors: [[6, 19, 'steps[0].json: invalid JSONata']],
  },
  {
    name: 'bad JSONata in filter',
    text: withWebhook(`    filter: 'body.ref = = "x"'`),
    errors: [[4, 25, 'trigger.webhook.filter: invalid JSONata']],
  },
  {
    name: 'bad JSONata in idempotencyKey',
    text: withWebhook('    idempotencyKey: headers."x-id'),
    errors: [[4, 33, 'trigger.webhook.idempotencyKey: invalid JSONata: String literal must be terminated']],
  },
];

const badTemplates: BadCase[] = [
  {
    name: 'a bad Handlebars template, at the scalar',
    text: withHttpStep('    url: "https://example.test/{{#if x}}"'),
    errors: [[5, 10, 'steps[0].url: invalid template: Parse error on line 1: unexpected end of template']],
  },
  {
    name: 'an unknown helper, at its mustache',
    text: withHttpStep('    url: "https://example.test/{{shout x}}"'),
    errors: [[5, 32, `steps[0].url: invalid template: unknown helper "shout" (Hookflow's helpers: json, urlencode, base64)`]],
  },
  {
    name: 'an unknown helper on the second line of a block body',
    text: withHttpStep('    url: https://example.test', '    body: |', '      hello', '      {{shout x}}'),
    errors: [[8, 7, 'steps[0].body: invalid template: unknown helper "shout"']],
  },
  {
    name: 'a partial',
    text: withHttpStep('    url: "https://example.test/{{> p}}"'),
    errors: [[5, 32, 'steps[0].url: invalid template: partials are not supported']],
  },
  {
    name: 'a template reading an undeclared secret, at the name',
    text: withHttpStep('    url: "{{secrets.CHAT_URL}}"'),
    errors: [[5, 13, 'steps[0].url: secrets.CHAT_URL is not declared in secrets:']],
  },
  {
    name: 'an auth secret reading an undeclared secret',
    text: withWebhook('    auth: { type: bearer, secret: "{{secrets.TOKEN}}" }'),
    errors: [[4, 38, 'trigger.webhook.auth.secret: secrets.TOKEN is not declared in secrets:']],
  },
  {
    name: 'an auth secret reading the delivery',
    text: withWebhook('    auth: { type: bearer, secret: "{{trigger.body.token}}" }'),
    errors: [[4, 35, 'trigger.webhook.auth.secret: unknown name trigger.body.token']],
  },
  {
    name: 'a template reading a step that does not exist',
    text: yaml(
      'id: w',
      'secrets: [CHAT_URL]',
      'steps:',
      '  - id: message',
      '    type: transform',
      `    expression: '{ "text": "hi" }'`,
      '  - id: notify',
      '    type: http',
      '    url: "{{secrets.CHAT_URL}}/{{steps.mesage}}"',
    ),
    errors: [[9, 34, 'steps[1].url: unknown name steps.mesage (earlier steps: message)']],
  },
  {
    name: 'a template reading a later step',
    text: yaml(
      'id: w',
      'steps:',
      '  - id: notify',
      '    type: http',
      '    url: https://example.test',
      '    headers: { X-Text: "{{steps.message.text}}" }',
      '  - id: message',
      '    type: transform',
      '    expression: x',
    ),
    errors: [[6, 27, 'steps[0].headers.X-Text: unknown name steps.message.text (earlier steps: none)']],
  },
  {
    name: 'a template reading its own step',
    text: withHttpStep('    url: https://example.test', '    body: "{{json steps.a}}"'),
    errors: [[6, 19, 'steps[0].body: unknown name steps.a (earlier steps: none)']],
  },
];

const badValues: BadCase[] = [
  {
    name: 'a secret missing from the environment, at the secrets item',
    text: yaml('id: w', 'secrets: [CHAT_URL, MISSING]', 'steps:', ...TRANSFORM),
    errors: [[2, 21, 'secret MISSING is not set in the environment']],
  },
  {
    name: 'a secret set empty in the environment',
    text: yaml('id: w', 'secrets:', '  - CHAT_URL', '  - EMPTY', 'steps:', ...TRANSFORM),
    env: { ...ENV, EMPTY: '' },
    errors: [[4, 5, 'secret EMPTY is not set in the environment']],
  },
  {
    name: 'an auth secret that renders empty',
    text: withWebhook('    auth: { type: bearer, secret: "{{#if false}}x{{/if}}" }'),
    errors: [[4, 35, 'the secret is empty']],
  },
  {
    name: 'bad CIDRs and IPs',
    text: withWebhook('    allowIps: [10.0.0.0/8, 10.0.0.0/33, "10.1", "::1", "2001:db8::/129", nope]'),
    errors: [
      [4, 28, '"10.0.0.0/33" is not an IP address or CIDR range'],
      [4, 41, '"10.1" is not an IP address or CIDR range'],
      [4, 56, '"2001:db8::/129" is not an IP address or CIDR range'],
      [4, 74, '"nope" is not an IP address or CIDR range'],
    ],
  },
  {
    name: 'CIDRs that intake would not parse: a mapped IPv4 range too short, a prefix with a leading zero',
    text: withWebhook('    allowIps: ["::ffff:127.0.0.0/8", 1.2.3.4/08]'),
    errors: [
      [4, 16, '"::ffff:127.0.0.0/8" is not an IP address or CIDR range'],
      [4, 38, '"1.2.3.4/08" is not an IP address or CIDR range'],
    ],
  },
  {
    name: 'a rate limit period under a second',
    text: withWebhook('    rateLimit: { requests: 10, per: 500ms }'),
    errors: [[4, 37, 'a rate limit period must be at least 1s']],
  },
  {
    name: 'a cron with four fields',
    text: yaml('id: w', 'trigger:', '  cron: "* * * *"', 'steps:', ...TRANSFORM),
    errors: [[3, 9, 'cron takes 5 fields (or 6 with seconds first), got 4']],
  },
  {
    name: 'a cron with seven fields',
    text: yaml('id: w', 'trigger:', '  cron: { schedule: "0 0 0 * * * 2030" }', 'steps:', ...TRANSFORM),
    errors: [[3, 21, 'cron takes 5 fields (or 6 with seconds first), got 7']],
  },
  {
    name: 'a cron field out of range',
    text: yaml('id: w', 'trigger:', '  cron: "61 * * * *"', 'steps:', ...TRANSFORM),
    errors: [[3, 9, 'invalid cron "61 * * * *"']],
  },
  {
    name: 'a cron field that is not a number',
    text: yaml('id: w', 'trigger:', '  cron: "* * * * funday"', 'steps:', ...TRANSFORM),
    errors: [[3, 9, 'invalid cron "* * * * funday"']],
  },
  {
    name: 'an unknown cron timezone, at the timezone',
    text: yaml('id: w', 'trigger:', '  cron:', '    schedule: "* * * * *"', '    timezone: Mars/Olympus', 'steps:', ...TRANSFORM),
    errors: [[5, 15, 'invalid cron timezone "Mars/Olympus"']],
  },
  {
    name: 'an invalid body JSON Schema',
    text: withWebhook('    schema:', '      type: objekt'),
    errors: [[5, 7, 'invalid JSON Schema: schema is invalid: data/type must be equal to one of the allowed values']],
  },
  {
    name: 'a file name that is not an id, without id:',
    file: 'Push Events.yaml',
    text: yaml('steps:', ...TRANSFORM),
    errors: [[1, 1, 'the file name "Push Events" is not a valid workflow id; add an id: field']],
  },
  {
    name: 'a duplicate step id, at the second',
    text: yaml('id: w', 'steps:', ...TRANSFORM, '  - id: a', '    type: transform', '    expression: x'),
    errors: [[6, 9, 'duplicate step id "a"']],
  },
];

function checkErrors(cases: BadCase[]): void {
  for (const bad of cases) {
    const [first] = bad.errors;
    it(`reports ${bad.name}${first ? ` (${first[0]}:${first[1]})` : ''}`, () => {
      const file = bad.file ?? 'w.yaml';
      const loaded = loadWorkflowSource(file, bad.text, bad.env ?? ENV);
      assert.equal(loaded.workflow, undefined);
      const actual = loaded.errors.map((error): [number, number, string] => [error.line, error.col, error.message]);
      assert.deepEqual(
        actual.map(([line, col]) => [line, col]),
        bad.errors.map(([line, col]) => [line, col]),
        `positions of ${JSON.stringify(actual)}`,
      );
      bad.errors.forEach(([, , fragment], index) =>
        assert.ok(actual[index]![2].includes(fragment), `"${actual[index]![2]}" should contain "${fragment}"`),
      );
      for (const error of loaded.errors) assert.equal(error.file, file);
    });
  }
}

describe('loadWorkflowSource: bad YAML', () => checkErrors(badYaml));
describe('loadWorkflowSource: schema violations', () => checkErrors(schemaViolations));
describe('loadWorkflowSource: bad expressions', () => checkErrors(badExpressions));
describe('loadWorkflowSource: bad templates', () => checkErrors(badTemplates));
describe('loadWorkflowSource: bad values', () => checkErrors(badValues));

describe('loadWorkflowSource: several errors', () => {
  const messages = (errors: WorkflowError[]): string[] => errors.map((error) => `${error.line}:${error.col} ${error.message}`);

  it('reports every schema violation of a file, in file order', () => {
    const text = yaml('id: w', 'bogus: 1', 'steps:', '  - id: a', '    type: foo', '  - type: http', '    url: x', '    timeout: 1 sec');
    assert.deepEqual(messages(loadWorkflowSource('w.yaml', text, ENV).errors), [
      '2:1 the workflow: unknown property "bogus"',
      '5:11 unknown step type "foo" (expected one of: transform, http)',
      '6:5 steps[1]: missing required property "id"',
      '8:14 steps[1].timeout: expected 250ms, 10s, 5m, 1h, 1d or a number of milliseconds',
    ]);
  });

  it('reports every semantic error of a file, in file order', () => {
    const text = yaml(
      'id: w',
      'secrets: [NOPE]',
      'trigger:',
      '  webhook:',
      '    filter: "a ]"',
      '    allowIps: [1.2.3]',
      '  cron: "* *"',
      'steps:',
      '  - id: a',
      '    type: transform',
      '    expression: "b ]"',
      '  - id: b',
      '    type: http',
      '    url: "{{steps.c.x}}"',
    );
    assert.deepEqual(messages(loadWorkflowSource('w.yaml', text, {}).errors), [
      '2:11 secret NOPE is not set in the environment',
      '5:16 trigger.webhook.filter: invalid JSONata: Syntax error: "]"',
      '6:16 "1.2.3" is not an IP address or CIDR range',
      '7:9 cron takes 5 fields (or 6 with seconds first), got 2',
      '11:20 steps[0].expression: invalid JSONata: Syntax error: "]"',
      '14:13 steps[1].url: unknown name steps.c.x (earlier steps: a)',
    ]);
  });

  it('names the workflow by its id: even when the file is invalid', () => {
    const loaded = loadWorkflowSource('push.yaml', yaml('id: github-push', 'steps: []'), ENV);
    assert.equal(loaded.id, 'github-push');
    assert.equal(loadWorkflowSource('push.yaml', yaml('id: "unclosed'), ENV).id, 'push');
  });
});

describe('sourcePosition', () => {
  const text = yaml('id: w', 'trigger:', '  webhook:', '    path: hook', 'steps: []');
  const cases: Array<[Array<string | number>, { line: number; col: number }]> = [
    [['id'], { line: 1, col: 5 }],
    [['trigger', 'webhook', 'path'], { line: 4, col: 11 }],
    [['trigger', 'webhook', 'missing'], { line: 4, col: 5 }],
  ];
  for (const [path, expected] of cases) {
    it(`finds ${path.join('.')} at ${expected.line}:${expected.col}`, () =>
      assert.deepEqual(sourcePosition('w.yaml', text, path), expected));
  }
});
