/**
 * What a worker writes while executing a run. Every write first checks, in the same
 * transaction, that this worker still holds the run's lease: a worker that lost its lease
 * (it stalled past the expiry and another took over) records nothing, so each step's
 * outcome is recorded exactly once.
 */
import { RELAXED, type Database, type Row, type Sql } from './database.js';
import type { RunStatus } from './entities/run.entity.js';
import type { StepStatus } from './entities/run-step.entity.js';
import type { AttemptStatus } from './entities/step-attempt.entity.js';
import { TRIGGER_DELIVERY_MISSING } from './run-trigger.js';

export interface ErrorInfo {
  code: string;
  message: string;
  stepId?: string;
}

export interface ExecutionRun {
  id: string;
  workflowId: string;
  workflowVersion: string;
  deliveryId: string | null;
  triggerType: 'webhook' | 'cron';
  trigger: Record<string, unknown>;
  /**
   * Set when the stored trigger is not valid JSON (a row edited by hand, a damaged file); `trigger`
   * is then empty. The run must fail alone rather than fail the claim of the runs claimed with it.
   */
  unreadableTrigger?: string;
  status: RunStatus;
  attempt: number;
  cancelRequested: boolean;
  /**
   * Set on a run as a claim answers it: whether that claim was the run's first. No worker has
   * started the run before, so nothing of it is recorded yet.
   */
  firstClaim?: boolean;
}

export interface ExecutionStep {
  stepId: string;
  status: StepStatus;
  output: unknown;
  attempts: number;
}

export interface ExecutionAttempt {
  id: string;
  stepId: string;
  number: number;
  runAttempt: number;
  status: AttemptStatus;
}

export interface Execution {
  run: ExecutionRun;
  steps: ExecutionStep[];
  attempts: ExecutionAttempt[];
  /**
   * Set when a recorded step's output is not valid JSON (a row edited by hand, a damaged file):
   * the run cannot resume from it, and must fail rather than be retried forever.
   */
  unreadableOutput?: { stepId: string; reason: string };
}

export type RunTransition =
  { status: 'succeeded' } | { status: 'failed' | 'cancelled'; error: ErrorInfo } | { status: 'waiting'; runAt: number; error: ErrorInfo };

export interface AttemptEnd {
  attemptId: string;
  status: 'succeeded' | 'failed';
  httpStatus?: number;
  error?: ErrorInfo;
  startedAt: number;
  /**
   * Set when the attempt's start was not recorded (a step with no effect outside the run, such as
   * a transform, needs no record before it runs): the attempt is recorded whole, here.
   */
  unrecorded?: { number: number; runAttempt: number };
}

/**
 * A step's outcome, as written. A step with no effect outside the run (a transform, say) may have
 * its record held back and written in the run's next transaction: a crash before then only means
 * the step is computed again.
 */
export interface StepRecord {
  step: StepEnd;
  attempt?: AttemptEnd;
  /** When the step ended (its record may be written later). */
  finishedAt: number;
}

export interface StepEnd {
  stepId: string;
  position: number;
  status: StepStatus;
  output?: unknown;
  error?: ErrorInfo;
}

/** Raised when the lease was lost or the run was cancelled: the worker stops this run. */
export class LeaseLostError extends Error {
  constructor(readonly runId: string) {
    super(`run ${runId} is no longer leased by this worker`);
    this.name = 'LeaseLostError';
  }
}

/** The error of an attempt a crash (or a cancel after one) cut short. */
const INTERRUPTED_ERROR = JSON.stringify({ code: 'INTERRUPTED', message: 'the worker stopped before this attempt finished' });

/** The columns of `runs` an ExecutionRun is made of (for a SELECT or a RETURNING). */
export const EXECUTION_RUN_COLUMNS =
  'id, workflow_id, workflow_version, delivery_id, trigger_type, trigger, status, attempt, cancel_requested';

/** A row of EXECUTION_RUN_COLUMNS as a worker executes it; a trigger read from its delivery must have been filled in (withDeliveryTriggers). */
export function executionRun(row: Row): ExecutionRun {
  const run: ExecutionRun = {
    id: String(row.id),
    workflowId: String(row.workflow_id),
    workflowVersion: String(row.workflow_version),
    deliveryId: (row.delivery_id as string | null) ?? null,
    triggerType: row.trigger_type as 'webhook' | 'cron',
    trigger: {},
    status: row.status as RunStatus,
    attempt: Number(row.attempt),
    cancelRequested: Number(row.cancel_requested) === 1,
  };
  if (row.first_claim !== undefined) run.firstClaim = Number(row.first_claim) === 1;
  if (row[TRIGGER_DELIVERY_MISSING] !== undefined) {
    run.unreadableTrigger = String(row[TRIGGER_DELIVERY_MISSING]);
    return run;
  }
  try {
    run.trigger = JSON.parse(String(row.trigger)) as Record<string, unknown>;
  } catch (error) {
    run.unreadableTrigger = (error as Error).message;
  }
  return run;
}

