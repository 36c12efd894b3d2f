/**
 * Starts the run of a cron tick. Every process with a schedule fires the same tick; the
 * primary key on (workflow, due time) lets exactly one of them start the run.
 */
import type { Database } from './database.js';
import { INSERT_RUN, runParams, type NewRun } from './delivery.repository.js';
import { notifyRunsQueued } from './run-notify.js';

export class CronRepository {
  constructor(private readonly db: Database) {}

  /** Queues the tick's run unless another process already did; answers whether this one did. */
  async fire(run: NewRun, dueAt: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const claimed = await tx.run(
        `INSERT INTO cron_ticks (workflow_id, due_at, run_id) VALUES (?, ?, ?) ON CONFLICT (workflow_id, due_at) DO NOTHING`,
        [run.workflowId, dueAt, run.id],
      );
      if (claimed === 0) return false;
      await tx.run(INSERT_RUN, runParams(run));
      await notifyRunsQueued(this.db, tx);
      return true;
    });
  }
}
