/**
 * The Database port on PostgreSQL (database.ts has the port and SQLite): its own file, so that
 * a process on SQLite never loads pg.
 */
import pg, { type CustomTypesConfig, type Pool, type PoolClient, type QueryResult } from 'pg';
import { bind, DatabaseUnavailableError, isUnavailable, type Database, type Row, type Sql, type TransactionOptions } from './database.js';

/**
 * Statements go straight to the pg pool (TypeORM's, so a process keeps one pool): TypeORM's
 * query runner hands back `[rows, count]` for UPDATE … RETURNING, and wraps every call in
 * events this path does not need. Each distinct statement is prepared once per connection,
 * BIGINT comes back as a number as on SQLite (epoch milliseconds and counts fit easily), and
 * a lost or refused connection surfaces as DatabaseUnavailableError.
 */
export class PostgresDatabase implements Database {
  readonly dialect = 'postgres' as const;
  private readonly statements = new Map<string, { name: string; text: string }>();

  constructor(private readonly pool: Pool) {}

  async all<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.execute(this.pool, sql, params)).rows as T[];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.execute(this.pool, sql, params)).rowCount ?? 0;
  }

  /** PostgreSQL groups commits itself; each caller gets its own transaction. */
  batched<T>(work: (tx: Sql) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.transaction(work, options);
  }

  async transaction<T>(work: (tx: Sql) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw unavailableOr(error);
    }
    // A checked-out client whose connection drops emits 'error'; unheard, that would end the process.
    let broken = false;
    const onError = (): void => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await this.execute(client, 'BEGIN');
      if (options.sync === 'relaxed') await this.execute(client, 'SET LOCAL synchronous_commit = off');
      const result = await work({
        all: async <R extends Row>(sql: string, params: readonly unknown[] = []) => (await this.execute(client, sql, params)).rows as R[],
        run: async (sql: string, params: readonly unknown[] = []) => (await this.execute(client, sql, params)).rowCount ?? 0,
      });
      await this.execute(client, 'COMMIT');
      return result;
    } catch (error) {
      if (isUnavailable(error)) broken = true;
      if (!broken) await this.execute(client, 'ROLLBACK').catch(onError);
      throw error;
    } finally {
      client.removeListener('error', onError);
      // A connection that failed mid-transaction is discarded rather than returned to the pool.
      client.release(broken);
    }
  }

  /** Without parameters (BEGIN, COMMIT, ROLLBACK) a statement goes unprepared, by the simple protocol. */
  private async execute(target: Pool | PoolClient, sql: string, params?: readonly unknown[]): Promise<QueryResult> {
    try {
      if (params === undefined) return await target.query(sql);
      return await target.query({ ...this.statement(sql), values: params.map(bind), types: INT8_AS_NUMBER });
    } catch (error) {
      throw unavailableOr(error);
    }
  }

  /**
   * `?` placeholders become `$n`, and each distinct text gets a name so it is parsed once per
   * connection. Texts built from variable-length lists could grow that set without end, so
   * past a bound further texts run unnamed.
   */
  private statement(sql: string): { name?: string; text: string } {
    const known = this.statements.get(sql);
    if (known) return known;
    let index = 0;
    const text = sql.replace(/\?/g, () => `$${++index}`);
    if (this.statements.size >= MAX_NAMED_STATEMENTS) return { text };
    const statement = { name: `hookflow_${this.statements.size + 1}`, text };
    this.statements.set(sql, statement);
    return statement;
  }
}

const MAX_NAMED_STATEMENTS = 200;
const INT8_OID = 20;
const INT8_AS_NUMBER: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};

function unavailableOr(error: unknown): unknown {
  return isUnavailable(error) && !(error instanceof DatabaseUnavailableError) ? new DatabaseUnavailableError(error) : error;
}
