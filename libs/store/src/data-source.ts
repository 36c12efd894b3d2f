/**
 * Opens storage from DATABASE_URL and brings its schema up to date with migrations
 * (never `synchronize`). SQLite runs in WAL mode with synchronous=FULL: an acknowledged
 * delivery is on disk before its 202.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { SQLITE_BUSY_TIMEOUT_MS, SqliteDatabase, type Database } from './database.js';
import type { SharedStorage } from './shared-storage.js';
import { MAIN_THREAD_WRITER, WriteLock } from './write-lock.js';
import { DeliveryEntity } from './entities/delivery.entity.js';
import { RunStepEntity } from './entities/run-step.entity.js';
import { RunEntity } from './entities/run.entity.js';
import { StepAttemptEntity } from './entities/step-attempt.entity.js';
import { WorkflowVersionEntity } from './entities/workflow-version.entity.js';
import { InitialSchema1764200000000 } from './migrations/1764200000000-initial-schema.js';
import { CronTicks1764300000000 } from './migrations/1764300000000-cron-ticks.js';
import { RateLimits1764400000000 } from './migrations/1764400000000-rate-limits.js';
import { IdempotencyIndexPartial1764500000000 } from './migrations/1764500000000-idempotency-index-partial.js';
import { RunFirstClaim1764600000000 } from './migrations/1764600000000-run-first-claim.js';

export const ENTITIES = [WorkflowVersionEntity, DeliveryEntity, RunEntity, RunStepEntity, StepAttemptEntity];
export const MIGRATIONS = [
  InitialSchema1764200000000,
  CronTicks1764300000000,
  RateLimits1764400000000,
  IdempotencyIndexPartial1764500000000,
  RunFirstClaim1764600000000,
];

export type StorageLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export function parseDatabaseUrl(url: string): StorageLocation {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (path === '') throw new Error(`DATABASE_URL "${url}" names no file; use sqlite:<path> or sqlite::memory:`);
    return { kind: 'sqlite', path };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url };
  throw new Error(`DATABASE_URL must start with sqlite: or postgres:// (got "${url.split(':')[0]}:…")`);
}

export interface Storage {
  dataSource: DataSource;
  db: Database;
  location: StorageLocation;
  /** PostgreSQL only: the connection pool behind `db` and `dataSource`, for other users of the database (shared rate limits). */
  pool: Pool | undefined;
  /**
   * How another thread of this process opens this storage on a connection of its own
   * (shared-storage.ts); undefined for `sqlite::memory:`, which no other connection can see.
   */
  shared: SharedStorage | undefined;
  /** A SQLite file's write lock, shared by the connections of this process's threads (write-lock.ts). */
  writeLock: WriteLock | undefined;
  close(): Promise<void>;
}

/** PostgreSQL connections a process opens at most, besides the one that listens for notifications. */
export const POSTGRES_CONNECTIONS = 20;
/** Of those, the runner thread's pool (the main thread's has the rest when the process runs workers). */
export const RUNNER_THREAD_CONNECTIONS = 8;

export interface StorageOptions {
  /** The main thread's PostgreSQL pool size; all of POSTGRES_CONNECTIONS by default. */
  poolSize?: number;
}

/**
 * A fixed key for pg_advisory_lock ("hookflow" in ASCII): processes starting together on one
 * database run the migrations one after another, the later ones finding nothing left to do.
 */
const MIGRATION_LOCK = '7525744205384590455';

