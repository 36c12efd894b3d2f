/**
 * An operator's actions on runs. Each is one conditional UPDATE, so it is safe against a
 * worker changing the run at the same moment: the state it checks is the state it changes.
 */
import { v7 as uuidv7 } from 'uuid';
import type { Database, Row } from './database.js';
import type { RunStatus } from './entities/run.entity.js';
import { notifyRunsQueued } from './run-notify.js';
import { TRIGGER_DELIVERY_MISSING, withDeliveryTriggers } from './run-trigger.js';
import { cancelledByOperator, closeCancelledSteps } from './run.repository.js';

export type ControlResult<T = object> =
  | { ok: true; value: T }
  | { ok: false; reason: 'not-found' }
  | { ok: false; reason: 'conflict'; status: RunStatus }
  | { ok: false; reason: 'unreadable-trigger'; detail: string };

export class RunControlRepository {
  constructor(private readonly db: Database) {}

  /** Resumes a failed run from its failed step; finished steps keep their outputs. */
  async retry(runId: string, now: number): Promise<ControlResult<{ attempt: number }>> {
    const rows = await this.db.transaction(async (tx) => {
      const updated = await tx.all<{ attempt: number }>(
        `UPDATE runs SET status = 'queued', attempt = attempt + 1, run_at = ?, error = NULL, finished_at = NULL,
           lease_owner = NULL, cancel_requested = 0, updated_at = ?
         WHERE id = ? AND status = 'failed' RETURNING attempt`,
        [now, now, runId],
      );
      if (updated.length > 0) await notifyRunsQueued(this.db, tx);
      return updated;
    });
    if (rows[0]) return { ok: true, value: { attempt: Number(rows[0].attempt) } };
    return this.explain(runId);
  }

  /**
   * Cancels a queued or waiting run at once (a step waiting for its retry is closed as failed, and
   * the run's error names it); a running one stops when its worker next writes (see RunExecutor).
   */
  async cancel(runId: string, now: number): Promise<ControlResult<{ status: 'cancelled'; workflowId: string } | { status: 'running' }>> {
    // A run can move between `running` and `waiting` between the two UPDATEs: each is tried twice.
    for (let tries = 0; tries < 2; tries++) {
      const cancelled = await this.db.transaction(async (tx) => {
        const [run] = await tx.all<{ workflow_id: string }>(
          `UPDATE runs SET status = 'cancelled', error = ?, finished_at = ?, lease_owner = NULL, updated_at = ?
           WHERE id = ? AND status IN ('queued', 'waiting') RETURNING workflow_id`,
          [JSON.stringify(cancelledByOperator()), now, now, runId],
        );
        if (!run) return undefined;
        const [stepId] = await closeCancelledSteps(tx, runId, now);
        if (stepId !== undefined)
          await tx.run(`UPDATE runs SET error = ? WHERE id = ?`, [JSON.stringify(cancelledByOperator(stepId)), runId]);
        return run;
      });
      if (cancelled) return { ok: true, value: { status: 'cancelled', workflowId: cancelled.workflow_id } };
      const requested = await this.db.run(`UPDATE runs SET cancel_requested = 1, updated_at = ? WHERE id = ? AND status = 'running'`, [
        now,
        runId,
      ]);
      if (requested === 1) return { ok: true, value: { status: 'running' } };
    }
    return this.explain(runId);
  }

  /**
   * A new run of the same trigger, on the given version (normally the one serving now). The trigger
   * is copied as the original run reads it; a trigger that is not valid JSON (a row edited by hand,
   * a damaged file) or whose delivery is gone is refused, as the new run could only fail with
   * TRIGGER_UNREADABLE.
   */
  async replay(
    runId: string,
    version: (workflowId: string, original: string) => string,
    now: number,
  ): Promise<ControlResult<{ runId: string }>> {
    const [run] = await withDeliveryTriggers(
      this.db,
      await this.db.all<{ workflow_id: string; workflow_version: string; delivery_id: string | null; trigger: string }>(
        `SELECT workflow_id, workflow_version, delivery_id, trigger FROM runs WHERE id = ?`,
        [runId],
      ),
    );
    if (!run) return { ok: false, reason: 'not-found' };
    const missing = (run as Row)[TRIGGER_DELIVERY_MISSING];
    if (missing !== undefined) return { ok: false, reason: 'unreadable-trigger', detail: String(missing) };
    try {
      JSON.parse(run.trigger);
    } catch (error) {
      return { ok: false, reason: 'unreadable-trigger', detail: (error as Error).message };
    }
    const id = uuidv7();
    // The trigger is written in full (a copy, not read from the delivery again: run-trigger.ts).
    const copied = await this.db.transaction(async (tx) => {
      const inserted = await tx.run(
        `INSERT INTO runs (id, workflow_id, workflow_version, delivery_id, trigger_type, trigger, status, attempt, run_at, created_at, updated_at)
         SELECT ?, workflow_id, ?, delivery_id, trigger_type, ?, 'queued', 1, ?, ?, ? FROM runs WHERE id = ?`,
        [id, version(run.workflow_id, run.workflow_version), run.trigger, now, now, now, runId],
      );
      if (inserted > 0) await notifyRunsQueued(this.db, tx);
      return inserted > 0;
    });
    // Removed (retention) between the two statements.
    if (!copied) return { ok: false, reason: 'not-found' };
    return { ok: true, value: { runId: id } };
  }

  private async explain(runId: string): Promise<{ ok: false; reason: 'not-found' } | { ok: false; reason: 'conflict'; status: RunStatus }> {
    const [row] = await this.db.all<{ status: RunStatus }>(`SELECT status FROM runs WHERE id = ?`, [runId]);
    return row ? { ok: false, reason: 'conflict', status: row.status } : { ok: false, reason: 'not-found' };
  }
}
