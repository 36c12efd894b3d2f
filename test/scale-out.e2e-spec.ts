/**
 * Several Hookflow processes on one PostgreSQL database (SPEC §6), under
 * `npm run test:postgres` only: a burst of webhooks spread across three servers survives
 * kill -9 of one of them without a restart; the roles split intake from execution; and a
 * server that loses its database answers 503 meanwhile and finishes everything it
 * acknowledged once the database is back.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { e2e } from './support/e2e.js';
import { freePort, type Hookflow, type RunStatus } from './support/hookflow.js';
import { createTestDatabase, WITH_POSTGRES, type TestDatabase } from './support/postgres.js';
import type { Receiver } from './support/receiver.js';

const MAIN = fileURLToPath(new URL('../apps/hookflow/src/main.js', import.meta.url));
const LEASE_MS = 2000;
const CONCURRENCY = 4;

/** A fresh database for one test, dropped after the test's servers have stopped. */
async function freshDatabase(t: TestContext): Promise<TestDatabase> {
  const database = await createTestDatabase();
  t.after(() => database.drop());
  return database;
}

function relayWorkflow(target: Receiver): string {
  return `
id: relay
trigger:
  webhook:
    path: relay
steps:
  - id: first
    type: http
    method: POST
    url: "${target.url}/first"
    json: trigger.body
    timeout: 20s
  - id: second
    type: http
    method: POST
    url: "${target.url}/second"
    json: trigger.body
    timeout: 20s
`;
}

/**
 * Every step succeeded exactly once (its outcome recorded once), and the receiver saw a step's
 * Idempotency-Key more than once only when an attempt of that step was interrupted.
 */
async function assertCompletedOnce(
  server: Hookflow,
  target: Receiver,
  runIds: readonly string[],
): Promise<{ interrupted: number; sentTwice: number }> {
  let interrupted = 0;
  let sentTwice = 0;
  for (const runId of runIds) {
    const run = await server.waitForRun(runId, ['succeeded', 'failed', 'cancelled'] satisfies RunStatus[], 60_000);
    assert.equal(run.status, 'succeeded', `run ${runId}: ${JSON.stringify(run.error)}`);
    for (const stepId of ['first', 'second']) {
      const step = run.steps.find((each) => each.id === stepId);
      assert.equal(step?.status, 'succeeded', `run ${runId} step ${stepId}`);
      const attempts = step.attempts;
      assert.equal(
        attempts.filter((attempt) => attempt.status === 'succeeded').length,
        1,
        `run ${runId} step ${stepId} recorded once: ${JSON.stringify(attempts)}`,
      );
      assert.equal(attempts.at(-1)?.status, 'succeeded', 'nothing was attempted after the success');
      assert.ok(
        attempts.every((attempt) => attempt.status === 'succeeded' || attempt.status === 'interrupted'),
        `only interrupted attempts before the success: ${JSON.stringify(attempts)}`,
      );
      const cut = attempts.filter((attempt) => attempt.status === 'interrupted').length;
      interrupted += cut;
      const sent = target.requests.filter((request) => request.idempotencyKey === `${runId}.${stepId}`);
      assert.ok(sent.length >= 1, `the receiver saw ${runId}.${stepId}`);
      assert.ok(sent.length <= 1 + cut, `${runId}.${stepId} was sent ${sent.length} times but only ${cut} attempt(s) were interrupted`);
      if (sent.length > 1) sentTwice += 1;
    }
  }
  return { interrupted, sentTwice };
}

