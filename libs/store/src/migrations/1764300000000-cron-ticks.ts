import type { MigrationInterface, QueryRunner } from 'typeorm';

/** One row per cron tick that started a run: the unique key makes a tick fire once across processes. */
export class CronTicks1764300000000 implements MigrationInterface {
  name = 'CronTicks1764300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE cron_ticks (
      workflow_id varchar(100) NOT NULL,
      due_at bigint NOT NULL,
      run_id varchar(36) NOT NULL,
      PRIMARY KEY (workflow_id, due_at)
    )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE cron_ticks`);
  }
}
