/**
 * Opens storage from DATABASE_URL and brings its schema up to date with migrations
 * (never `synchronize`). SQLite runs in WAL mode with synchronous=FULL: an acknowledged
 * delivery is on disk before its 202.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { PostgresDatabase, SqliteDatabase, type Database } from './database.js';
import { DeliveryEntity } from './entities/delivery.entity.js';
import { RunStepEntity } from './entities/run-step.entity.js';
import { RunEntity } from './entities/run.entity.js';
import { StepAttemptEntity } from './entities/step-attempt.entity.js';
import { WorkflowVersionEntity } from './entities/workflow-version.entity.js';
import { InitialSchema1764200000000 } from './migrations/1764200000000-initial-schema.js';

export const ENTITIES = [WorkflowVersionEntity, DeliveryEntity, RunEntity, RunStepEntity, StepAttemptEntity];
export const MIGRATIONS = [InitialSchema1764200000000];

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
  close(): Promise<void>;
}

export async function openStorage(url: string): Promise<Storage> {
  const location = parseDatabaseUrl(url);
  const dataSource =
    location.kind === 'sqlite'
      ? new DataSource({
          type: 'better-sqlite3',
          database: location.path === ':memory:' ? ':memory:' : prepareFile(location.path),
          enableWAL: location.path !== ':memory:',
          timeout: 5000,
          prepareDatabase: (db: { pragma(sql: string): unknown }) => {
            db.pragma('synchronous = FULL');
          },
          entities: ENTITIES,
          migrations: MIGRATIONS,
          migrationsTransactionMode: 'all',
          logging: false,
        })
      : new DataSource({
          type: 'postgres',
          url: location.url,
          entities: ENTITIES,
          migrations: MIGRATIONS,
          migrationsTransactionMode: 'all',
          logging: false,
          extra: { max: 20, connectionTimeoutMillis: 5000 },
        });
  await dataSource.initialize();
  await dataSource.runMigrations();
  const db: Database =
    location.kind === 'sqlite'
      ? new SqliteDatabase((dataSource.driver as unknown as { databaseConnection: ConstructorParameters<typeof SqliteDatabase>[0] }).databaseConnection)
      : new PostgresDatabase(dataSource);
  return {
    dataSource,
    db,
    location,
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  };
}

function prepareFile(path: string): string {
  const absolute = resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  return absolute;
}
