// Seeds a fresh SQLite file with finished runs, for the list-latency phase:
//   node bench/seed-runs.mjs <file> <count>
// The schema comes from Hookflow's own migrations (openStorage from dist/libs/store); the rows
// go in directly with one prepared statement in big transactions. Ids are UUIDv7 and
// time-ordered like real ones, spread over the last 20 days across 10 workflows; 90% succeeded,
// 8% failed, 2% cancelled; each trigger is a ~700-byte delivery like a real one. Seeding writes
// with synchronous=OFF (it is not what is measured) and checkpoints the WAL at the end. No
// ANALYZE: Hookflow never runs one, so the query planner works as it would on a real file.
// Prints one JSON line: { rows, seconds, workflowIds, middleCursor, fileMb }.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { PAYLOAD } from './fixtures.mjs';

// The bench runs a snapshot of dist/ (HOOKFLOW_BENCH_BUILD); run by hand, this checkout's.
const ROOT = process.env.HOOKFLOW_BENCH_BUILD ?? fileURLToPath(new URL('..', import.meta.url));

const [file, countText] = process.argv.slice(2);
const count = Number(countText);
if (!file || !Number.isInteger(count) || count < 1) {
  process.stderr.write('usage: node bench/seed-runs.mjs <file> <count>\n');
  process.exit(2);
}

const started = performance.now();
const store = await import(pathToFileURL(join(ROOT, 'dist/libs/store/src/index.js')).href);
const storage = await store.openStorage(`sqlite:${file}`);
await storage.close();

const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = OFF');
const insert = db.prepare(`INSERT INTO runs (id, workflow_id, workflow_version, delivery_id, trigger_type, trigger, status, attempt,
  run_at, lease_owner, cancel_requested, error, created_at, updated_at, started_at, finished_at)
  VALUES (?, ?, ?, ?, 'webhook', ?, ?, 1, ?, NULL, 0, ?, ?, ?, ?, ?)`);

const WORKFLOWS = Array.from({ length: 10 }, (_, index) => `bench-w${index}`);
const VERSION = 'a'.repeat(64);
const body = JSON.parse(PAYLOAD);
const headers = {
  'content-type': 'application/json',
  'user-agent': 'shop-webhooks/2.1',
  'x-shop-topic': 'order.paid',
  'x-request-id': 'r-1',
};
const FAILED = JSON.stringify({ code: 'HTTP_STATUS', message: 'POST http://127.0.0.1:9/receive answered 500', stepId: 'notify' });
const CANCELLED = JSON.stringify({ code: 'CANCELLED', message: 'cancelled by an operator', stepId: 'notify' });
const span = 20 * 24 * 60 * 60 * 1000;
const first = Date.now() - span;
const step = span / count;
const BATCH = 50_000;
let middle;

const insertBatch = db.transaction((from, to) => {
  for (let index = from; index < to; index++) {
    const at = Math.floor(first + index * step);
    const id = uuidv7({ msecs: at, seq: index & 0xffff });
    const deliveryId = uuidv7({ msecs: at, seq: (index + 1) & 0xffff });
    const roll = (Math.imul(index, 2654435761) >>> 0) % 100; // spread statuses evenly across the workflows
    const status = roll < 2 ? 'cancelled' : roll < 10 ? 'failed' : 'succeeded';
    const error = status === 'failed' ? FAILED : status === 'cancelled' ? CANCELLED : null;
    const trigger = JSON.stringify({
      body,
      headers,
      query: {},
      method: 'POST',
      path: `bench/${WORKFLOWS[index % WORKFLOWS.length]}`,
      ip: '127.0.0.1',
      receivedAt: new Date(at).toISOString(),
      deliveryId,
    });
    insert.run(
      id,
      WORKFLOWS[index % WORKFLOWS.length],
      VERSION,
      deliveryId,
      trigger,
      status,
      at + 250,
      error,
      at,
      at + 250,
      at + 5,
      at + 250,
    );
    if (index === Math.floor(count / 2)) middle = id;
  }
});

for (let from = 0; from < count; from += BATCH) insertBatch(from, Math.min(count, from + BATCH));
db.pragma('wal_checkpoint(TRUNCATE)');
db.close();

process.stdout.write(
  `${JSON.stringify({
    rows: count,
    seconds: (performance.now() - started) / 1000,
    workflowIds: WORKFLOWS,
    middleCursor: store.encodeCursor(middle),
    fileMb: statSync(file).size / 1024 / 1024,
  })}\n`,
);