if (WITH_POSTGRES)
  describe('scale-out on PostgreSQL', () => {
    e2e(
      'three servers share one database: kill -9 of one mid-burst loses no acknowledged run, and only its in-flight steps are sent twice',
      async ({ hookflow, receiver }, t) => {
        const database = await freshDatabase(t);
        // The first dozen requests are held for 3 s: with three servers running four runs each,
        // the receiver holding twelve means every server, the one to be killed too, has four steps in flight.
        const target = await receiver({ fallback: { status: 200, body: { ok: true }, delayMs: 20 } });
        target.scriptAll(...Array.from({ length: 3 * CONCURRENCY }, () => ({ status: 200, body: { ok: true }, delayMs: 3000 })));
        const env = {
          DATABASE_URL: database.url,
          HOOKFLOW_LEASE_MS: String(LEASE_MS),
          HOOKFLOW_WORKER_CONCURRENCY: String(CONCURRENCY),
          HOOKFLOW_API_TOKEN: 'scale-out-token',
        };
        // Started together, so their migrations race for the advisory lock.
        const servers = await Promise.all([0, 1, 2].map(() => hookflow({ workflows: { 'relay.yaml': relayWorkflow(target) }, env })));
        const [victim, ...survivors] = servers as [Hookflow, Hookflow, Hookflow];

        const send = (targets: readonly Hookflow[], from: number, count: number) =>
          Promise.all(Array.from({ length: count }, (_, i) => targets[i % targets.length]!.hook('relay', { n: from + i })));
        const before = await send(servers, 0, 15);
        await victim.waitFor(() => target.requests.length >= 3 * CONCURRENCY, 30_000, 'every server to have its steps in flight');
        await victim.kill9();
        const after = await send(survivors, 15, 15);

        const acks = [...before, ...after];
        for (const ack of acks) assert.equal(ack.status, 202, ack.text);
        const runIds = acks.map((ack) => ack.body.runId);
        assert.equal(new Set(runIds).size, runIds.length);

        const { interrupted, sentTwice } = await assertCompletedOnce(survivors[0], target, runIds);
        t.diagnostic(`${interrupted} attempts interrupted by the kill; ${sentTwice} keys seen more than once`);
        assert.ok(interrupted >= 1, 'the killed server had steps in flight, taken over by the others');
        const keys = new Set(target.requests.map((request) => request.idempotencyKey));
        assert.deepEqual(
          [...keys].sort(),
          runIds.flatMap((runId) => [`${runId}.first`, `${runId}.second`]).sort(),
          'the receiver saw no other keys',
        );
        for (const survivor of survivors) assert.equal(survivor.process.exitCode, null, 'the survivors kept running');
      },
      { timeout: 120_000 },
    );

    e2e(
      'a web-only server takes webhooks that a worker-only process runs; the worker serves no HTTP and exits 0 on SIGTERM',
      async ({ hookflow, receiver }, t) => {
        const database = await freshDatabase(t);
        const target = await receiver();
        const web = await hookflow({
          workflows: { 'relay.yaml': relayWorkflow(target) },
          env: { DATABASE_URL: database.url, HOOKFLOW_ROLE: 'web' },
        });
        const ack = await web.hook('relay', { n: 1 });
        assert.equal(ack.status, 202, ack.text);

        const port = await freePort();
        const dir = mkdtempSync(join(tmpdir(), 'hookflow-worker-'));
        const env: Record<string, string> = {};
        for (const [name, value] of Object.entries(process.env)) {
          if (value !== undefined && !/^(HOOKFLOW_|DATABASE_URL$|PORT$|HOST$)/.test(name)) env[name] = value;
        }
        Object.assign(env, {
          DATABASE_URL: database.url,
          HOOKFLOW_ROLE: 'worker',
          HOOKFLOW_WORKFLOWS_DIR: web.workflowsDir,
          PORT: String(port),
          HOST: '127.0.0.1',
        });
        const worker = spawn(process.execPath, [MAIN], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        worker.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
        worker.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
        const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
        t.after(() => {
          worker.kill('SIGKILL');
          rmSync(dir, { recursive: true, force: true });
        });
        try {
          const run = await web.waitForRun(ack.body.runId, ['succeeded', 'failed'], 30_000);
          assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
          assert.deepEqual(
            target.requests.map((request) => request.idempotencyKey),
            [`${run.id}.first`, `${run.id}.second`],
          );
          await assert.rejects(fetch(`http://127.0.0.1:${port}/health`), 'the worker listens on no port');
          worker.kill('SIGTERM');
          assert.equal(await exited, 0);
        } catch (error) {
          console.error(`----- worker output -----\n${output.split('\n').slice(-80).join('\n')}`);
          throw error;
        }
      },
    );

    e2e(
      'a server that loses its database answers 503 meanwhile, then finishes every acknowledged run once it is back',
      async ({ hookflow, receiver }, t) => {
        const database = await freshDatabase(t);
        const proxy = await startProxy(new URL(database.url));
        t.after(() => proxy.close());
        const viaProxy = new URL(database.url);
        viaProxy.port = String(proxy.port);
        viaProxy.hostname = '127.0.0.1';

        // The first three requests are answered late, so their steps are in flight when the database goes.
        const target = await receiver();
        target.scriptAll(...Array.from({ length: 3 }, () => ({ status: 200, body: { ok: true }, delayMs: 1500 })));
        const server = await hookflow({
          workflows: { 'relay.yaml': relayWorkflow(target) },
          env: { DATABASE_URL: viaProxy.toString(), HOOKFLOW_LEASE_MS: String(LEASE_MS) },
        });
        const acks = await Promise.all([1, 2, 3].map((n) => server.hook('relay', { n })));
        for (const ack of acks) assert.equal(ack.status, 202, ack.text);
        await server.waitFor(() => target.requests.length >= 3, 20_000, 'the three steps to be in flight');

        proxy.cut();
        const refused = await server.hook<{ error: { code: string } }>('relay', { n: 4 });
        assert.equal(refused.status, 503, refused.text);
        assert.equal(refused.body.error.code, 'STORAGE_UNAVAILABLE');
        assert.equal((await server.api('/health')).status, 503);
        // The receiver answers while the database is gone: the steps' outcomes cannot be recorded.
        await server.waitFor(() => (server.logs().match(/run interrupted/g) ?? []).length >= 3, 20_000, 'the three runs to be interrupted');

        proxy.restore();
        // A sender retries a 503 until it is accepted.
        const late = await server.waitFor(
          async () => {
            const answer = await server.hook('relay', { n: 5 });
            return answer.status === 202 ? answer : undefined;
          },
          30_000,
          'intake to accept again',
        );
        const runIds = [...acks, late].map((ack) => ack.body.runId);
        const { interrupted } = await assertCompletedOnce(server, target, runIds);
        t.diagnostic(`${interrupted} attempts interrupted by the outage`);
        assert.equal((await server.api('/health')).status, 200);
        assert.equal(server.process.exitCode, null, 'the server kept running through the outage');
      },
      { timeout: 120_000 },
    );
  });

interface Proxy {
  port: number;
  /** Drops every connection and refuses new ones, as a database that went away. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** A TCP relay in front of PostgreSQL that a test can cut and restore. */
async function startProxy(upstream: URL): Promise<Proxy> {
  const sockets = new Set<Socket>();
  let down = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server: Server = createServer((client) => {
    track(client);
    if (down) {
      client.destroy();
      return;
    }
    const database = connect(Number(upstream.port || 5432), upstream.hostname);
    track(database);
    client.pipe(database);
    database.pipe(client);
    client.on('close', () => database.destroy());
    database.on('close', () => client.destroy());
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
  const dropAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port,
    cut() {
      down = true;
      dropAll();
    },
    restore() {
      down = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        dropAll();
        server.close(() => resolve());
      }),
  };
}