export async function openStorage(url: string, options: StorageOptions = {}): Promise<Storage> {
  const location = parseDatabaseUrl(url);
  let dataSource: DataSource | undefined;
  let release: (() => void) | undefined;
  let file: string | undefined;
  try {
    // A SQLite file (not `:memory:`), its folder created.
    file = location.kind === 'sqlite' && location.path !== ':memory:' ? prepareFile(location.path) : undefined;
    if (file) release = holdFile(file);
    dataSource = dataSourceFor(location, file, options.poolSize ?? POSTGRES_CONNECTIONS);
    await dataSource.initialize();
    await migrate(dataSource, location);
  } catch (error) {
    if (dataSource?.isInitialized) await dataSource.destroy().catch(() => undefined);
    release?.();
    throw new Error(`cannot open storage at ${describeLocation(location)}: ${describeError(error)}`, { cause: error });
  }
  const pool = location.kind === 'postgres' ? (dataSource.driver as unknown as { master: Pool }).master : undefined;
  // A file's writers in other threads (the runner thread) share this lock with the main connection.
  const writeLock = location.kind === 'sqlite' && file !== undefined ? new WriteLock(MAIN_THREAD_WRITER) : undefined;
  const db: Database = pool
    ? new (await import('./postgres-database.js')).PostgresDatabase(pool)
    : new SqliteDatabase(
        (dataSource.driver as unknown as { databaseConnection: ConstructorParameters<typeof SqliteDatabase>[0] }).databaseConnection,
        writeLock,
      );
  const shared: SharedStorage | undefined =
    location.kind === 'postgres'
      ? { kind: 'postgres', url: location.url, poolSize: RUNNER_THREAD_CONNECTIONS }
      : file !== undefined && writeLock
        ? { kind: 'sqlite', file, writeLock: writeLock.buffer }
        : undefined;
  return {
    dataSource,
    db,
    location,
    pool,
    shared,
    writeLock,
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      release?.();
    },
  };
}

/**
 * One process per SQLite file: storage on SQLite assumes it (runs left running are orphans at
 * start, rate-limit counters live in memory). While storage is open the process holds an
 * exclusive lock on `<file>-lock`, an empty SQLite file of its own (left in place: removing a lock
 * file races with the next process opening it), so that a second process on the same file stops at
 * start; the database file itself stays open to other readers (`sqlite3`, backups). The operating
 * system drops the lock when the process dies, kill -9 included.
 */
function holdFile(path: string): () => void {
  const lock = new BetterSqlite3(`${path}-lock`, { timeout: 0 });
  try {
    lock.pragma('journal_mode = MEMORY'); // its journal, never written, stays in memory: no file beside it
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    throw new Error('another Hookflow process is using this file: one process runs on a SQLite file (several share PostgreSQL)');
  }
  return () => lock.close();
}

function dataSourceFor(location: StorageLocation, file: string | undefined, poolSize: number): DataSource {
  if (location.kind === 'sqlite') {
    return new DataSource({
      type: 'better-sqlite3',
      database: file ?? ':memory:',
      enableWAL: file !== undefined,
      timeout: SQLITE_BUSY_TIMEOUT_MS, // migrations at start wait as long; SqliteDatabase then waits without blocking (database.ts)
      prepareDatabase: (db: { pragma(sql: string): unknown }) => {
        db.pragma('synchronous = FULL');
      },
      entities: ENTITIES,
      migrations: MIGRATIONS,
      migrationsTransactionMode: 'all',
      logging: false,
    });
  }
  return new DataSource({
    type: 'postgres',
    url: location.url,
    applicationName: 'hookflow',
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'all',
    logging: false,
    extra: { max: poolSize, connectionTimeoutMillis: 5000, keepAlive: true },
  });
}

async function migrate(dataSource: DataSource, location: StorageLocation): Promise<void> {
  if (location.kind !== 'postgres') {
    await dataSource.runMigrations();
    return;
  }
  // The lock belongs to this runner's session; dying mid-migration ends the session and frees it.
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    await dataSource.runMigrations();
  } finally {
    await runner.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`).catch(() => undefined);
    await runner.release();
  }
}

/** Where storage is, for messages: a PostgreSQL URL without its password. */
export function describeLocation(location: StorageLocation): string {
  if (location.kind === 'sqlite') return `sqlite:${location.path}`;
  try {
    const url = new URL(location.url);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'postgres://…';
  }
}

/** Connection failures can arrive as an AggregateError with an empty message (one per address tried). */
function describeError(error: unknown): string {
  const failure = error as Error & { code?: string; errors?: Error[] };
  if (failure.message) return failure.message;
  const inner = failure.errors?.map((each) => each.message).filter(Boolean) ?? [];
  return inner.length > 0 ? inner.join('; ') : (failure.code ?? String(error));
}

function prepareFile(path: string): string {
  const absolute = resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  return absolute;
}
