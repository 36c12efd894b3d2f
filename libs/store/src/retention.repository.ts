/**
 * Purges finished runs (with their steps and attempts), deliveries and cron ticks older than
 * a cutoff, in small batches: each batch is one short transaction, so intake never waits long.
 */
import type { Database } from './database.js';

export const RETENTION_BATCH = 500;

export class RetentionRepository {
  constructor(private readonly db: Database) {}

  /** Deletes one batch of old finished runs; answers how many. */
  async purgeRuns(cutoff: number, batch = RETENTION_BATCH): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.all<{ id: string }>(
        `SELECT id FROM runs WHERE status IN ('succeeded', 'failed', 'cancelled') AND finished_at < ? ORDER BY finished_at LIMIT ?`,
        [cutoff, batch],
      );
      if (rows.length === 0) return 0;
      const ids = rows.map((row) => row.id);
      const list = ids.map(() => '?').join(', ');
      await tx.run(`DELETE FROM step_attempts WHERE run_id IN (${list})`, ids);
      await tx.run(`DELETE FROM run_steps WHERE run_id IN (${list})`, ids);
      await tx.run(`DELETE FROM runs WHERE id IN (${list})`, ids);
      return ids.length;
    });
  }

  /** Deletes one batch of old deliveries whose run is gone (purged) or that never had one. */
  async purgeDeliveries(cutoff: number, batch = RETENTION_BATCH): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.all<{ id: string }>(
        `SELECT d.id FROM deliveries d LEFT JOIN runs r ON r.id = d.run_id
         WHERE d.received_at < ? AND r.id IS NULL ORDER BY d.received_at LIMIT ?`,
        [cutoff, batch],
      );
      if (rows.length === 0) return 0;
      const ids = rows.map((row) => row.id);
      await tx.run(`DELETE FROM deliveries WHERE id IN (${ids.map(() => '?').join(', ')})`, ids);
      return ids.length;
    });
  }

  async purgeCronTicks(cutoff: number): Promise<number> {
    return this.db.run(`DELETE FROM cron_ticks WHERE due_at < ?`, [cutoff]);
  }
}
