/**
 * Reads for the inspection API through TypeORM entities. Lists are newest first and paged by
 * an opaque cursor over the time-ordered id, so runs arriving while a client pages through
 * never shift a page: nothing is lost or repeated.
 */
import { In, LessThan, type DataSource, type FindOptionsWhere } from 'typeorm';
import { DeliveryEntity, type DeliveryOutcome } from './entities/delivery.entity.js';
import { RunStepEntity } from './entities/run-step.entity.js';
import { RunEntity, type RunStatus } from './entities/run.entity.js';
import { StepAttemptEntity } from './entities/step-attempt.entity.js';

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
  constructor(private readonly dataSource: DataSource) {}

  async listRuns(filter: { workflowId?: string; status?: RunStatus }, page: PageRequest): Promise<Page<RunEntity>> {
    const where: FindOptionsWhere<RunEntity> = {};
    if (filter.workflowId) where.workflowId = filter.workflowId;
    if (filter.status) where.status = filter.status;
    if (page.cursor) where.id = LessThan(decodeCursor(page.cursor));
    const rows = await this.dataSource.getRepository(RunEntity).find({
      where,
      order: { id: 'DESC' },
      take: page.limit + 1,
      // The trigger (the delivery's body) is left for the detail view.
      select: {
        id: true,
        workflowId: true,
        workflowVersion: true,
        deliveryId: true,
        triggerType: true,
        status: true,
        attempt: true,
        runAt: true,
        error: true,
        createdAt: true,
        updatedAt: true,
        startedAt: true,
        finishedAt: true,
        cancelRequested: true,
      },
    });
    return paged(rows, page.limit);
  }

  async getRun(id: string): Promise<RunDetail | undefined> {
    const run = await this.dataSource.getRepository(RunEntity).findOneBy({ id });
    if (!run) return undefined;
    const steps = await this.dataSource.getRepository(RunStepEntity).find({ where: { runId: id }, order: { position: 'ASC' } });
    const attempts = await this.dataSource
      .getRepository(StepAttemptEntity)
      .find({ where: { runId: id, stepId: In(steps.map((step) => step.stepId)) }, order: { number: 'ASC' } });
    return {
      run,
      steps: steps.map((step) => Object.assign(step, { attemptList: attempts.filter((attempt) => attempt.stepId === step.stepId) })),
    };
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

  async listDeliveries(filter: { workflowId?: string; outcome?: DeliveryOutcome }, page: PageRequest): Promise<Page<DeliveryEntity>> {
    const where: FindOptionsWhere<DeliveryEntity> = {};
    if (filter.workflowId) where.workflowId = filter.workflowId;
    if (filter.outcome) where.outcome = filter.outcome;
    if (page.cursor) where.id = LessThan(decodeCursor(page.cursor));
    const rows = await this.dataSource.getRepository(DeliveryEntity).find({ where, order: { id: 'DESC' }, take: page.limit + 1 });
    return paged(rows, page.limit);
  }

  async getDelivery(id: string): Promise<DeliveryEntity | undefined> {
    return (await this.dataSource.getRepository(DeliveryEntity).findOneBy({ id })) ?? undefined;
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}

function paged<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}