export class RunRepository {
  constructor(private readonly db: Database) {}

  /**
   * The run with what its earlier executions recorded: its steps and their attempts. A run
   * claimed for the first time has none, and nothing is read.
   */
  async loadRecorded(run: ExecutionRun): Promise<Execution> {
    if (run.firstClaim) return { run, steps: [], attempts: [] };
    const steps = await this.db.all(`SELECT step_id, status, output, attempts FROM run_steps WHERE run_id = ?`, [run.id]);
    const attempts = await this.db.all(
      `SELECT id, step_id, number, run_attempt, status FROM step_attempts WHERE run_id = ? ORDER BY number`,
      [run.id],
    );
    const execution: Execution = {
      run,
      steps: steps.map((step) => ({
        stepId: String(step.step_id),
        status: step.status as StepStatus,
        output: undefined,
        attempts: Number(step.attempts),
      })),
      attempts: attempts.map((attempt) => ({
        id: String(attempt.id),
        stepId: String(attempt.step_id),
        number: Number(attempt.number),
        runAttempt: Number(attempt.run_attempt),
        status: attempt.status as AttemptStatus,
      })),
    };
    for (const [index, step] of steps.entries()) {
      if (step.output === null) continue;
      try {
        execution.steps[index]!.output = JSON.parse(String(step.output)) as unknown;
      } catch (error) {
        execution.unreadableOutput ??= { stepId: String(step.step_id), reason: (error as Error).message };
      }
    }
    return execution;
  }

  /**
   * Records that an attempt starts, after writing `finished`: the records of the steps before it
   * that were held back (see StepRecord). `interruptsEarlier`: an earlier attempt of the step is
   * recorded as running (a crash cut it short), and is now marked interrupted. When an operator
   * has asked to cancel the run, nothing is written and the answer says so: the attempt must not start.
   */
  async beginAttempt(
    owner: string,
    runId: string,
    step: { stepId: string; position: number },
    attempt: { id: string; number: number; runAttempt: number; interruptsEarlier?: boolean },
    now: number,
    finished: readonly StepRecord[] = [],
  ): Promise<{ cancelRequested: boolean }> {
    return this.db.batched(async (tx) => {
      if (await this.holdLease(tx, owner, runId, now)) return { cancelRequested: true };
      for (const record of finished) await this.writeStep(tx, runId, record);
      if (attempt.interruptsEarlier) {
        await tx.run(
          `UPDATE step_attempts SET status = 'interrupted', finished_at = ?, duration_ms = ? - started_at,
             error = ? WHERE run_id = ? AND step_id = ? AND status = 'running'`,
          [now, now, INTERRUPTED_ERROR, runId, step.stepId],
        );
      }
      await tx.run(
        `INSERT INTO run_steps (run_id, step_id, position, status, attempts, started_at) VALUES (?, ?, ?, 'running', 1, ?)
         ON CONFLICT (run_id, step_id) DO UPDATE SET status = 'running', attempts = run_steps.attempts + 1, error = NULL`,
        [runId, step.stepId, step.position, now],
      );
      await tx.run(
        `INSERT INTO step_attempts (id, run_id, step_id, number, run_attempt, status, started_at) VALUES (?, ?, ?, ?, ?, 'running', ?)`,
        [attempt.id, runId, step.stepId, attempt.number, attempt.runAttempt, now],
      );
      return { cancelRequested: false };
    }, RELAXED);
  }

  /**
   * Records steps' outcomes (and their attempts'), in order, and the run's next state, in one
   * transaction. The answer:
   * - `cancelRequested` (no `run` given: the run goes on): an operator has asked to cancel it, so
   *   its next step must not start;
   * - `cancelledInsteadOfWaiting`: the run was to wait for a retry, but an operator asked to cancel
   *   it while the step ran, so it is cancelled now rather than after the retry delay, and its step
   *   is closed as failed (closeCancelledSteps).
   */
  async finishSteps(
    owner: string,
    runId: string,
    records: readonly StepRecord[],
    run: RunTransition | undefined,
    now: number,
  ): Promise<{ cancelRequested: boolean; cancelledInsteadOfWaiting: boolean }> {
    return this.db.batched(async (tx) => {
      // The run's row comes first in every transaction of a run (the lease check), so that on
      // PostgreSQL two workers never lock a run's rows in opposite orders.
      const cancelled = run ? (await this.transition(tx, owner, runId, run, now)) === 'cancelled' : false;
      const cancelRequested = run ? false : await this.holdLease(tx, owner, runId, now);
      for (const record of records) await this.writeStep(tx, runId, record);
      if (cancelled) await closeCancelledSteps(tx, runId, now);
      return { cancelRequested, cancelledInsteadOfWaiting: cancelled && run?.status === 'waiting' };
    }, RELAXED);
  }

  /** Ends a run without a step of its own (all steps done, or cancelled between steps), after writing `finished`. */
  async finishRun(owner: string, runId: string, run: RunTransition, now: number, finished: readonly StepRecord[] = []): Promise<void> {
    await this.finishSteps(owner, runId, finished, run, now);
  }

