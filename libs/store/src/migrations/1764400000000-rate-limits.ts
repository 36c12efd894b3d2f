import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The table RateLimiterPostgres (rate-limiter-flexible) keeps its counters in, so web
 * processes on one PostgreSQL database share each hook's rate limit. Its columns are the ones
 * the library would create itself; created here so several processes starting at once never
 * race to create it. Unused on SQLite (one process, counters in memory), but kept there too so
 * both schemas stay the same.
 */
export class RateLimits1764400000000 implements MigrationInterface {
  name = 'RateLimits1764400000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE hookflow_rate_limits (
      key varchar(255) PRIMARY KEY,
      points integer NOT NULL DEFAULT 0,
      expire bigint
    )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE hookflow_rate_limits`);
  }
}
