/**
 * The queue is the runs table itself. A claim moves due runs to `running` under this worker's
 * lease, with `run_at` set to the lease's expiry: a worker that dies leaves runs that become
 * due again when their lease ends, and a live worker's heartbeat pushes that time forward.
 */
import { RELAXED, type Database } from './database.js';
import { EXECUTION_RUN_COLUMNS, executionRun, type ExecutionRun } from './run.repository.js';
import { withDeliveryTriggers } from './run-trigger.js';

export class RunQueueRepository {
  constructor(private readonly db: Database) {}

  /**
   * Answers the claimed runs as a worker executes them (the RETURNING saves reading each one
   * again), each with whether this claim is its first: `SET` reads the row as it was, so
   * `started_at IS NULL` there means no worker ever started the run.
   */
  async claim(owner: string, limit: number, now: number, leaseMs: number): Promise<ExecutionRun[]> {
    const lock = this.db.dialect === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : '';
    // A lost claim (power loss) only means the run is claimed again: relaxed sync is enough.
    const rows = await this.db.batched(
      (tx) =>
        tx.all(
          `UPDATE runs SET status = 'running', lease_owner = ?, run_at = ?, started_at = COALESCE(started_at, ?), updated_at = ?,
         first_claim = CASE WHEN started_at IS NULL THEN 1 ELSE 0 END
       WHERE id IN (
         SELECT id FROM runs WHERE status IN ('queued', 'waiting', 'running') AND run_at <= ?
         ORDER BY run_at LIMIT ? ${lock}
       )
       RETURNING ${EXECUTION_RUN_COLUMNS}, first_claim`,
          [owner, now + leaseMs, now, now, now, limit],
        ),
      RELAXED,
    );
    return (await withDeliveryTriggers(this.db, rows)).map(executionRun);
  }

  /**
   * Extends the leases of the runs this worker holds — only `runIds` when given: a run the
   * worker stopped executing (storage failed mid-run) must not be kept leased by the beats of
   * its other runs, or no one would take it over while this worker stays busy.
   */
  async heartbeat(owner: string, now: number, leaseMs: number, runIds?: readonly string[]): Promise<number> {
    if (runIds && runIds.length === 0) return 0;
    const only = runIds ? ` AND id IN (${runIds.map(() => '?').join(', ')})` : '';
    return this.db.batched(
      (tx) =>
        tx.run(`UPDATE runs SET run_at = ? WHERE lease_owner = ? AND status = 'running'${only}`, [now + leaseMs, owner, ...(runIds ?? [])]),
      RELAXED,
    );
  }

  /** When the next run becomes due (queued, a retry, or an expiring lease), if any. */
  async nextDueAt(): Promise<number | undefined> {
    const [row] = await this.db.all<{ due: number | string | null }>(
      `SELECT MIN(run_at) AS due FROM runs WHERE status IN ('queued', 'waiting', 'running')`,
    );
    return row?.due === null || row?.due === undefined ? undefined : Number(row.due);
  }

  /**
   * Hands this worker's runs back to the queue, e.g. at shutdown; finished steps stay recorded.
   * They are due at `runAt` (now by default).
   */
  async release(owner: string, now: number, runIds?: readonly string[], runAt = now): Promise<number> {
    if (runIds && runIds.length === 0) return 0;
    const only = runIds ? ` AND id IN (${runIds.map(() => '?').join(', ')})` : '';
    return this.db.run(
      `UPDATE runs SET status = 'queued', lease_owner = NULL, run_at = ?, updated_at = ? WHERE lease_owner = ? AND status = 'running'${only}`,
      [runAt, now, owner, ...(runIds ?? [])],
    );
  }

  /**
   * With one process on SQLite no other worker can hold a lease, so at start every `running`
   * run is an orphan of the previous process (or of a runner thread that died) and is due now
   * rather than when its lease ends; `except`: a live worker of this process, whose leases stay.
   */
  async expireAllLeases(now: number, except?: string): Promise<number> {
    return this.db.run(`UPDATE runs SET run_at = ? WHERE status = 'running' AND run_at > ? AND (lease_owner IS NULL OR lease_owner <> ?)`, [
      now,
      now,
      except ?? '',
    ]);
  }
}
