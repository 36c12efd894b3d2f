/**
 * Intake's writes: a delivery and its queued run committed in one short transaction before
 * the 202, with duplicates found race-safely by the unique (workflow, idempotency key) index
 * (partial: only deliveries with a key have an entry).
 */
import type { Database, Sql } from './database.js';
import type { DeliveryOutcome } from './entities/delivery.entity.js';
import { notifyRunsQueued } from './run-notify.js';
import { TRIGGER_FROM_DELIVERY, triggerJson } from './run-trigger.js';

export interface NewDelivery {
  id: string;
  workflowId: string;
  receivedAt: number;
  method: string;
  path: string;
  query: Record<string, unknown>;
  /** A string is the headers already written as JSON. */
  headers: Record<string, string> | string;
  body: string | null;
  bodyTruncated: boolean;
  ip: string;
  status: number;
  outcome: DeliveryOutcome;
  reason: string | null;
  message: string | null;
  runId: string | null;
  idempotencyKey: string | null;
}

export interface NewRun {
  id: string;
  workflowId: string;
  workflowVersion: string;
  deliveryId: string | null;
  triggerType: 'webhook' | 'cron';
  /**
   * A string is the trigger already written as JSON; TRIGGER_FROM_DELIVERY (for `accept`): the
   * trigger is the delivery's record, whose body is JSON (see run-trigger.ts).
   */
  trigger: Record<string, unknown> | string;
  createdAt: number;
}

export type AcceptResult = { duplicate: false; runId: string } | { duplicate: true; runId: string | null };

const INSERT_DELIVERY = `INSERT INTO deliveries (id, workflow_id, received_at, method, path, query, headers, body, body_truncated,
  ip, status, outcome, reason, message, run_id, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export const INSERT_RUN = `INSERT INTO runs (id, workflow_id, workflow_version, delivery_id, trigger_type, trigger, status, attempt,
  run_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', 1, ?, ?, ?)`;

export class DeliveryRepository {
  constructor(private readonly db: Database) {}

  /** Records a delivery that starts no run (rejected or filtered). */
  async record(delivery: NewDelivery): Promise<void> {
    await this.db.batched((tx) => tx.run(INSERT_DELIVERY, deliveryParams(delivery)));
  }

  /**
   * Commits the delivery and its queued run; when an earlier delivery of the workflow had the
   * same idempotency key, records this one (answered 200) as a duplicate of it instead and
   * starts nothing.
   */
  async accept(delivery: NewDelivery, run: NewRun): Promise<AcceptResult> {
    return this.db.batched(async (tx) => {
      if (delivery.idempotencyKey !== null) {
        const inserted = await tx.run(
          `${INSERT_DELIVERY} ON CONFLICT (workflow_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`,
          deliveryParams(delivery),
        );
        if (inserted === 0) return this.recordDuplicate(tx, delivery);
      } else {
        await tx.run(INSERT_DELIVERY, deliveryParams(delivery));
      }
      await tx.run(INSERT_RUN, runParams(this.stored(run, delivery)));
      await notifyRunsQueued(this.db, tx);
      return { duplicate: false, runId: run.id };
    });
  }

  /** On PostgreSQL a trigger read from the delivery is written in full (run-trigger.ts). */
  private stored(run: NewRun, delivery: NewDelivery): NewRun {
    if (run.trigger !== TRIGGER_FROM_DELIVERY || this.db.dialect === 'sqlite') return run;
    return { ...run, trigger: deliveryTrigger(delivery) };
  }

  private async recordDuplicate(tx: Sql, delivery: NewDelivery): Promise<AcceptResult> {
    const [first] = await tx.all<{ run_id: string | null }>(`SELECT run_id FROM deliveries WHERE workflow_id = ? AND idempotency_key = ?`, [
      delivery.workflowId,
      delivery.idempotencyKey,
    ]);
    const runId = first?.run_id ?? null;
    const duplicate: NewDelivery = {
      ...delivery,
      status: 200,
      outcome: 'duplicate',
      reason: null,
      message: null,
      runId,
      idempotencyKey: null,
    };
    await tx.run(INSERT_DELIVERY, deliveryParams(duplicate));
    return { duplicate: true, runId };
  }
}

/**
 * A webhook run's trigger as JSON, from its delivery's record (run-trigger.ts); `bodyJson`: the
 * body as the steps see it, when that is not the record's body as it came (a parsed XML or form body).
 */
export function deliveryTrigger(delivery: NewDelivery, bodyJson = delivery.body ?? 'null'): string {
  return triggerJson({
    deliveryId: delivery.id,
    body: bodyJson,
    headers: typeof delivery.headers === 'string' ? delivery.headers : JSON.stringify(delivery.headers),
    query: JSON.stringify(delivery.query),
    method: delivery.method,
    path: delivery.path,
    ip: delivery.ip,
    receivedAt: delivery.receivedAt,
  });
}

function deliveryParams(d: NewDelivery): unknown[] {
  return [
    d.id,
    d.workflowId,
    d.receivedAt,
    d.method,
    d.path,
    JSON.stringify(d.query),
    typeof d.headers === 'string' ? d.headers : JSON.stringify(d.headers),
    d.body,
    d.bodyTruncated ? 1 : 0,
    d.ip,
    d.status,
    d.outcome,
    d.reason,
    d.message,
    d.runId,
    d.idempotencyKey,
  ];
}

export function runParams(run: NewRun): unknown[] {
  return [
    run.id,
    run.workflowId,
    run.workflowVersion,
    run.deliveryId,
    run.triggerType,
    typeof run.trigger === 'string' ? run.trigger : JSON.stringify(run.trigger),
    run.createdAt,
    run.createdAt,
    run.createdAt,
  ];
}
