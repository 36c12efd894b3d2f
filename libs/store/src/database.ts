/**
 * The SQL port under the hot paths (intake, queue, step recording): prepared statements,
 * no entity hydration, and transactions that cannot interleave.
 *
 * SQLite has one connection, so TypeORM's transactions would nest into each other when two
 * requests run at once; here every SQLite statement and transaction takes one lock, and a
 * transaction's body runs alone. When another thread of the process writes to the same file
 * through a connection of its own (the runner thread), a WriteLock shared with it is taken
 * around every transaction and every statement that writes. On PostgreSQL
 * (postgres-database.ts, loaded only there) each transaction has its own pooled connection.
 * SQL is written once with `?` placeholders and rewritten to `$n` for PostgreSQL; numbers come
 * back as numbers from both.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { WriteLock } from './write-lock.js';

export type Row = Record<string, unknown>;

export interface Sql {
  all<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a statement and answers the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

/**
 * `full` (the default): the commit is on disk before the promise settles — for what was
 * acknowledged to a sender or an operator. `relaxed`: the commit survives the process dying
 * (kill -9) but may be lost with the machine (power loss) — for a worker's bookkeeping, where
 * a lost record means a step runs again with the same Idempotency-Key. On SQLite it is
 * synchronous=NORMAL for that transaction, and the next full commit syncs it along; on
 * PostgreSQL, synchronous_commit=off.
 */
export interface TransactionOptions {
  sync?: 'full' | 'relaxed';
}

export const RELAXED: TransactionOptions = { sync: 'relaxed' };

export interface Database extends Sql {
  readonly dialect: 'sqlite' | 'postgres';
  transaction<T>(work: (tx: Sql) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Like `transaction`, for short work from many concurrent callers (intake): on SQLite the
   * work that arrives while a commit is syncing shares the next transaction and its one sync
   * to disk (group commit); each caller's promise settles only after that commit. A caller's
   * work that throws is rolled back alone and does not fail the others: on SQLite the batch then
   * runs again, with a savepoint for each caller's work, so `work` may run twice and must do
   * nothing but SQL. On SQLite relaxed work may share a full commit (and its sync) with full work.
   */
  batched<T>(work: (tx: Sql) => Promise<T>, options?: TransactionOptions): Promise<T>;
}

export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`storage unavailable: ${(cause as Error).message ?? String(cause)}`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

interface Pending {
  work: (tx: Sql) => Promise<unknown>;
  /** The work asks for a full commit. */
  full: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** How long a statement waits for a write lock that another process holds (none should: one process per file). */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;
/** The pauses between tries while another process holds the lock; the last one repeats. */
const BUSY_PAUSES_MS = [1, 2, 5, 10, 20, 50, 100];

export class SqliteDatabase implements Database {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private tail: Promise<unknown> = Promise.resolve();
  private readonly direct: Sql;
  /**
   * Work waiting for the next group commit; a commit is queued on the lock when the first arrives.
   * Full and relaxed work share it: the commit is full when any of its work asks for that (a
   * stronger sync than relaxed work needs, for one transaction where there would be two).
   */
  private pending: Pending[] = [];

  private othersSeen = 0;

  /**
   * `writeLock`: shared with the other threads writing to this file, if any. `yieldTo`: relaxed
   * work lets that holder's writes go first (the runner lets intake go first): see yieldMs.
   *
   * The connection's own busy handler is turned off: it sleeps with the whole thread blocked, so
   * while another process held the file (`sqlite3` with a transaction open, say) the main thread
   * would answer nothing, not even `/health`, for up to the busy timeout per statement. Instead a
   * statement that finds the file locked is tried again after a pause on a timer, for up to
   * `busyTimeoutMs`, and then fails with SQLITE_BUSY (storage unavailable). The threads of this
   * process never meet that lock: they take turns through the WriteLock.
   */
  constructor(
    private readonly handle: BetterSqlite3.Database,
    private readonly writeLock?: WriteLock,
    private readonly yieldTo?: { holder: number; ms: number },
    private readonly busyTimeoutMs = SQLITE_BUSY_TIMEOUT_MS,
  ) {
    handle.pragma('busy_timeout = 0');
    if (yieldTo && writeLock) this.othersSeen = writeLock.takenBy(yieldTo.holder);
    this.direct = {
      all: <T extends Row>(sql: string, params: readonly unknown[] = []) => Promise.resolve(this.allNow<T>(sql, params)),
      run: (sql: string, params: readonly unknown[] = []) => Promise.resolve(this.runNow(sql, params)),
    };
  }