  private async writeStep(tx: Sql, runId: string, { step, attempt, finishedAt }: StepRecord): Promise<void> {
    if (attempt?.unrecorded) {
      await tx.run(
        `INSERT INTO step_attempts (id, run_id, step_id, number, run_attempt, status, http_status, error, started_at, finished_at, duration_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          attempt.attemptId,
          runId,
          step.stepId,
          attempt.unrecorded.number,
          attempt.unrecorded.runAttempt,
          attempt.status,
          attempt.httpStatus ?? null,
          json(attempt.error),
          attempt.startedAt,
          finishedAt,
          finishedAt - attempt.startedAt,
        ],
      );
    } else if (attempt) {
      await tx.run(`UPDATE step_attempts SET status = ?, http_status = ?, error = ?, finished_at = ?, duration_ms = ? WHERE id = ?`, [
        attempt.status,
        attempt.httpStatus ?? null,
        json(attempt.error),
        finishedAt,
        finishedAt - attempt.startedAt,
        attempt.attemptId,
      ]);
    }
    const finished = step.status === 'waiting' ? null : finishedAt;
    const counted = attempt?.unrecorded ? 1 : 0;
    await tx.run(
      `INSERT INTO run_steps (run_id, step_id, position, status, output, error, attempts, started_at, finished_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, step_id) DO UPDATE SET status = excluded.status, output = excluded.output,
         error = excluded.error, finished_at = excluded.finished_at, attempts = run_steps.attempts + excluded.attempts`,
      [
        runId,
        step.stepId,
        step.position,
        step.status,
        json(step.output),
        json(step.error),
        counted,
        attempt?.startedAt ?? finishedAt,
        finished,
      ],
    );
  }

  /** Checks that this worker still holds the lease; answers whether an operator asked to cancel the run. */
  private async holdLease(tx: Sql, owner: string, runId: string, now: number): Promise<boolean> {
    const [held] = await tx.all<{ cancel_requested: number }>(
      `UPDATE runs SET updated_at = ? WHERE id = ? AND lease_owner = ? AND status = 'running' RETURNING cancel_requested`,
      [now, runId, owner],
    );
    if (!held) throw new LeaseLostError(runId);
    return Number(held.cancel_requested) === 1;
  }

  /**
   * Moves the run out of `running` and frees its lease, if this worker still holds it; answers the
   * status it moved to. A wait for a retry becomes a cancel when an operator asked for one meanwhile.
   */
  private async transition(tx: Sql, owner: string, runId: string, run: RunTransition, now: number): Promise<RunStatus> {
    if (run.status === 'waiting') {
      const [moved] = await tx.all<{ status: RunStatus }>(
        `UPDATE runs SET status = CASE WHEN cancel_requested = 1 THEN 'cancelled' ELSE 'waiting' END, run_at = ?, lease_owner = NULL,
           error = CASE WHEN cancel_requested = 1 THEN ? ELSE ? END,
           finished_at = CASE WHEN cancel_requested = 1 THEN ? ELSE finished_at END, updated_at = ?
         WHERE id = ? AND lease_owner = ? AND status = 'running' RETURNING status`,
        [run.runAt, json(cancelledByOperator(run.error.stepId)), json(run.error), now, now, runId, owner],
      );
      if (!moved) throw new LeaseLostError(runId);
      return moved.status;
    }
    const changed = await tx.run(
      `UPDATE runs SET status = ?, error = ?, finished_at = ?, lease_owner = NULL, updated_at = ?
       WHERE id = ? AND lease_owner = ? AND status = 'running'`,
      [run.status, run.status === 'succeeded' ? null : json(run.error), now, now, runId, owner],
    );
    if (changed === 0) throw new LeaseLostError(runId);
    return run.status;
  }
}

/**
 * Closes what a cancelled run left open, in the transaction that cancels it: a step waiting for a
 * retry, or cut short by a crash, will not go on, so it failed; an attempt still recorded as
 * running was interrupted. Answers the steps closed.
 */
export async function closeCancelledSteps(tx: Sql, runId: string, now: number): Promise<string[]> {
  await tx.run(
    `UPDATE step_attempts SET status = 'interrupted', finished_at = ?, duration_ms = ? - started_at, error = ?
     WHERE run_id = ? AND status = 'running'`,
    [now, now, INTERRUPTED_ERROR, runId],
  );
  const closed = await tx.all<{ step_id: string }>(
    `UPDATE run_steps SET status = 'failed', finished_at = ? WHERE run_id = ? AND status IN ('waiting', 'running') RETURNING step_id`,
    [now, runId],
  );
  return closed.map((step) => step.step_id);
}

/** The run's error when an operator cancelled it; `stepId`: the step it stopped at. */
export function cancelledByOperator(stepId?: string): ErrorInfo {
  return { code: 'CANCELLED', message: 'cancelled by an operator', ...(stepId === undefined ? {} : { stepId }) };
}

function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
