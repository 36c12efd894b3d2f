/**
 * Storage as another thread of this process opens it (the runner thread): the database, on a
 * connection of its own, described by something a Worker can be handed (structured-cloneable).
 * Nothing here loads TypeORM: the schema is already migrated by the main thread, and the
 * thread only runs the SQL of the Database port.
 */
import BetterSqlite3 from 'better-sqlite3';
import { SqliteDatabase, type Database } from './database.js';
import { MAIN_THREAD_WRITER, RUNNER_THREAD_WRITER, WriteLock } from './write-lock.js';

/** A SQLite file with the write lock its writers share, or a PostgreSQL URL. */
export type SharedStorage =
  { kind: 'sqlite'; file: string; writeLock: SharedArrayBuffer } | { kind: 'postgres'; url: string; poolSize: number };

export interface OpenedDatabase {
  db: Database;
  close(): Promise<void>;
}

/**
 * While intake (the main thread) is writing, the runner thread's records wait this long before
 * each of its group commits, so that a burst of deliveries is acknowledged first and runs catch
 * up behind it; when intake is quiet they commit at once. With 32 runs in flight this still
 * leaves runs about a third of the time during a burst (docs/performance-notes.md).
 */
const RUNNER_YIELD_MS = 5;

/**
 * Opens the shared storage on a connection of its own (pg is loaded only for PostgreSQL): from the
 * runner thread, or for the main thread's helper runner (`holder`: which writer it is on SQLite).
 */
export async function openSharedDatabase(shared: SharedStorage, holder = RUNNER_THREAD_WRITER): Promise<OpenedDatabase> {
  if (shared.kind === 'sqlite') {
    const handle = new BetterSqlite3(shared.file, { fileMustExist: true });
    handle.pragma('synchronous = FULL');
    return {
      db: new SqliteDatabase(handle, new WriteLock(holder, shared.writeLock), {
        holder: MAIN_THREAD_WRITER,
        ms: RUNNER_YIELD_MS,
      }),
      close: async () => {
        handle.close();
      },
    };
  }
  const [{ default: pg }, { PostgresDatabase }] = await Promise.all([import('pg'), import('./postgres-database.js')]);
  const pool = new pg.Pool({
    connectionString: shared.url,
    application_name: 'hookflow',
    max: shared.poolSize,
    connectionTimeoutMillis: 5000,
    keepAlive: true,
  });
  // An idle client whose connection drops emits 'error' on the pool; unheard, that would end the process.
  pool.on('error', () => undefined);
  return { db: new PostgresDatabase(pool), close: async () => pool.end() };
}
