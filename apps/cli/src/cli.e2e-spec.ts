/**
 * The compiled CLI as a user runs it: a child process in a folder of workflows this file
 * writes, talking to local HTTP servers that stand in for a step's receiver and for a
 * running Hookflow.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in `cwd` with only PATH and `env` set, so the caller's environment can't leak in. */
function cli(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A fresh project folder holding `files` (paths relative to it), removed after the test. */
async function project(t: TestContext, files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'hookflow-cli-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A local HTTP server that records every request and answers with `answer`. */
async function receiver(t: TestContext, answer: { status: number; body: unknown }): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

const GOOD = `id: good
steps:
  - id: one
    type: transform
    expression: '1'
`;

test('validate exits 0 and counts the workflows of a valid folder', async (t) => {
  const root = await project(t, { 'workflows/good.yaml': GOOD, 'workflows/other.yml': GOOD.replace('id: good', 'id: other') });
  const result = await cli(root, ['validate']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /^2 workflows valid$/m);
  assert.equal(result.stdout, '');
});

test('validate exits 1 with file:line:col: message for every invalid file', async (t) => {
  const root = await project(t, {
    'workflows/good.yaml': GOOD,
    'workflows/missing-secret.yaml': `id: missing-secret\nsecrets: [HOOKFLOW_E2E_UNSET]\n${GOOD.slice(GOOD.indexOf('steps:'))}`,
    'workflows/bad-step.yml': `id: bad-step\nsteps:\n  - id: a\n    type: email\n`,
    'workflows/bad-yaml.yaml': `id: bad-yaml\nsteps: [\n`,
  });
  const result = await cli(root, ['validate', 'workflows']);
  assert.equal(result.code, 1);
  const lines = result.stdout.trim().split('\n');
  assert.ok(lines.includes('workflows/missing-secret.yaml:2:11: secret HOOKFLOW_E2E_UNSET is not set in the environment'), result.stdout);
  assert.ok(
    lines.some((line) => line.startsWith('workflows/bad-step.yml:4:11: unknown step type "email"')),
    result.stdout,
  );
  assert.ok(
    lines.some((line) => /^workflows\/bad-yaml\.yaml:\d+:\d+: invalid YAML/.test(line)),
    result.stdout,
  );
  assert.ok(!result.stdout.includes('good.yaml'));
  assert.match(result.stderr, /3 errors in 3 of 4 workflow files/);
});

test('validate reads the folder from HOOKFLOW_WORKFLOWS_DIR and the secrets from the environment', async (t) => {
  const root = await project(t, { 'flows/needs-secret.yaml': `secrets: [HOOKFLOW_E2E_SET]\n${GOOD.slice(GOOD.indexOf('steps:'))}` });
  const result = await cli(root, ['validate'], { HOOKFLOW_WORKFLOWS_DIR: 'flows', HOOKFLOW_E2E_SET: 'value' });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stderr, /^1 workflow valid$/m);
});

test('validate of a missing folder is one line on stderr, without a stack trace', async (t) => {
  const root = await project(t, {});
  const result = await cli(root, ['validate', 'nowhere']);
  assert.equal(result.code, 1);
  assert.equal(result.stderr, 'hookflow: cannot read the workflows folder "nowhere": no such folder\n');
});

test('run prints every step of a transform workflow, with secrets masked and false conditions skipped', async (t) => {
  const root = await project(t, {
    'workflows/greet.yaml': `id: greet
secrets: [GREETING_TOKEN]
trigger:
  webhook:
    path: greetings
steps:
  - id: hello
    type: transform
    expression: '{ "text": "hello " & trigger.body.name, "path": trigger.path, "run": $substring(run.id, 0, 6), "token": secrets.GREETING_TOKEN }'
  - id: never
    type: transform
    if: 'trigger.body.name = "nobody"'
    expression: '"unreachable"'
  - id: shout
    type: transform
    expression: '$uppercase(steps.hello.text)'
`,
    'payload.json': '{ "name": "ada" }',
  });
  const result = await cli(root, ['run', 'greet', '--payload', 'payload.json'], { GREETING_TOKEN: 'tok-very-secret' });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.ok(!result.stdout.includes('tok-very-secret'));
  const hello = JSON.stringify({ text: 'hello ada', path: 'greetings', run: 'local-', token: '***' }, null, 2);
  assert.ok(result.stdout.includes(`step hello (transform): succeeded\n${hello}\n`), result.stdout);
  assert.match(result.stdout, /^step never \(transform\): skipped/m);
  assert.ok(result.stdout.includes('step shout (transform): succeeded\n"HELLO ADA"\n'), result.stdout);
});

test('run stops at a false filter and says the delivery would be filtered', async (t) => {
  const root = await project(t, {
    'workflows/only-paid.yaml': `id: only-paid
trigger:
  webhook:
    filter: 'body.status = "paid"'
steps:
  - id: one
    type: transform
    expression: '1'
`,
    'payload.json': '{ "status": "refunded" }',
  });
  const result = await cli(root, ['run', 'only-paid', '--payload', 'payload.json']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /filter is false: the delivery would be acknowledged as filtered/);
  assert.doesNotMatch(result.stdout, /step one/);
});

test('run sends an http step to its receiver and prints the response', async (t) => {
  const target = await receiver(t, { status: 200, body: { ok: true } });
  const root = await project(t, {
    'workflows/notify.yaml': `id: notify-flow
steps:
  - id: notify
    type: http
    method: POST
    url: ${target.url}/inbox?from={{urlencode trigger.body.user}}
    headers: { X-Run: '{{run.workflowId}}' }
    json: '{ "user": trigger.body.user }'
`,
    'payload.json': '{ "user": "grace hopper" }',
  });
  const result = await cli(root, ['run', 'workflows/notify.yaml', '--payload', 'payload.json']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.equal(target.received.length, 1);
  const [request] = target.received;
  assert.equal(request!.method, 'POST');
  assert.equal(request!.url, '/inbox?from=grace%20hopper');
  assert.equal(request!.headers['x-run'], 'notify-flow');
  assert.match(String(request!.headers['idempotency-key']), /^local-[0-9a-f]+\.notify$/);
  assert.deepEqual(JSON.parse(request!.body.toString('utf8')), { user: 'grace hopper' });
  assert.match(result.stdout, /^step notify \(http\): succeeded$/m);
  assert.match(result.stdout, /"status": 200/);
  assert.match(result.stdout, /"ok": true/);
});

test('run exits 1 on a failed http step and says the server would retry it', async (t) => {
  const target = await receiver(t, { status: 503, body: { error: 'busy' } });
  const root = await project(t, {
    'workflows/flaky.yaml': `id: flaky
steps:
  - id: call
    type: http
    method: POST
    url: ${target.url}/busy
    retry: { attempts: 4 }
  - id: after
    type: transform
    expression: '1'
`,
    'payload.json': '{}',
  });
  const result = await cli(root, ['run', 'flaky', '--payload', 'payload.json']);
  assert.equal(result.code, 1);
  assert.equal(target.received.length, 1, 'no retries');
  assert.match(result.stdout, /^step call \(http\): failed$/m);
  assert.match(result.stdout, /HTTP_STATUS: .*answered 503/);
  assert.match(result.stdout, /the server would retry this step \(up to 4 attempts in all\)/);
  assert.doesNotMatch(result.stdout, /step after/);
  assert.match(result.stderr, /run failed at step "call"/);
});

test('run of an invalid workflow file prints its errors and exits 1', async (t) => {
  const root = await project(t, { 'wf/broken.yaml': `id: broken\nsteps:\n  - id: a\n    type: email\n`, 'payload.json': '{}' });
  const result = await cli(root, ['run', 'wf/broken.yaml', '--payload', 'payload.json']);
  assert.equal(result.code, 1);
  assert.match(result.stdout, /^wf\/broken\.yaml:4:11: unknown step type "email"/m);
});

test('run of an unknown workflow or an unparsable payload is a one-line error', async (t) => {
  const root = await project(t, { 'workflows/good.yaml': GOOD, 'bad.json': '{ not json' });
  const unknown = await cli(root, ['run', 'missing', '--payload', 'bad.json']);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, 'hookflow: no workflow "missing" in workflows (workflows there: good)\n');
  const unparsable = await cli(root, ['run', 'good', '--payload', 'bad.json']);
  assert.equal(unparsable.code, 1);
  assert.match(unparsable.stderr, /^hookflow: the payload file "bad\.json" is not JSON: /);
  assert.doesNotMatch(unparsable.stderr, /\n\s+at /);
});

const GITHUB = `id: gh
secrets: [GH_HOOK_SECRET]
trigger:
  webhook:
    path: gh/push
    auth:
      type: hmac
      preset: github
      secret: "{{secrets.GH_HOOK_SECRET}}"
steps:
  - id: one
    type: transform
    expression: '1'
`;

test('send posts the payload bytes signed with the github preset to the hook path', async (t) => {
  const server = await receiver(t, { status: 202, body: { deliveryId: 'd1', runId: 'r1' } });
  const payload = '{"ref":"refs/heads/main",  "commits": [1]}\n';
  const root = await project(t, { 'workflows/gh.yaml': GITHUB, 'push.json': payload });
  const result = await cli(root, ['send', 'gh', '--payload', 'push.json', '--url', server.url, '--header', 'X-GitHub-Event: push'], {
    GH_HOOK_SECRET: 'hook-secret-1',
  });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.equal(server.received.length, 1);
  const [request] = server.received;
  assert.equal(request!.method, 'POST');
  assert.equal(request!.url, '/hooks/gh/push');
  assert.equal(request!.body.toString('utf8'), payload);
  assert.equal(request!.headers['content-type'], 'application/json');
  assert.equal(request!.headers['x-github-event'], 'push');
  const expected = 'sha256=' + createHmac('sha256', 'hook-secret-1').update(payload).digest('hex');
  assert.equal(request!.headers['x-hub-signature-256'], expected);
  assert.match(result.stdout, /^202 Accepted$/m);
  assert.match(result.stdout, /"runId": "r1"/);
});

test('send exits 1 when the server answers with an error', async (t) => {
  const server = await receiver(t, { status: 401, body: { error: { code: 'INVALID_SIGNATURE', message: 'no' } } });
  const root = await project(t, { 'workflows/good.yaml': GOOD, 'note.txt': 'plain words' });
  const result = await cli(root, ['send', 'good', '--payload', 'note.txt', '--url', `${server.url}/`]);
  assert.equal(result.code, 1);
  assert.equal(server.received[0]!.url, '/hooks/good');
  assert.equal(server.received[0]!.headers['content-type'], 'text/plain');
  assert.match(result.stdout, /^401 Unauthorized$/m);
  assert.match(result.stdout, /INVALID_SIGNATURE/);
});

test('send to a server that is not running is a one-line error', async (t) => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const root = await project(t, { 'workflows/good.yaml': GOOD, 'payload.json': '{}' });
  const result = await cli(root, ['send', 'good', '--payload', 'payload.json', '--url', `http://127.0.0.1:${port}`]);
  assert.equal(result.code, 1);
  assert.equal(result.stderr, `hookflow: cannot send to http://127.0.0.1:${port}/hooks/good: ECONNREFUSED\n`);
});
