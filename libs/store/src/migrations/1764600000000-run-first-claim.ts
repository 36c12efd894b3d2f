import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `runs.first_claim`: set by every claim to whether it was the run's first (the run had never
 * been started). A run claimed for the first time has nothing recorded, so its execution need
 * not read back steps and attempts. Rows from before this migration get it at their next claim,
 * computed from `started_at`, which every claim has always set; processes of the previous
 * version leave it alone, so a rolling upgrade on PostgreSQL needs no backfill.
 */
export class RunFirstClaim1764600000000 implements MigrationInterface {
  name = 'RunFirstClaim1764600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE runs ADD COLUMN first_claim SMALLINT`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE runs DROP COLUMN first_claim`);
  }
}
