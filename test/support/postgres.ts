/**
 * PostgreSQL for tests: the cases that need it run only under `npm run test:postgres`
 * (HOOKFLOW_TEST_POSTGRES=1), each in a database of its own created on the server at
 * TEST_POSTGRES_URL and dropped afterwards, so runs never see each other's data.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_TESTS = process.env.HOOKFLOW_TEST_POSTGRES === '1';
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
/** Why PostgreSQL cases are skipped, for node:test's `skip` option. */
/** PostgreSQL cases are registered only under `npm run test:postgres`, so plain `npm test` neither needs nor skips them. */
export const WITH_POSTGRES: boolean = POSTGRES_TESTS;

export interface TestDatabase {
  /** The new database's URL. */
  url: string;
  name: string;
  /** Drops the database, ending whatever connections are still open to it. */
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `hookflow_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** Runs `work` on a connection to the server's admin database (TEST_POSTGRES_URL's, else `postgres`). */
async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  let client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  try {
    await client.connect();
  } catch (error) {
    // 3D000: the database named in the URL does not exist; the maintenance database always does.
    if ((error as { code?: string }).code !== '3D000') throw error;
    const fallback = new URL(TEST_POSTGRES_URL);
    fallback.pathname = '/postgres';
    client = new pg.Client({ connectionString: fallback.toString() });
    await client.connect();
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
