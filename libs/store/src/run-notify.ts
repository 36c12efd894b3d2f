/**
 * Cross-process wake-up on PostgreSQL: whatever queues a run calls `notifyRunsQueued` inside
 * the transaction that queues it, so the notification goes out on commit (and never for a
 * rollback); PostgresListener in every process turns it into a RunSignal.
 */
import type { Database, Sql } from './database.js';

export const RUNS_CHANNEL = 'hookflow_runs';

export async function notifyRunsQueued(db: Database, tx: Sql): Promise<void> {
  if (db.dialect === 'postgres') await tx.run(`SELECT pg_notify('${RUNS_CHANNEL}', '')`);
}
