import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import pg from 'pg';
import { describeLocation, openStorage } from './data-source.js';
import BetterSqlite3 from 'better-sqlite3';
import { DatabaseUnavailableError, isUnavailable, RELAXED, SqliteDatabase, type Database } from './database.js';
import { PostgresDatabase } from './postgres-database.js';
import { MAIN_THREAD_WRITER, RUNNER_THREAD_WRITER, WriteLock } from './write-lock.js';
import { openSharedDatabase } from './shared-storage.js';

/** A port nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('isUnavailable', () => {
  const cases: Array<[string, unknown, boolean]> = [
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), true],
    ['a reset connection', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), true],
    [
      'the server shutting down (57P01)',
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      true,
    ],
    ['a connection failure (08006)', Object.assign(new Error('connection failure'), { code: '08006' }), true],
    ['too many connections (53300)', Object.assign(new Error('sorry, too many clients already'), { code: '53300' }), true],
    ['a dropped connection', new Error('Connection terminated unexpectedly'), true],
    ['a pool timeout', new Error('timeout exceeded when trying to connect'), true],
    ['a locked SQLite file', Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }), true],
    ['a wrapped unavailability', new DatabaseUnavailableError(new Error('gone')), true],
    ['a unique violation (23505)', Object.assign(new Error('duplicate key value'), { code: '23505' }), false],
    ['a missing table (42P01)', Object.assign(new Error('relation "runs" does not exist'), { code: '42P01' }), false],
    ['a SQLite constraint', Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT_UNIQUE' }), false],
    ['not an error at all', undefined, false],
  ];
  for (const [name, error, expected] of cases) {
    it(`${expected ? 'recognises' : 'does not mistake'} ${name}`, () => assert.equal(isUnavailable(error), expected));
  }
});

describe('PostgresDatabase without a server', () => {
  it('reports a refused connection as storage unavailable, for statements and transactions', async () => {
    const pool = new pg.Pool({
      host: '127.0.0.1',
      port: await closedPort(),
      user: 'hookflow',
      database: 'hookflow',
      connectionTimeoutMillis: 2000,
    });
    const db = new PostgresDatabase(pool);
    try {
      await assert.rejects(db.all('SELECT 1'), DatabaseUnavailableError);
      await assert.rejects(db.run('DELETE FROM runs WHERE id = ?', ['x']), DatabaseUnavailableError);
      await assert.rejects(
        db.transaction((tx) => tx.run('SELECT 1')),
        (error: unknown) => error instanceof DatabaseUnavailableError && isUnavailable(error),
      );
    } finally {
      await pool.end();
    }
  });
});

describe('openStorage', () => {
  it('names the database, without its password, when it cannot connect', async () => {
    const url = `postgres://hookflow:s3cret@127.0.0.1:${await closedPort()}/hookflow`;
    await assert.rejects(openStorage(url), (error: Error) => {
      assert.match(error.message, /^cannot open storage at postgres:\/\/hookflow:\*\*\*@127\.0\.0\.1:\d+\/hookflow: .*ECONNREFUSED/);
      assert.doesNotMatch(error.message, /s3cret/);
      return true;
    });
  });

  it('opens a SQLite file for one holder at a time, and lets the next one in once it is closed', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hookflow-hold-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const url = `sqlite:${join(dir, 'hookflow.db')}`;
    const first = await openStorage(url);
    await assert.rejects(
      openStorage(url),
      /^Error: cannot open storage at sqlite:.*hookflow\.db: another Hookflow process is using this file/,
    );
    assert.deepEqual(await first.db.all('SELECT 1 AS one'), [{ one: 1 }], 'the holder goes on');
    await first.close();
    const next = await openStorage(url);
    await next.close();
  });

  it('describes SQLite locations by their path', () => {
    assert.equal(describeLocation({ kind: 'sqlite', path: 'data/hookflow.db' }), 'sqlite:data/hookflow.db');
  });
});

describe('SqliteDatabase.batched (group commit)', () => {
  it('commits concurrent work together, rolling back only the work that failed', async () => {
    const storage = await openStorage('sqlite::memory:');
    try {
      await storage.db.run('CREATE TABLE t (id integer PRIMARY KEY, v text NOT NULL)');
      const writes = [1, 2, 3, 4, 5].map((id) =>
        storage.db.batched(async (tx) => {
          await tx.run('INSERT INTO t (id, v) VALUES (?, ?)', [id, `v${id}`]);
          if (id === 3) throw new Error('refused');
          return id;
        }),
      );
      const settled = await Promise.allSettled(writes);
      assert.deepEqual(
        settled.map((outcome) => outcome.status),
        ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
      );
      const rows = await storage.db.all<{ id: number }>('SELECT id FROM t ORDER BY id');
      assert.deepEqual(
        rows.map((row) => row.id),
        [1, 2, 4, 5],
      );
    } finally {
      await storage.close();
    }
  });

  it('counts the work of a batch that had a failure once, though the batch ran again after the failure', async () => {
    const storage = await openStorage('sqlite::memory:');
    try {
      await storage.db.run('CREATE TABLE counter (n integer NOT NULL)');
      await storage.db.run('INSERT INTO counter (n) VALUES (0)');
      const writes = [1, 2, 3, 4].map((id) =>
        storage.db.batched(async (tx) => {
          await tx.run('UPDATE counter SET n = n + 1');
          if (id === 4) throw new Error('refused');
        }),
      );
      await Promise.allSettled(writes);
      const [row] = await storage.db.all<{ n: number }>('SELECT n FROM counter');
      assert.equal(row?.n, 3);
    } finally {
      await storage.close();
    }
  });

  it('settles a caller only after its commit, so what it wrote is readable at once', async () => {
    const storage = await openStorage('sqlite::memory:');
    try {
      await storage.db.run('CREATE TABLE t (id integer PRIMARY KEY)');
      await Promise.all(
        Array.from({ length: 20 }, async (_, id) => {
          await storage.db.batched((tx) => tx.run('INSERT INTO t (id) VALUES (?)', [id]));
          const [row] = await storage.db.all<{ id: number }>('SELECT id FROM t WHERE id = ?', [id]);
          assert.equal(row?.id, id);
        }),
      );
    } finally {
      await storage.close();
    }
  });
});

describe('SqliteDatabase with the write lock shared across connections', () => {
  it("makes a second connection's transaction wait for the first one's commit instead of failing on SQLite's lock", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookflow-lock-'));
    const storage = await openStorage(`sqlite:${join(dir, 'db.sqlite')}`);
    const other = await openSharedDatabase(storage.shared!);
    try {
      await storage.db.run('CREATE TABLE events (n integer PRIMARY KEY, what text NOT NULL)');
      const order: string[] = [];
      // The first transaction holds SQLite's write lock across a timer; without the shared lock the
      // second would block this thread in SQLite's busy handler and fail with SQLITE_BUSY.
      const first = storage.db.transaction(async (tx) => {
        await tx.run(`INSERT INTO events (what) VALUES ('first begins')`);
        order.push('first begins');
        await new Promise((resolve) => setTimeout(resolve, 50));
        await tx.run(`INSERT INTO events (what) VALUES ('first ends')`);
        order.push('first ends');
      });
      await new Promise((resolve) => setTimeout(resolve, 10));
      const second = other.db.transaction(async (tx) => {
        await tx.run(`INSERT INTO events (what) VALUES ('second')`);
        order.push('second');
      });
      await Promise.all([first, second]);
      assert.deepEqual(order, ['first begins', 'first ends', 'second']);
      const rows = await storage.db.all<{ what: string }>('SELECT what FROM events ORDER BY n');
      assert.deepEqual(
        rows.map((row) => row.what),
        ['first begins', 'first ends', 'second'],
      );
    } finally {
      await other.close();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lets relaxed work wait while the other writer is busy, so that the other writer's commits go first", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookflow-yield-'));
    const storage = await openStorage(`sqlite:${join(dir, 'db.sqlite')}`);
    const handle = new BetterSqlite3(join(dir, 'db.sqlite'));
    const runner = new SqliteDatabase(handle, new WriteLock(RUNNER_THREAD_WRITER, storage.writeLock!.buffer), {
      holder: MAIN_THREAD_WRITER,
      ms: 300,
    });
    await storage.db.run('CREATE TABLE events (n integer PRIMARY KEY, what text NOT NULL)');
    try {
      const write = (db: SqliteDatabase | Database, what: string, sync?: 'relaxed') =>
        db.batched((tx) => tx.run('INSERT INTO events (what) VALUES (?)', [what]), sync ? RELAXED : undefined);
      // The main thread has not written since the runner's connection last looked: no wait.
      await write(runner, 'runner while quiet', 'relaxed');
      await write(storage.db, 'main');
      // The main thread wrote since: the runner's next commit waits, and main's later write goes first.
      const waiting = write(runner, 'runner while busy', 'relaxed');
      await new Promise((resolve) => setTimeout(resolve, 20));
      await write(storage.db, 'main again');
      await waiting;
      const rows = await storage.db.all<{ what: string }>('SELECT what FROM events ORDER BY n');
      assert.deepEqual(
        rows.map((row) => row.what),
        ['runner while quiet', 'main', 'main again', 'runner while busy'],
      );
    } finally {
      handle.close();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is not shared for sqlite::memory:, which no other connection can open', async () => {
    const storage = await openStorage('sqlite::memory:');
    try {
      assert.equal(storage.shared, undefined);
      assert.equal(storage.writeLock, undefined);
    } finally {
      await storage.close();
    }
  });
});

describe('SqliteDatabase while another process holds the file', () => {
  /**
   * Runs `test` with this port on one connection to a new database file (a table `t`), while
   * another connection (another process's) holds the file's write lock, and cleans up after it.
   */
  async function whileLocked(
    busyTimeoutMs: number,
    test: (db: SqliteDatabase, other: BetterSqlite3.Database) => Promise<void>,
  ): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'hookflow-busy-'));
    const handle = new BetterSqlite3(join(dir, 'db.sqlite'));
    const other = new BetterSqlite3(join(dir, 'db.sqlite'));
    try {
      handle.pragma('journal_mode = WAL');
      handle.exec('CREATE TABLE t (id integer PRIMARY KEY)');
      other.exec('BEGIN IMMEDIATE');
      await test(new SqliteDatabase(handle, undefined, undefined, busyTimeoutMs), other);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      handle.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('waits for the lock on a timer, with the thread free, and commits once the lock is released', () =>
    whileLocked(10_000, async (db, other) => {
      const order: string[] = [];
      const written = db.transaction((tx) => tx.run('INSERT INTO t (id) VALUES (1)')).then(() => order.push('committed'));
      // Were the thread asleep in SQLite's busy handler, this timer could not release the lock.
      setTimeout(() => {
        order.push('released');
        other.exec('COMMIT');
      }, 30);
      await written;
      assert.deepEqual(order, ['released', 'committed']);
      assert.deepEqual(await db.all('SELECT id FROM t'), [{ id: 1 }]);
    }));

  it('answers reads while a write waits for the lock', () =>
    whileLocked(10_000, async (db, other) => {
      let settled = false;
      const written = db.run('INSERT INTO t (id) VALUES (1)').finally(() => (settled = true));
      assert.deepEqual(await db.all('SELECT count(*) AS n FROM t'), [{ n: 0 }]);
      assert.equal(settled, false, 'the read did not wait behind the write');
      other.exec('COMMIT');
      assert.equal(await written, 1);
    }));

  it('gives up after the busy timeout with SQLITE_BUSY, storage unavailable, for statements, transactions and batches', () =>
    whileLocked(100, async (db, other) => {
      let ran = 0;
      const failures = await Promise.allSettled([
        db.run('INSERT INTO t (id) VALUES (1)'),
        db.transaction((tx) => tx.run('INSERT INTO t (id) VALUES (2)')),
        db.batched(async (tx) => {
          ran += 1;
          return tx.run('INSERT INTO t (id) VALUES (3)');
        }),
      ]);
      for (const failure of failures) {
        assert.equal(failure.status, 'rejected');
        assert.ok(isUnavailable((failure as PromiseRejectedResult).reason), String((failure as PromiseRejectedResult).reason));
      }
      assert.equal(ran, 0, 'the batch never began, so its work never ran');
      other.exec('COMMIT');
      await db.run('INSERT INTO t (id) VALUES (4)');
      assert.deepEqual(await db.all('SELECT id FROM t'), [{ id: 4 }]);
    }));
});
