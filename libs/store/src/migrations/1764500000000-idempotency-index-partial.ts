import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The unique (workflow, idempotency key) index covers only the deliveries that have a key. Most
 * have none, and each of them cost an index entry that no lookup ever used.
 *
 * SQLite: replaced at once (one process uses the file, so no older process can be running).
 * PostgreSQL: left as it is for now. Processes of the previous version may still be running
 * during a rolling upgrade, and their `ON CONFLICT (workflow_id, idempotency_key)` needs a
 * non-partial unique index; this version's statement (with `WHERE idempotency_key IS NOT NULL`)
 * works with either. A later release replaces the index on PostgreSQL too (docs/scaling.md:
 * add, backfill, and drop only in a later release).
 */
export class IdempotencyIndexPartial1764500000000 implements MigrationInterface {
  name = 'IdempotencyIndexPartial1764500000000';

  async up(runner: QueryRunner): Promise<void> {
    if (runner.connection.options.type === 'postgres') return;
    await runner.query(`DROP INDEX deliveries_idempotency`);
    await runner.query(
      `CREATE UNIQUE INDEX deliveries_idempotency ON deliveries (workflow_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    if (runner.connection.options.type === 'postgres') return;
    await runner.query(`DROP INDEX deliveries_idempotency`);
    await runner.query(`CREATE UNIQUE INDEX deliveries_idempotency ON deliveries (workflow_id, idempotency_key)`);
  }
}
