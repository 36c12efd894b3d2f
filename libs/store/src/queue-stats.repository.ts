/**
 * What the queue looks like right now, for `/metrics`: one count over the `runs_due`
 * index (status, run_at) per scrape.
 */
import type { Database } from './database.js';

export interface QueueStats {
  /** Runs queued or waiting for a retry. */
  depth: number;
  /** `run_at` of the oldest of those that is due (may be claimed now), if any. */
  oldestDueAt: number | undefined;
}

export class QueueStatsRepository {
  constructor(private readonly db: Database) {}

  async stats(now: number): Promise<QueueStats> {
    const [row] = await this.db.all<{ depth: number | string; oldest: number | string | null }>(
      `SELECT COUNT(*) AS depth, MIN(CASE WHEN run_at <= ? THEN run_at END) AS oldest FROM runs WHERE status IN ('queued', 'waiting')`,
      [now],
    );
    return {
      depth: Number(row?.depth ?? 0),
      oldestDueAt: row?.oldest === null || row?.oldest === undefined ? undefined : Number(row.oldest),
    };
  }
}
