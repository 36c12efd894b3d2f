/**
 * Reads for the inspection API. Lists are newest first and paged by an opaque cursor over the
 * time-ordered id, so runs arriving while a client pages through never shift a page: nothing is
 * lost or repeated. Lists go through prepared statements and leave out the large columns (a
 * run's trigger, a delivery's body and headers), which only the detail views show; TypeORM's
 * query building and entity hydration cost more than the query itself on every page. The
 * detail views read through TypeORM entities.
 */
import { In, type DataSource } from 'typeorm';
import type { Database, Row } from './database.js';
import { DeliveryEntity, type DeliveryOutcome } from './entities/delivery.entity.js';
import { jsonTransformer, msTransformer } from './entities/ms.transformer.js';
import { RunStepEntity } from './entities/run-step.entity.js';
import { RunEntity, type RunStatus } from './entities/run.entity.js';
import { StepAttemptEntity } from './entities/step-attempt.entity.js';
import { TRIGGER_DELIVERY_MISSING, TRIGGER_FROM_DELIVERY, withDeliveryTriggers } from './run-trigger.js';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  cursor?: string;
}

export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is malformed');
    this.name = 'InvalidCursorError';
  }
}

/** A run as a list shows it: without its trigger and the queue's own fields. */
export type RunSummary = Pick<
  RunEntity,
  | 'id'
  | 'workflowId'
  | 'workflowVersion'
  | 'deliveryId'
  | 'triggerType'
  | 'status'
  | 'attempt'
  | 'runAt'
  | 'error'
  | 'createdAt'
  | 'updatedAt'
  | 'startedAt'
  | 'finishedAt'
  | 'cancelRequested'
>;

/** A delivery as a list shows it: without its query, headers and body. */
export type DeliverySummary = Pick<
  DeliveryEntity,
  'id' | 'workflowId' | 'receivedAt' | 'method' | 'path' | 'ip' | 'status' | 'outcome' | 'reason' | 'message' | 'runId'
>;

const RUN_SUMMARY_COLUMNS =
  'id, workflow_id, workflow_version, delivery_id, trigger_type, status, attempt, run_at, error, created_at, updated_at, started_at, finished_at, cancel_requested';
const DELIVERY_SUMMARY_COLUMNS = 'id, workflow_id, received_at, method, path, ip, status, outcome, reason, message, run_id';

export interface RunDetail {
  run: RunEntity;
  steps: Array<RunStepEntity & { attemptList: StepAttemptEntity[] }>;
}

const CURSOR_PREFIX = 'v1:';

export function encodeCursor(id: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.slice(CURSOR_PREFIX.length);
  if (!text.startsWith(CURSOR_PREFIX) || !/^[0-9a-f-]{36}$/.test(id)) throw new InvalidCursorError();
  return id;
}

export class InspectionRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly db: Database,
  ) {}

  async listRuns(filter: { workflowId?: string; status?: RunStatus }, page: PageRequest): Promise<Page<RunSummary>> {
    const rows = await this.newestFirst('runs', RUN_SUMMARY_COLUMNS, { workflow_id: filter.workflowId, status: filter.status }, page);
    return paged(rows.map(runSummary), page.limit);
  }

  async getRun(id: string): Promise<RunDetail | undefined> {
    const run = await this.dataSource.getRepository(RunEntity).findOneBy({ id });
    if (!run) return undefined;
    if ((run.trigger as unknown) === TRIGGER_FROM_DELIVERY) run.trigger = await this.triggerFromDelivery(run);
    const steps = await this.dataSource.getRepository(RunStepEntity).find({ where: { runId: id }, order: { position: 'ASC' } });
    const attempts = await this.dataSource
      .getRepository(StepAttemptEntity)
      .find({ where: { runId: id, stepId: In(steps.map((step) => step.stepId)) }, order: { number: 'ASC' } });
    return {
      run,
      steps: steps.map((step) => Object.assign(step, { attemptList: attempts.filter((attempt) => attempt.stepId === step.stepId) })),
    };
  }

  /** The trigger a run reads from its delivery (run-trigger.ts); shown as text, as a damaged one is, when it cannot be built. */
  private async triggerFromDelivery(run: RunEntity): Promise<RunEntity['trigger']> {
    const [row] = await withDeliveryTriggers<Row>(this.db, [{ trigger: TRIGGER_FROM_DELIVERY, delivery_id: run.deliveryId }]);
    const missing = row?.[TRIGGER_DELIVERY_MISSING];
    if (missing !== undefined) return String(missing) as unknown as RunEntity['trigger'];
    return jsonTransformer.from(row?.trigger) as RunEntity['trigger'];
  }

  async runCounts(workflowId: string, since: number): Promise<Record<string, number>> {
    const rows = await this.dataSource
      .getRepository(RunEntity)
      .createQueryBuilder('run')
      .select('run.status', 'status')
      .addSelect('COUNT(*)', 'count')
      .where('run.workflowId = :workflowId AND run.createdAt >= :since', { workflowId, since })
      .groupBy('run.status')
      .getRawMany<{ status: string; count: string | number }>();
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
  }

  async listDeliveries(filter: { workflowId?: string; outcome?: DeliveryOutcome }, page: PageRequest): Promise<Page<DeliverySummary>> {
    const rows = await this.newestFirst(
      'deliveries',
      DELIVERY_SUMMARY_COLUMNS,
      { workflow_id: filter.workflowId, outcome: filter.outcome },
      page,
    );
    return paged(rows.map(deliverySummary), page.limit);
  }

  async getDelivery(id: string): Promise<DeliveryEntity | undefined> {
    return (await this.dataSource.getRepository(DeliveryEntity).findOneBy({ id })) ?? undefined;
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  /**
   * One page of `table`, newest first: the rows whose columns equal the given values (those
   * given), older than the cursor, one more than the page so that the caller knows if another follows.
   */
  private newestFirst(table: string, columns: string, equal: Record<string, string | undefined>, page: PageRequest): Promise<Row[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    for (const [column, value] of Object.entries(equal)) {
      if (value === undefined || value === '') continue;
      conditions.push(`${column} = ?`);
      params.push(value);
    }
    if (page.cursor) {
      conditions.push('id < ?');
      params.push(decodeCursor(page.cursor));
    }
    const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
    return this.db.all(`SELECT ${columns} FROM ${table}${where} ORDER BY id DESC LIMIT ?`, [...params, page.limit + 1]);
  }
}

function runSummary(row: Row): RunSummary {
  return {
    id: String(row.id),
    workflowId: String(row.workflow_id),
    workflowVersion: String(row.workflow_version),
    deliveryId: (row.delivery_id as string | null) ?? null,
    triggerType: row.trigger_type as RunSummary['triggerType'],
    status: row.status as RunStatus,
    attempt: Number(row.attempt),
    runAt: Number(row.run_at),
    error: jsonTransformer.from(row.error) as RunSummary['error'],
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    startedAt: msTransformer.from(row.started_at) as number | null,
    finishedAt: msTransformer.from(row.finished_at) as number | null,
    cancelRequested: Number(row.cancel_requested),
  };
}

function deliverySummary(row: Row): DeliverySummary {
  return {
    id: String(row.id),
    workflowId: String(row.workflow_id),
    receivedAt: Number(row.received_at),
    method: String(row.method),
    path: String(row.path),
    ip: String(row.ip),
    status: Number(row.status),
    outcome: row.outcome as DeliveryOutcome,
    reason: (row.reason as string | null) ?? null,
    message: (row.message as string | null) ?? null,
    runId: (row.run_id as string | null) ?? null,
  };
}

function paged<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}
