import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The unique (workflow, idempotency key) index covers only the deliveries that have a key. Most
 * have none, and each of them cost an index entry that no lookup ever used.
 */
export class IdempotencyIndexPartial1764500000000 implements MigrationInterface {
  name = 'IdempotencyIndexPartial1764500000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX deliveries_idempotency`);
    await runner.query(
      `CREATE UNIQUE INDEX deliveries_idempotency ON deliveries (workflow_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX deliveries_idempotency`);
    await runner.query(`CREATE UNIQUE INDEX deliveries_idempotency ON deliveries (workflow_id, idempotency_key)`);
  }
}
