/**
 * The store's contract, run on SQLite (a temp file) and on PostgreSQL (a fresh database per
 * run; only under `npm run test:postgres`): intake's idempotency, the queue's claims and
 * leases, lease checks on every write, and the operator's retry, cancel and replay.
 * Time is passed in, so lease expiry is a matter of arguments, never of waiting.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { v7 as uuidv7 } from 'uuid';
import { createTestDatabase, WITH_POSTGRES } from '../../../test/support/postgres.js';
import { MIGRATIONS, openStorage, type Storage } from './data-source.js';
import { DeliveryRepository, type NewDelivery, type NewRun } from './delivery.repository.js';
import { InspectionRepository } from './inspection.repository.js';
import { PostgresListener } from './postgres-listener.js';
import { RunControlRepository } from './run-control.repository.js';
import { RunQueueRepository } from './run-queue.repository.js';
import { EXECUTION_RUN_COLUMNS, executionRun, LeaseLostError, RunRepository, type Execution, type ExecutionRun } from './run.repository.js';
import { TRIGGER_FROM_DELIVERY } from './run-trigger.js';

const T0 = 1_800_000_000_000;
const LEASE = 1000;

interface Backend {
  name: string;
  /**
   * Whether a second store on the database stands for a second process. SQLite serves one
   * process: two connections in one thread would wait on each other's write lock
   * synchronously, so there both "processes" share one store.
   */
  shared: boolean;
  create(): Promise<{ url: string; drop(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'SQLite',
    shared: false,
    create: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hookflow-store-'));
      return { url: `sqlite:${join(dir, 'store.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  ...(WITH_POSTGRES ? [{ name: 'PostgreSQL', shared: true, create: createTestDatabase }] : []),
];

function repositories(storage: Storage) {
  return {
    deliveries: new DeliveryRepository(storage.db),
    queue: new RunQueueRepository(storage.db),
    runs: new RunRepository(storage.db),
    control: new RunControlRepository(storage.db),
    inspection: new InspectionRepository(storage.dataSource, storage.db),
  };
}

function newDelivery(overrides: Partial<NewDelivery> = {}): NewDelivery {
  return {
    id: uuidv7(),
    workflowId: 'orders',
    receivedAt: T0,
    method: 'POST',
    path: 'orders',
    query: {},
    headers: { 'content-type': 'application/json' },
    body: '{"id":1}',
    bodyTruncated: false,
    ip: '203.0.113.7',
    status: 202,
    outcome: 'accepted',
    reason: null,
    message: null,
    runId: null,
    idempotencyKey: null,
    ...overrides,
  };
}

function newRun(deliveryId: string, overrides: Partial<NewRun> = {}): NewRun {
  return {
    id: uuidv7(),
    workflowId: 'orders',
    workflowVersion: 'v1',
    deliveryId,
    triggerType: 'webhook',
    trigger: { body: { id: 1 }, deliveryId },
    createdAt: T0,
    ...overrides,
  };
}

/** One accepted delivery: its delivery and its run. */
function arrival(options: { key?: string; workflowId?: string; createdAt?: number } = {}) {
  const workflowId = options.workflowId ?? 'orders';
  const delivery = newDelivery({ workflowId, idempotencyKey: options.key ?? null });
  const run = newRun(delivery.id, { workflowId, createdAt: options.createdAt ?? T0 });
  delivery.runId = run.id;
  return [delivery, run] as const;
}

for (const backend of backends) {
  describe(`store on ${backend.name}`, () => {
    let database: { url: string; drop(): Promise<void> };
    /** Two stores on one database stand for two processes. */
    let storage: Storage;
    let other: Storage;
    let a: ReturnType<typeof repositories>;
    let b: ReturnType<typeof repositories>;

    before(async () => {
      database = await backend.create();
      storage = await openStorage(database.url);
      other = backend.shared ? await openStorage(database.url) : storage;
      a = repositories(storage);
      b = repositories(other);
    });

    after(async () => {
      if (other !== storage) await other?.close();
      await storage?.close();
      await database?.drop();
    });

    beforeEach(async () => {
      for (const table of ['step_attempts', 'run_steps', 'runs', 'deliveries']) await storage.db.run(`DELETE FROM ${table}`);
    });

    async function queued(createdAt = T0): Promise<string> {
      const result = await a.deliveries.accept(...arrival({ createdAt }));
      return result.runId!;
    }

    async function count(table: string, where = '1 = 1', params: unknown[] = []): Promise<number> {
      const [row] = await storage.db.all<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, params);
      return Number(row?.n);
    }

    /** The run as a worker would execute it, with what was recorded of it. */
    async function loadExecution(id: string): Promise<Execution | undefined> {
      const [row] = await storage.db.all(`SELECT ${EXECUTION_RUN_COLUMNS} FROM runs WHERE id = ?`, [id]);
      return row ? a.runs.loadRecorded(executionRun(row)) : undefined;
    }

    async function idsOf(claimed: Promise<ExecutionRun[]>): Promise<string[]> {
      return (await claimed).map((run) => run.id);
    }

    async function runRow(id: string) {
      const [row] = await storage.db.all<{
        status: string;
        lease_owner: string | null;
        run_at: number;
        attempt: number;
        error: string | null;
      }>(`SELECT status, lease_owner, run_at, attempt, error FROM runs WHERE id = ?`, [id]);
      return row;
    }

    describe('intake', () => {
      it('commits the delivery and its queued run together', async () => {
        const [delivery, run] = arrival();
        assert.deepEqual(await a.deliveries.accept(delivery, run), { duplicate: false, runId: run.id });
        const execution = await loadExecution(run.id);
        assert.equal(execution?.run.status, 'queued');
        assert.equal(execution?.run.attempt, 1);
        assert.equal(execution?.run.deliveryId, delivery.id);
        assert.deepEqual(execution?.run.trigger, run.trigger);
        const [row] = await storage.db.all(`SELECT outcome, run_id, received_at, body_truncated FROM deliveries WHERE id = ?`, [
          delivery.id,
        ]);
        // BIGINT and SMALLINT come back as numbers from both databases.
        assert.deepEqual(row, { outcome: 'accepted', run_id: run.id, received_at: T0, body_truncated: 0 });
      });

      it('records a later delivery with the same idempotency key as a duplicate of the first run', async () => {
        const first = await a.deliveries.accept(...arrival({ key: 'order-1' }));
        const [again, againRun] = arrival({ key: 'order-1' });
        assert.deepEqual(await a.deliveries.accept(again, againRun), { duplicate: true, runId: first.runId });
        assert.equal(await count('runs'), 1);
        const [row] = await storage.db.all(`SELECT outcome, run_id, idempotency_key FROM deliveries WHERE id = ?`, [again.id]);
        assert.deepEqual(row, { outcome: 'duplicate', run_id: first.runId, idempotency_key: null });
      });

      // Only PostgreSQL has processes of the previous version alongside (rolling upgrades); SQLite has one process.
      if (backend.name === 'PostgreSQL')
        it('keeps the duplicate check of the previous version working during a rolling upgrade', async () => {
          const first = await a.deliveries.accept(...arrival({ key: 'order-9' }));
          const [again] = arrival({ key: 'order-9' });
          // The statement the previous version sends: ON CONFLICT without the partial index's predicate.
          const inserted = await storage.db.run(
            `INSERT INTO deliveries (id, workflow_id, received_at, method, path, query, headers, body, body_truncated, ip, status, outcome,
             reason, message, run_id, idempotency_key) VALUES (?, ?, ?, 'POST', 'p', '{}', '{}', NULL, 0, '127.0.0.1', 202, 'accepted',
             NULL, NULL, NULL, ?) ON CONFLICT (workflow_id, idempotency_key) DO NOTHING`,
            [again.id, again.workflowId, T0, 'order-9'],
          );
          assert.equal(inserted, 0);
          assert.ok(first.runId);
        });

      it('starts exactly one run when deliveries with the same key arrive at once', async () => {
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).deliveries.accept(...arrival({ key: 'order-2' }))),
        );
        const started = results.filter((result) => !result.duplicate);
        assert.equal(started.length, 1);
        assert.ok(results.every((result) => result.runId === started[0]!.runId));
        assert.equal(await count('runs'), 1);
        assert.equal(await count('deliveries'), 8);
      });

      it('keeps idempotency keys apart per workflow, and starts a run for every delivery without a key', async () => {
        await a.deliveries.accept(...arrival({ key: 'same', workflowId: 'orders' }));
        const other = await a.deliveries.accept(...arrival({ key: 'same', workflowId: 'refunds' }));
        assert.equal(other.duplicate, false);
        await a.deliveries.accept(...arrival());
        await a.deliveries.accept(...arrival());
        assert.equal(await count('runs'), 4);
      });
    });

    describe('a trigger read from its delivery', () => {
      /** A delivery with a JSON body, accepted as intake accepts one: its run's trigger is the delivery's record. */
      async function acceptedFromDelivery(body = '{"id":7,"items":[{"qty":2}]}') {
        const delivery = newDelivery({
          body,
          query: { a: ['1', '2'] },
          headers: '{"content-type":"application/json","x-hub-signature-256":"***"}',
          path: 'shop/orders',
        });
        const run = newRun(delivery.id, { trigger: TRIGGER_FROM_DELIVERY });
        delivery.runId = run.id;
        await a.deliveries.accept(delivery, run);
        return { delivery, run };
      }

      const expected = (deliveryId: string, body: unknown = { id: 7, items: [{ qty: 2 }] }) => ({
        body,
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': '***' },
        query: { a: ['1', '2'] },
        method: 'POST',
        path: 'shop/orders',
        ip: '203.0.113.7',
        receivedAt: new Date(T0).toISOString(),
        deliveryId,
      });

      it(`is built from the delivery when the run is claimed${backend.name === 'SQLite' ? ', and not stored twice' : ', and stored in full for workers of the previous version'}`, async () => {
        const { delivery, run } = await acceptedFromDelivery();
        const [claimed] = await a.queue.claim('worker-a', 1, T0, LEASE);
        assert.equal(claimed?.id, run.id);
        assert.equal(claimed?.unreadableTrigger, undefined);
        assert.deepEqual(claimed?.trigger, expected(delivery.id));
        const [row] = await storage.db.all<{ trigger: string }>(`SELECT trigger FROM runs WHERE id = ?`, [run.id]);
        if (backend.name === 'SQLite') assert.equal(row?.trigger, '');
        else assert.deepEqual(JSON.parse(row!.trigger), expected(delivery.id));
      });

      it('leaves out a byte-order mark the body came with, as intake did when it parsed it', async () => {
        const { delivery } = await acceptedFromDelivery('\uFEFF{"id":7}');
        const [claimed] = await a.queue.claim('worker-a', 1, T0, LEASE);
        assert.deepEqual(claimed?.trigger, expected(delivery.id, { id: 7 }));
      });

      it('is shown in the run detail as the steps see it', async () => {
        const { delivery, run } = await acceptedFromDelivery();
        assert.deepEqual((await a.inspection.getRun(run.id))?.run.trigger, expected(delivery.id));
      });

      it('is copied in full by a replay, which no longer depends on the delivery', async () => {
        const { delivery, run } = await acceptedFromDelivery();
        const replayed = await a.control.replay(run.id, (_, version) => version, T0 + 5);
        assert.ok(replayed.ok);
        const [row] = await storage.db.all<{ trigger: string; delivery_id: string }>(`SELECT trigger, delivery_id FROM runs WHERE id = ?`, [
          replayed.value.runId,
        ]);
        assert.equal(row?.delivery_id, delivery.id);
        assert.deepEqual(JSON.parse(row!.trigger), expected(delivery.id));
      });

      it('makes the run unreadable when its delivery is gone, and a replay of it is refused', async () => {
        const { delivery, run } = await acceptedFromDelivery();
        await storage.db.run(`UPDATE runs SET trigger = ? WHERE id = ?`, [TRIGGER_FROM_DELIVERY, run.id]);
        await storage.db.run(`DELETE FROM deliveries WHERE id = ?`, [delivery.id]);
        const [claimed] = await a.queue.claim('worker-a', 1, T0, LEASE);
        assert.equal(claimed?.id, run.id);
        assert.match(claimed?.unreadableTrigger ?? '', new RegExp(`delivery ${delivery.id}.*not stored`));
        assert.match(String((await a.inspection.getRun(run.id))?.run.trigger), /not stored/);
        const replayed = await a.control.replay(run.id, (_, version) => version, T0 + 5);
        assert.equal(!replayed.ok && replayed.reason, 'unreadable-trigger');
      });
    });

    describe('inspection lists', () => {
      it('pages runs newest first by cursor, filtered, as summaries without the trigger', async () => {
        const ids: string[] = [];
        for (const workflowId of ['orders', 'refunds', 'orders', 'orders']) {
          ids.push((await a.deliveries.accept(...arrival({ workflowId, createdAt: T0 + ids.length }))).runId!);
        }
        const [claimed] = await a.queue.claim('worker-a', 1, T0 + 10, LEASE);
        await a.runs.finishRun('worker-a', claimed!.id, { status: 'failed', error: { code: 'HTTP_STATUS', message: 'no' } }, T0 + 20);

        const first = await a.inspection.listRuns({ workflowId: 'orders' }, { limit: 2 });
        assert.deepEqual(
          first.items.map((run) => run.id),
          [ids[3], ids[2]],
        );
        assert.ok(first.nextCursor);
        const second = await a.inspection.listRuns({ workflowId: 'orders' }, { limit: 2, cursor: first.nextCursor });
        assert.deepEqual(
          second.items.map((run) => run.id),
          [ids[0]],
        );
        assert.equal(second.nextCursor, null);

        const [failed] = (await a.inspection.listRuns({ status: 'failed' }, { limit: 10 })).items;
        assert.deepEqual(failed, {
          id: ids[0],
          workflowId: 'orders',
          workflowVersion: 'v1',
          deliveryId: failed?.deliveryId,
          triggerType: 'webhook',
          status: 'failed',
          attempt: 1,
          runAt: T0 + 10 + LEASE,
          error: { code: 'HTTP_STATUS', message: 'no' },
          createdAt: T0,
          updatedAt: T0 + 20,
          startedAt: T0 + 10,
          finishedAt: T0 + 20,
          cancelRequested: 0,
        });
        assert.equal(typeof failed?.deliveryId, 'string');
        assert.deepEqual((await a.inspection.listRuns({ workflowId: 'orders', status: 'queued' }, { limit: 10 })).items.length, 2);
      });

      it('shows an error whose stored text is not JSON as that text', async () => {
        const id = (await a.deliveries.accept(...arrival())).runId!;
        await storage.db.run(`UPDATE runs SET error = ? WHERE id = ?`, ['{not json', id]);
        assert.equal((await a.inspection.listRuns({}, { limit: 1 })).items[0]?.error, '{not json');
      });

      it('pages deliveries newest first, filtered by outcome, without their query, headers and body', async () => {
        const accepted = newDelivery();
        await a.deliveries.accept(accepted, newRun(accepted.id));
        const rejected = newDelivery({ status: 401, outcome: 'rejected', reason: 'INVALID_SIGNATURE', message: 'bad' });
        await a.deliveries.record(rejected);
        const page = await a.inspection.listDeliveries({ workflowId: 'orders' }, { limit: 1 });
        assert.deepEqual(page.items, [
          {
            id: rejected.id,
            workflowId: 'orders',
            receivedAt: T0,
            method: 'POST',
            path: 'orders',
            ip: '203.0.113.7',
            status: 401,
            outcome: 'rejected',
            reason: 'INVALID_SIGNATURE',
            message: 'bad',
            runId: null,
          },
        ]);
        const next = await a.inspection.listDeliveries({ workflowId: 'orders' }, { limit: 1, cursor: page.nextCursor! });
        assert.deepEqual(
          next.items.map((delivery) => delivery.id),
          [accepted.id],
        );
        assert.deepEqual(
          (await a.inspection.listDeliveries({ outcome: 'accepted' }, { limit: 5 })).items.map((delivery) => delivery.id),
          [accepted.id],
        );
      });
    });

    describe('queue', () => {
      it('claims due runs oldest first, up to the limit, under a lease', async () => {
        const oldest = await queued(T0);
        const middle = await queued(T0 + 1);
        await queued(T0 + 2);
        const claimed = await idsOf(a.queue.claim('worker-a', 2, T0 + 10, LEASE));
        assert.deepEqual([...claimed].sort(), [oldest, middle].sort());
        assert.deepEqual(await runRow(oldest), {
          status: 'running',
          lease_owner: 'worker-a',
          run_at: T0 + 10 + LEASE,
          attempt: 1,
          error: null,
        });
      });

      it('answers each claimed run as its execution starts from it, the same as loading it', async () => {
        const id = await queued(T0);
        const [claimed] = await a.queue.claim('worker-a', 1, T0 + 10, LEASE);
        assert.equal(claimed?.status, 'running');
        const { firstClaim, ...run } = claimed!;
        assert.equal(firstClaim, true);
        assert.deepEqual(run, (await loadExecution(id))?.run);
      });

      it('tells a run claimed for the first time, which has nothing to read back, from one started before', async () => {
        const id = await queued();
        const [first] = await a.queue.claim('worker-a', 1, T0, LEASE);
        assert.equal(first?.firstClaim, true);
        assert.deepEqual(await a.runs.loadRecorded(first!), { run: first, steps: [], attempts: [] });
        await a.runs.beginAttempt('worker-a', id, { stepId: 'notify', position: 0 }, { id: uuidv7(), number: 1, runAttempt: 1 }, T0 + 1);

        // Taken over once the lease ended: what the first worker recorded is read back.
        const [takenOver] = await b.queue.claim('worker-b', 1, T0 + LEASE, LEASE);
        assert.equal(takenOver?.firstClaim, false);
        assert.deepEqual(
          (await b.runs.loadRecorded(takenOver!)).steps.map((recorded) => [recorded.stepId, recorded.status]),
          [['notify', 'running']],
        );
        // Handed back (a shutdown) and claimed again: not a first claim either.
        assert.equal(await b.queue.release('worker-b', T0 + LEASE + 1), 1);
        const [again] = await a.queue.claim('worker-a', 1, T0 + LEASE + 1, LEASE);
        assert.equal(again?.firstClaim, false);
        assert.equal((await a.runs.loadRecorded(again!)).attempts.length, 1);
      });

      it('leaves runs that are not yet due', async () => {
        await queued(T0 + 100);
        assert.deepEqual(await idsOf(a.queue.claim('worker-a', 10, T0 + 99, LEASE)), []);
        assert.equal((await a.queue.claim('worker-a', 10, T0 + 100, LEASE)).length, 1);
      });

      it('gives a leased run to another worker only once its lease has ended', async () => {
        const id = await queued();
        assert.deepEqual(await idsOf(a.queue.claim('worker-a', 1, T0, LEASE)), [id]);
        assert.deepEqual(await idsOf(b.queue.claim('worker-b', 1, T0 + LEASE - 1, LEASE)), []);
        assert.deepEqual(await idsOf(b.queue.claim('worker-b', 1, T0 + LEASE, LEASE)), [id]);
        assert.equal((await runRow(id))?.lease_owner, 'worker-b');
      });

      it('extends the leases its worker holds on a heartbeat, and only those', async () => {
        const id = await queued();
        await a.queue.claim('worker-a', 1, T0, LEASE);
        assert.equal(await b.queue.heartbeat('worker-b', T0 + 800, LEASE), 0);
        assert.equal(await a.queue.heartbeat('worker-a', T0 + 800, LEASE), 1);
        assert.deepEqual(await idsOf(b.queue.claim('worker-b', 1, T0 + LEASE + 1, LEASE)), []);
        assert.deepEqual(await idsOf(b.queue.claim('worker-b', 1, T0 + 800 + LEASE, LEASE)), [id]);
      });

      it('extends only the leases of the runs named, so a run its worker dropped can be taken over', async () => {
        const kept = await queued();
        const dropped = await queued();
        await a.queue.claim('worker-a', 2, T0, LEASE);
        assert.equal(await a.queue.heartbeat('worker-a', T0 + 800, LEASE, [kept]), 1);
        assert.equal(await a.queue.heartbeat('worker-a', T0 + 800, LEASE, []), 0);
        assert.deepEqual(await idsOf(b.queue.claim('worker-b', 2, T0 + LEASE, LEASE)), [dropped]);
      });

      it('hands released runs back to the queue at once', async () => {
        const first = await queued();
        const second = await queued();
        await a.queue.claim('worker-a', 2, T0, LEASE);
        assert.equal(await a.queue.release('worker-a', T0 + 5, [first]), 1);
        assert.deepEqual(await idsOf(b.queue.claim('worker-b', 2, T0 + 5, LEASE)), [first]);
        assert.equal(await a.queue.release('worker-a', T0 + 6), 1);
        assert.deepEqual(await idsOf(b.queue.claim('worker-b', 2, T0 + 6, LEASE)), [second]);
      });

      it("makes every lease due at once at a sole worker's start, but those of the worker it spares", async () => {
        const orphan = await queued();
        const spared = await queued();
        await a.queue.claim('dead-worker', 1, T0, LEASE);
        await a.queue.claim('helper', 1, T0, LEASE);
        assert.equal(await a.queue.expireAllLeases(T0 + 1, 'helper'), 1);
        assert.deepEqual(await idsOf(b.queue.claim('worker-b', 2, T0 + 1, LEASE)), [orphan]);
        assert.equal((await runRow(spared))?.lease_owner, 'helper');
      });

      it('answers when the next run is due, as a number', async () => {
        assert.equal(await a.queue.nextDueAt(), undefined);
        await queued(T0 + 50);
        await queued(T0 + 20);
        assert.equal(await a.queue.nextDueAt(), T0 + 20);
      });

      it('never gives the same run to two workers claiming at once', async () => {
        const ids = [];
        for (let i = 0; i < 40; i++) ids.push(await queued(T0 + i));
        const claimedBy = new Map<string, string[]>();
        const worker = async (queue: RunQueueRepository, owner: string) => {
          const mine: string[] = [];
          for (;;) {
            const claimed = await idsOf(queue.claim(owner, 3, T0 + 100, 60_000));
            if (claimed.length === 0) break;
            mine.push(...claimed);
          }
          claimedBy.set(owner, mine);
        };
        await Promise.all([worker(a.queue, 'a1'), worker(a.queue, 'a2'), worker(b.queue, 'b1'), worker(b.queue, 'b2')]);
        const all = [...claimedBy.values()].flat();
        assert.equal(all.length, ids.length, 'a run was claimed twice or not at all');
        assert.deepEqual([...all].sort(), [...ids].sort());
        for (const [owner, mine] of claimedBy) {
          for (const id of mine) assert.equal((await runRow(id))?.lease_owner, owner);
        }
      });
    });

    describe('lease checks', () => {
      const step = { stepId: 'notify', position: 0 };

      it('lets only the lease holder record an attempt', async () => {
        const id = await queued();
        await a.queue.claim('worker-a', 1, T0, LEASE);
        await assert.rejects(b.runs.beginAttempt('worker-b', id, step, { id: uuidv7(), number: 1, runAttempt: 1 }, T0 + 1), LeaseLostError);
        await a.runs.beginAttempt('worker-a', id, step, { id: uuidv7(), number: 1, runAttempt: 1 }, T0 + 1);
        const execution = await loadExecution(id);
        assert.deepEqual(
          execution?.steps.map((s) => [s.stepId, s.status, s.attempts]),
          [['notify', 'running', 1]],
        );
      });

      it('records nothing from a worker whose lease another took over, and marks its attempt interrupted', async () => {
        const id = await queued();
        await a.queue.claim('worker-a', 1, T0, LEASE);
        const first = uuidv7();
        await a.runs.beginAttempt('worker-a', id, step, { id: first, number: 1, runAttempt: 1 }, T0 + 10);
        assert.deepEqual(await idsOf(b.queue.claim('worker-b', 1, T0 + LEASE, LEASE)), [id]);

        const late = { attemptId: first, status: 'succeeded' as const, startedAt: T0 + 10 };
        await assert.rejects(
          a.runs.finishSteps(
            'worker-a',
            id,
            [{ step: { ...step, status: 'succeeded', output: { late: true } }, attempt: late, finishedAt: T0 + LEASE + 1 }],
            undefined,
            T0 + LEASE + 1,
          ),
          LeaseLostError,
        );
        await assert.rejects(a.runs.finishRun('worker-a', id, { status: 'succeeded' }, T0 + LEASE + 1), LeaseLostError);
        let execution = await loadExecution(id);
        assert.equal(execution?.steps[0]?.status, 'running');
        assert.deepEqual(
          execution?.attempts.map((attempt) => attempt.status),
          ['running'],
        );

        const second = uuidv7();
        await b.runs.beginAttempt('worker-b', id, step, { id: second, number: 2, runAttempt: 1, interruptsEarlier: true }, T0 + LEASE + 2);
        await b.runs.finishSteps(
          'worker-b',
          id,
          [
            {
              step: { ...step, status: 'succeeded', output: { ok: true } },
              attempt: { attemptId: second, status: 'succeeded', startedAt: T0 + LEASE + 2 },
              finishedAt: T0 + LEASE + 3,
            },
          ],
          undefined,
          T0 + LEASE + 3,
        );
        await b.runs.finishRun('worker-b', id, { status: 'succeeded' }, T0 + LEASE + 4);
        execution = await loadExecution(id);
        assert.equal(execution?.run.status, 'succeeded');
        assert.deepEqual(
          execution?.steps.map((s) => [s.status, s.output]),
          [['succeeded', { ok: true }]],
        );
        assert.deepEqual(
          execution?.attempts.map((attempt) => [attempt.number, attempt.status]),
          [
            [1, 'interrupted'],
            [2, 'succeeded'],
          ],
        );
        assert.equal((await runRow(id))?.lease_owner, null);
      });

      it('writes held-back step records before the attempt that follows them, each with its own end time', async () => {
        const id = await queued();
        await a.queue.claim('worker-a', 1, T0, LEASE);
        const transform = (stepId: string, position: number, at: number) => ({
          step: { stepId, position, status: 'succeeded' as const, output: { stepId } },
          attempt: { attemptId: uuidv7(), status: 'succeeded' as const, startedAt: at, unrecorded: { number: 1, runAttempt: 1 } },
          finishedAt: at + 1,
        });
        const held = [transform('first', 0, T0 + 10), transform('second', 1, T0 + 20)];
        const begun = await a.runs.beginAttempt(
          'worker-a',
          id,
          { stepId: 'notify', position: 2 },
          { id: uuidv7(), number: 1, runAttempt: 1 },
          T0 + 30,
          held,
        );
        assert.deepEqual(begun, { cancelRequested: false });
        const rows = await storage.db.all(
          `SELECT step_id, status, attempts, started_at, finished_at FROM run_steps WHERE run_id = ? ORDER BY position`,
          [id],
        );
        assert.deepEqual(rows, [
          { step_id: 'first', status: 'succeeded', attempts: 1, started_at: T0 + 10, finished_at: T0 + 11 },
          { step_id: 'second', status: 'succeeded', attempts: 1, started_at: T0 + 20, finished_at: T0 + 21 },
          { step_id: 'notify', status: 'running', attempts: 1, started_at: T0 + 30, finished_at: null },
        ]);
        const attempts = await storage.db.all(
          `SELECT step_id, status, duration_ms FROM step_attempts WHERE run_id = ? ORDER BY started_at`,
          [id],
        );
        assert.deepEqual(attempts, [
          { step_id: 'first', status: 'succeeded', duration_ms: 1 },
          { step_id: 'second', status: 'succeeded', duration_ms: 1 },
          { step_id: 'notify', status: 'running', duration_ms: null },
        ]);
      });

      it('starts no attempt once an operator asked to cancel, and writes nothing of what was held back', async () => {
        const id = await queued();
        await a.queue.claim('worker-a', 1, T0, LEASE);
        assert.deepEqual(await a.control.cancel(id, T0 + 1), { ok: true, value: { status: 'running' } });
        const held = {
          step: { stepId: 'first', position: 0, status: 'succeeded' as const, output: 1 },
          attempt: { attemptId: uuidv7(), status: 'succeeded' as const, startedAt: T0 + 2, unrecorded: { number: 1, runAttempt: 1 } },
          finishedAt: T0 + 3,
        };
        const begun = await a.runs.beginAttempt('worker-a', id, step, { id: uuidv7(), number: 1, runAttempt: 1 }, T0 + 4, [held]);
        assert.deepEqual(begun, { cancelRequested: true });
        assert.equal(await count('run_steps', 'run_id = ?', [id]), 0);
        assert.equal(await count('step_attempts', 'run_id = ?', [id]), 0);
        assert.deepEqual(
          await a.runs.finishSteps('worker-a', id, [], undefined, T0 + 4),
          { cancelRequested: true, cancelledInsteadOfWaiting: false },
          'a write between steps says the next one must not start',
        );
        const error = { code: 'CANCELLED', message: 'cancelled by an operator', stepId: 'notify' };
        await a.runs.finishRun('worker-a', id, { status: 'cancelled', error }, T0 + 5, [held]);
        assert.equal((await runRow(id))?.status, 'cancelled');
        assert.equal(await count('run_steps', 'run_id = ? AND status = ?', [id, 'succeeded']), 1);
      });

      it('stores a retry wait durably and frees the lease until it is due', async () => {
        const id = await queued();
        await a.queue.claim('worker-a', 1, T0, LEASE);
        const attemptId = uuidv7();
        await a.runs.beginAttempt('worker-a', id, step, { id: attemptId, number: 1, runAttempt: 1 }, T0);
        const error = { code: 'HTTP_503', message: 'receiver answered 503', stepId: 'notify' };
        await a.runs.finishSteps(
          'worker-a',
          id,
          [
            {
              step: { ...step, status: 'waiting', error },
              attempt: { attemptId, status: 'failed', httpStatus: 503, error, startedAt: T0 },
              finishedAt: T0 + 1,
            },
          ],
          { status: 'waiting', runAt: T0 + 5000, error },
          T0 + 1,
        );
        assert.deepEqual(await runRow(id), {
          status: 'waiting',
          lease_owner: null,
          run_at: T0 + 5000,
          attempt: 1,
          error: JSON.stringify(error),
        });
        assert.deepEqual(await idsOf(b.queue.claim('worker-b', 1, T0 + 4999, LEASE)), []);
        assert.deepEqual(await idsOf(b.queue.claim('worker-b', 1, T0 + 5000, LEASE)), [id]);
      });

      it('cancels a run instead of letting it wait for a retry when an operator asked while the step ran', async () => {
        const id = await queued();
        await a.queue.claim('worker-a', 1, T0, LEASE);
        const attemptId = uuidv7();
        await a.runs.beginAttempt('worker-a', id, step, { id: attemptId, number: 1, runAttempt: 1 }, T0);
        assert.deepEqual(await a.control.cancel(id, T0 + 1), { ok: true, value: { status: 'running' } });
        const error = { code: 'HTTP_503', message: 'receiver answered 503', stepId: 'notify' };
        const written = await a.runs.finishSteps(
          'worker-a',
          id,
          [
            {
              step: { ...step, status: 'waiting', error },
              attempt: { attemptId, status: 'failed', httpStatus: 503, error, startedAt: T0 },
              finishedAt: T0 + 2,
            },
          ],
          { status: 'waiting', runAt: T0 + 5000, error },
          T0 + 2,
        );
        assert.deepEqual(written, { cancelRequested: false, cancelledInsteadOfWaiting: true });
        const row = await runRow(id);
        assert.equal(row?.status, 'cancelled');
        assert.equal(row?.lease_owner, null);
        assert.deepEqual(JSON.parse(String(row?.error)), { code: 'CANCELLED', message: 'cancelled by an operator', stepId: 'notify' });
        const execution = await loadExecution(id);
        assert.equal(execution?.run.status, 'cancelled');
        assert.deepEqual(
          execution?.steps.map((s) => [s.stepId, s.status]),
          [['notify', 'failed']],
        );
        assert.equal(await count('run_steps', 'run_id = ? AND finished_at = ?', [id, T0 + 2]), 1);
        assert.equal(await count('runs', 'id = ? AND finished_at = ?', [id, T0 + 2]), 1);
        assert.deepEqual(await idsOf(b.queue.claim('worker-b', 1, T0 + 5000, LEASE)), []);
      });

      it('closes the step of a run cancelled while it waited for a retry, and names it in the error', async () => {
        const id = await queued();
        await a.queue.claim('worker-a', 1, T0, LEASE);
        const attemptId = uuidv7();
        await a.runs.beginAttempt('worker-a', id, step, { id: attemptId, number: 1, runAttempt: 1 }, T0);
        const error = { code: 'HTTP_503', message: 'receiver answered 503', stepId: 'notify' };
        const record = {
          step: { ...step, status: 'waiting' as const, error },
          attempt: { attemptId, status: 'failed' as const, httpStatus: 503, error, startedAt: T0 },
          finishedAt: T0 + 1,
        };
        await a.runs.finishSteps('worker-a', id, [record], { status: 'waiting', runAt: T0 + 5000, error }, T0 + 1);
        assert.deepEqual(await a.control.cancel(id, T0 + 2), { ok: true, value: { status: 'cancelled', workflowId: 'orders' } });
        const row = await runRow(id);
        assert.equal(row?.status, 'cancelled');
        assert.deepEqual(JSON.parse(String(row?.error)), { code: 'CANCELLED', message: 'cancelled by an operator', stepId: 'notify' });
        assert.equal(await count('run_steps', 'run_id = ? AND status = ? AND finished_at = ?', [id, 'failed', T0 + 2]), 1);
        assert.equal(await count('step_attempts', 'run_id = ? AND status = ?', [id, 'failed']), 1, 'the failed attempt stays as it was');
      });

      it('closes an attempt a crash cut short when the run is cancelled before it is resumed', async () => {
        const id = await queued();
        await a.queue.claim('worker-a', 1, T0, LEASE);
        await a.runs.beginAttempt('worker-a', id, step, { id: uuidv7(), number: 1, runAttempt: 1 }, T0);
        // worker-a dies mid-request; an operator asks to cancel; worker-b takes the run over.
        assert.deepEqual(await a.control.cancel(id, T0 + 1), { ok: true, value: { status: 'running' } });
        const [taken] = await b.queue.claim('worker-b', 1, T0 + LEASE + 1, LEASE);
        assert.equal(taken?.cancelRequested, true);
        const error = { code: 'CANCELLED', message: 'cancelled by an operator', stepId: 'notify' };
        await b.runs.finishRun('worker-b', id, { status: 'cancelled', error }, T0 + LEASE + 2);
        assert.equal((await runRow(id))?.status, 'cancelled');
        assert.equal(await count('run_steps', 'run_id = ? AND status = ? AND finished_at = ?', [id, 'failed', T0 + LEASE + 2]), 1);
        assert.equal(await count('step_attempts', 'run_id = ? AND status = ? AND finished_at = ?', [id, 'interrupted', T0 + LEASE + 2]), 1);
      });
    });

    describe('operator actions', () => {
      /** A run whose first step succeeded and whose second failed for good. */
      async function failedRun(): Promise<string> {
        const id = await queued();
        await a.queue.claim('worker-a', 1, T0, LEASE);
        const first = uuidv7();
        await a.runs.beginAttempt('worker-a', id, { stepId: 'summary', position: 0 }, { id: first, number: 1, runAttempt: 1 }, T0);
        await a.runs.finishSteps(
          'worker-a',
          id,
          [
            {
              step: { stepId: 'summary', position: 0, status: 'succeeded', output: 42 },
              attempt: { attemptId: first, status: 'succeeded', startedAt: T0 },
              finishedAt: T0,
            },
          ],
          undefined,
          T0,
        );
        const second = uuidv7();
        const error = { code: 'HTTP_400', message: 'bad request', stepId: 'notify' };
        await a.runs.beginAttempt('worker-a', id, { stepId: 'notify', position: 1 }, { id: second, number: 1, runAttempt: 1 }, T0);
        await a.runs.finishSteps(
          'worker-a',
          id,
          [
            {
              step: { stepId: 'notify', position: 1, status: 'failed', error },
              attempt: { attemptId: second, status: 'failed', error, startedAt: T0 },
              finishedAt: T0 + 1,
            },
          ],
          { status: 'failed', error },
          T0 + 1,
        );
        return id;
      }

      it('retries a failed run from its failed step, keeping finished steps', async () => {
        const id = await failedRun();
        assert.deepEqual(await a.control.retry(id, T0 + 10), { ok: true, value: { attempt: 2 } });
        assert.deepEqual(await runRow(id), { status: 'queued', lease_owner: null, run_at: T0 + 10, attempt: 2, error: null });
        const execution = await loadExecution(id);
        assert.deepEqual(execution?.steps.find((s) => s.stepId === 'summary')?.output, 42);
        assert.deepEqual(await a.control.retry(id, T0 + 11), { ok: false, reason: 'conflict', status: 'queued' });
        assert.deepEqual(await a.control.retry(uuidv7(), T0), { ok: false, reason: 'not-found' });
      });

      it('cancels a queued run at once and asks a running one to stop', async () => {
        const waiting = await queued();
        assert.deepEqual(await a.control.cancel(waiting, T0 + 1), { ok: true, value: { status: 'cancelled', workflowId: 'orders' } });
        assert.equal((await runRow(waiting))?.status, 'cancelled');
        assert.deepEqual(await a.control.cancel(waiting, T0 + 2), { ok: false, reason: 'conflict', status: 'cancelled' });

        const running = await queued();
        await a.queue.claim('worker-a', 1, T0, LEASE);
        assert.deepEqual(await a.control.cancel(running, T0 + 1), { ok: true, value: { status: 'running' } });
        assert.equal((await loadExecution(running))?.run.cancelRequested, true);
        assert.deepEqual(await a.control.cancel(uuidv7(), T0), { ok: false, reason: 'not-found' });
      });

      it('replays a run as a new queued run of the same trigger on the version given', async () => {
        const id = await failedRun();
        const result = await a.control.replay(id, (workflowId, original) => `${workflowId}@${original}+1`, T0 + 20);
        assert.ok(result.ok);
        const replay = await loadExecution(result.value.runId);
        const original = await loadExecution(id);
        assert.equal(replay?.run.status, 'queued');
        assert.equal(replay?.run.workflowVersion, 'orders@v1+1');
        assert.equal(replay?.run.deliveryId, original?.run.deliveryId);
        assert.deepEqual(replay?.run.trigger, original?.run.trigger);
        assert.deepEqual(replay?.steps, []);
        assert.equal(original?.run.status, 'failed');
        assert.deepEqual(await a.control.replay(uuidv7(), (_, v) => v, T0), { ok: false, reason: 'not-found' });
      });

      it('refuses to replay a run whose stored trigger is not valid JSON, and queues nothing', async () => {
        const id = await failedRun();
        await storage.db.run(`UPDATE runs SET trigger = ? WHERE id = ?`, ['{"body": {', id]);
        const result = await a.control.replay(id, (_, v) => v, T0 + 20);
        assert.equal(result.ok, false);
        assert.equal(!result.ok && result.reason, 'unreadable-trigger');
        assert.match(!result.ok && result.reason === 'unreadable-trigger' ? result.detail : '', /JSON/);
        assert.equal(await count('runs'), 1);
      });
    });
  });
}

if (WITH_POSTGRES)
  describe('store on PostgreSQL only', () => {
    it('runs the migrations once when several processes start together', async () => {
      const database = await createTestDatabase();
      const opened: Storage[] = [];
      try {
        opened.push(...(await Promise.all([1, 2, 3, 4].map(() => openStorage(database.url)))));
        const rows = await opened[0]!.db.all<{ name: string }>(`SELECT name FROM migrations ORDER BY id`);
        assert.deepEqual(
          rows.map((row) => row.name),
          MIGRATIONS.map((migration) => migration.name),
        );
      } finally {
        await Promise.all(opened.map((storage) => storage.close()));
        await database.drop();
      }
    });

    describe('run notifications', () => {
      let database: Awaited<ReturnType<typeof createTestDatabase>>;
      let storage: Storage;
      let listener: PostgresListener;
      let notified = 0;
      const waiters = new Set<() => void>();

      /** Resolves once the listener has been notified more than `seen` times in all. */
      const notifiedAfter = (seen: number) =>
        new Promise<void>((resolve) => {
          const check = () => {
            if (notified > seen) {
              waiters.delete(check);
              resolve();
            }
          };
          waiters.add(check);
          check();
        });

      before(async () => {
        database = await createTestDatabase();
        storage = await openStorage(database.url);
        listener = new PostgresListener(
          database.url,
          () => {
            notified += 1;
            for (const waiter of [...waiters]) waiter();
          },
          { minDelayMs: 50, maxDelayMs: 200 },
        );
        listener.start();
        // The listener announces each (re)connection with one notification of its own.
        await notifiedAfter(0);
      });

      after(async () => {
        await listener?.stop();
        await storage?.close();
        await database?.drop();
      });

      it('wakes listeners when another process commits a run', async () => {
        const seen = notified;
        await new DeliveryRepository(storage.db).accept(...arrival());
        await notifiedAfter(seen);
      });

      it('wakes listeners when a run is replayed', async () => {
        const { runId } = await new DeliveryRepository(storage.db).accept(...arrival());
        const seen = notified;
        const replay = await new RunControlRepository(storage.db).replay(runId!, (_, version) => version, T0);
        assert.ok(replay.ok);
        await notifiedAfter(seen);
      });

      it('listens again after its connection is cut, and still hears new runs', async () => {
        const seen = notified;
        const [terminated] = await storage.db.all<{ n: number }>(
          `SELECT COUNT(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = 'hookflow-listener' AND datname = current_database()`,
        );
        assert.equal(terminated?.n, 1);
        await notifiedAfter(seen); // the reconnection's own wake-up
        const next = notified;
        await new DeliveryRepository(storage.db).accept(...arrival());
        await notifiedAfter(next);
        assert.equal(listener.listening, true);
      });
    });
  });