  /**
   * A read outside any transaction runs at once rather than behind the work queued on this
   * connection, so that reads (the API's lists, say) still answer while that work waits for the
   * write lock. Inside a transaction's body it waits its turn, as a write does.
   */
  all<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const read = (deadline: number): Promise<T[]> => this.whenFree(() => this.allNow<T>(sql, params), deadline);
    const onlyReads = this.onlyReads(sql);
    if (onlyReads && !this.handle.inTransaction) return read(performance.now() + this.busyTimeoutMs);
    return this.exclusive(read, this.writeLock !== undefined && !onlyReads);
  }

  run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.exclusive((deadline) => this.whenFree(() => this.runNow(sql, params), deadline), this.writes(sql));
  }

  private allNow<T extends Row>(sql: string, params: readonly unknown[]): T[] {
    return this.prepare(sql).all(...params.map(bind)) as T[];
  }

  private runNow(sql: string, params: readonly unknown[]): number {
    return this.prepare(sql).run(...params.map(bind)).changes;
  }

  transaction<T>(work: (tx: Sql) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.exclusive((deadline) => this.atomically(options.sync ?? 'full', deadline, () => work(this.direct)), true);
  }

  batched<T>(work: (tx: Sql) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const full = (options.sync ?? 'full') === 'full';
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, full, resolve: resolve as (value: unknown) => void, reject });
      // The commit waits for the end of this turn of the event loop, so that every request whose
      // bytes arrived in it joins the same transaction; a microtask would commit them one by one.
      if (this.pending.length !== 1) return;
      const yieldMs = full ? 0 : this.yieldMs();
      const commit = (): void => void this.exclusive((deadline) => this.commitPending(deadline), true);
      if (yieldMs > 0) setTimeout(commit, yieldMs);
      else setImmediate(commit);
    });
  }

  /**
   * Commits everything queued by `batched` so far in one transaction (one sync to disk at most).
   * Nearly always every caller's work succeeds, so the batch first runs as plain statements; when
   * one throws, that transaction is rolled back and the batch runs again with each caller's work
   * in its own savepoint, so that only the failing work is undone. (A savepoint and its release
   * cost more than an insert.) The work is SQL alone, so running it twice has no other effect.
   */
  private async commitPending(deadline: number): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const sync = batch.some((item) => item.full) ? 'full' : 'relaxed';
    let outcomes: Outcome[];
    let workFailed = false;
    try {
      outcomes = await this.atomically(sync, deadline, async () => {
        const values: Outcome[] = [];
        for (const item of batch) {
          try {
            values.push({ ok: true, value: await item.work(this.direct) });
          } catch (error) {
            workFailed = true;
            throw error;
          }
        }
        return values;
      });
    } catch (error) {
      // The transaction itself failed (the file stayed locked, the disk is full): so does all of its work.
      if (!workFailed) {
        for (const item of batch) item.reject(error);
        return;
      }
      try {
        outcomes = await this.atomically(sync, deadline, () => this.eachInSavepoint(batch));
      } catch (error) {
        for (const item of batch) item.reject(error);
        return;
      }
    }
    batch.forEach((item, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }

  private async eachInSavepoint(batch: Pending[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const item of batch) {
      this.prepare('SAVEPOINT batched').run();
      try {
        outcomes.push({ ok: true, value: await item.work(this.direct) });
        this.prepare('RELEASE batched').run();
      } catch (error) {
        this.prepare('ROLLBACK TO batched').run();
        this.prepare('RELEASE batched').run();
        outcomes.push({ ok: false, error });
      }
    }
    return outcomes;
  }

  /**
   * `body` in one transaction at the given sync, rolled back if it throws; the caller holds the
   * lock. The transaction begins by `deadline` (performance.now()) or fails with SQLITE_BUSY.
   */
  private async atomically<T>(sync: 'full' | 'relaxed', deadline: number, body: () => Promise<T>): Promise<T> {
    const relaxed = sync === 'relaxed';
    if (relaxed) this.prepare('PRAGMA synchronous = NORMAL').run();
    try {
      await this.whenFree(() => this.prepare('BEGIN IMMEDIATE').run(), deadline);
      const result = await body();
      this.prepare('COMMIT').run();
      return result;
    } catch (error) {
      if (this.handle.inTransaction) this.prepare('ROLLBACK').run();
      throw error;
    } finally {
      if (relaxed) this.prepare('PRAGMA synchronous = FULL').run();
    }
  }

  /**
   * Runs `attempt` (one statement, or a BEGIN: nothing that leaves work half done when it fails),
   * trying again after a pause while the file is locked by another process, until `deadline`.
   */
  private async whenFree<T>(attempt: () => T, deadline: number): Promise<T> {
    for (let tries = 0; ; tries++) {
      try {
        return attempt();
      } catch (error) {
        const left = deadline - performance.now();
        if (!isBusy(error) || left <= 0) throw error;
        const pause = Math.min(BUSY_PAUSES_MS[Math.min(tries, BUSY_PAUSES_MS.length - 1)]!, left);
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  /**
   * How long relaxed work waits before its group commit: `yieldTo.ms` when the other writer has
   * written since this connection last looked (intake is busy), else not at all.
   */
  private yieldMs(): number {
    if (!this.yieldTo || !this.writeLock) return 0;
    const seen = this.writeLock.takenBy(this.yieldTo.holder);
    const busy = seen !== this.othersSeen;
    this.othersSeen = seen;
    return busy ? this.yieldTo.ms : 0;
  }

  /**
   * Runs `work` after everything queued before it on this connection; `writes`: under the shared
   * write lock. `work` is given the deadline for a lock held by another process: the busy timeout
   * counts from now, so that work queued behind a writer that waited for that lock waits no longer
   * in all (a delivery is answered 503 after the busy timeout, not after several).
   */
  private exclusive<T>(work: (deadline: number) => Promise<T>, writes: boolean): Promise<T> {
    const deadline = performance.now() + this.busyTimeoutMs;
    const lock = writes ? this.writeLock : undefined;
    const locked = lock
      ? async () => {
          await lock.acquire();
          try {
            return await work(deadline);
          } finally {
            lock.release();
          }
        }
      : () => work(deadline);
    const result = this.tail.then(locked, locked);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Whether a statement outside a transaction writes (it then takes the shared write lock). */
  private writes(sql: string): boolean {
    return this.writeLock !== undefined && !this.onlyReads(sql);
  }

  private onlyReads(sql: string): boolean {
    try {
      return this.prepare(sql).readonly;
    } catch {
      return false; // the statement fails when it runs, and says why there
    }
  }

  private prepare(sql: string): BetterSqlite3.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.handle.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_RECOVERY, …): another connection holds a lock. */
function isBusy(error: unknown): boolean {
  return String((error as { code?: unknown } | null)?.code ?? '').startsWith('SQLITE_BUSY');
}

/** Values as both drivers take them: no booleans or undefined. */
export function bind(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

/**
 * Errors that mean "the database is not there" (refused, lost, shutting down, out of
 * connections, disk trouble), as opposed to a bad statement or a constraint.
 */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const code = String((error as { code?: unknown }).code ?? '');
  return (
    UNAVAILABLE_CODES.some((prefix) => code.startsWith(prefix)) ||
    /connection terminated|not connected|database is closed|timeout exceeded when trying to connect|not queryable|connection error|pool .*(ended|after calling end)/i.test(
      String((error as Error).message),
    )
  );
}

const UNAVAILABLE_CODES = [
  // SQLite
  'SQLITE_BUSY',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
  // sockets
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // PostgreSQL: connection exceptions, too many connections, shutdown / cannot connect now, system errors
  '08',
  '53300',
  '57P',
  '58',
];
