/**
 * The SQL port under the hot paths (intake, queue, step recording): prepared statements,
 * no entity hydration, and transactions that cannot interleave.
 *
 * SQLite has one connection, so TypeORM's transactions would nest into each other when two
 * requests run at once; here every SQLite statement and transaction takes one lock, and a
 * transaction's body runs alone. On PostgreSQL each transaction has its own pooled connection.
 * SQL is written once with `?` placeholders and rewritten to `$n` for PostgreSQL.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { DataSource, QueryRunner } from 'typeorm';

export type Row = Record<string, unknown>;

export interface Sql {
  all<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a statement and answers the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

export interface Database extends Sql {
  readonly dialect: 'sqlite' | 'postgres';
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
}

export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`storage unavailable: ${(cause as Error).message ?? String(cause)}`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

export class SqliteDatabase implements Database {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private tail: Promise<unknown> = Promise.resolve();
  private readonly direct: Sql;

  constructor(private readonly handle: BetterSqlite3.Database) {
    this.direct = {
      all: <T extends Row>(sql: string, params: readonly unknown[] = []) => Promise.resolve(this.prepare(sql).all(...params.map(bind)) as T[]),
      run: (sql: string, params: readonly unknown[] = []) => Promise.resolve(this.prepare(sql).run(...params.map(bind)).changes),
    };
  }

  all<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.exclusive(() => this.direct.all<T>(sql, params));
  }

  run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.exclusive(() => this.direct.run(sql, params));
  }

  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      this.prepare('BEGIN IMMEDIATE').run();
      try {
        const result = await work(this.direct);
        this.prepare('COMMIT').run();
        return result;
      } catch (error) {
        if (this.handle.inTransaction) this.prepare('ROLLBACK').run();
        throw error;
      }
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
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

export class PostgresDatabase implements Database {
  readonly dialect = 'postgres' as const;
  private readonly rewritten = new Map<string, string>();

  constructor(private readonly dataSource: DataSource) {}

  all<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.query<T>(this.dataSource.manager.connection.createQueryRunner(), sql, params, true);
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(this.rewrite(sql), params.map(bind), true);
      return (result as { affected?: number }).affected ?? 0;
    } finally {
      await runner.release();
    }
  }

  async transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      const tx: Sql = {
        all: <R extends Row>(sql: string, params: readonly unknown[] = []) => this.query<R>(runner, sql, params, false),
        run: async (sql: string, params: readonly unknown[] = []) =>
          ((await runner.query(this.rewrite(sql), params.map(bind), true)) as { affected?: number }).affected ?? 0,
      };
      const result = await work(tx);
      await runner.commitTransaction();
      return result;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  private async query<T>(runner: QueryRunner, sql: string, params: readonly unknown[], release: boolean): Promise<T[]> {
    try {
      return (await runner.query(this.rewrite(sql), params.map(bind))) as T[];
    } finally {
      if (release) await runner.release();
    }
  }

  private rewrite(sql: string): string {
    let text = this.rewritten.get(sql);
    if (text === undefined) {
      let index = 0;
      text = sql.replace(/\?/g, () => `$${++index}`);
      this.rewritten.set(sql, text);
    }
    return text;
  }
}

/** Values as both drivers take them: no booleans or undefined. */
function bind(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

/** Errors that mean "the database is not there", as opposed to a bad statement. */
export function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return (
    ['SQLITE_BUSY', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03'].some(
      (prefix) => code.startsWith(prefix),
    ) || /connection terminated|not connected|database is closed/i.test(String((error as Error).message))
  );
}
