import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { jsonTransformer, msTransformer } from './ms.transformer.js';

export type RunStatus = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';
export const FINISHED_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];

/**
 * A run is also its own queue entry: `run_at` is when it may next be claimed — its creation
 * for a queued run, its retry time while waiting, and its lease expiry while running, so one
 * index serves new work, due retries and runs abandoned by a dead worker alike.
 */
@Entity('runs')
@Index('runs_due', ['status', 'runAt'])
@Index('runs_workflow', ['workflowId', 'id'])
@Index('runs_status', ['status', 'id'])
export class RunEntity {
  /** Time-ordered (UUIDv7): newest first is id descending. */
  @PrimaryColumn('varchar', { length: 36 })
  id!: string;

  @Column('varchar', { name: 'workflow_id', length: 100 })
  workflowId!: string;

  @Column('varchar', { name: 'workflow_version', length: 64 })
  workflowVersion!: string;

  @Column('varchar', { name: 'delivery_id', length: 36, nullable: true })
  deliveryId!: string | null;

  @Column('varchar', { name: 'trigger_type', length: 16 })
  triggerType!: 'webhook' | 'cron';

  @Column('text', { transformer: jsonTransformer })
  trigger!: Record<string, unknown>;

  @Column('varchar', { length: 16 })
  status!: RunStatus;

  /** 1, then +1 for each retry through the API. */
  @Column('integer', { default: 1 })
  attempt!: number;

  @Column('bigint', { name: 'run_at', transformer: msTransformer })
  runAt!: number;

  @Column('varchar', { name: 'lease_owner', length: 64, nullable: true })
  leaseOwner!: string | null;

  @Column('smallint', { name: 'cancel_requested', default: 0 })
  cancelRequested!: number;

  @Column('text', { nullable: true, transformer: jsonTransformer })
  error!: { code: string; message: string; stepId?: string } | null;

  @Column('bigint', { name: 'created_at', transformer: msTransformer })
  createdAt!: number;

  @Column('bigint', { name: 'updated_at', transformer: msTransformer })
  updatedAt!: number;

  @Column('bigint', { name: 'started_at', nullable: true, transformer: msTransformer })
  startedAt!: number | null;

  @Column('bigint', { name: 'finished_at', nullable: true, transformer: msTransformer })
  finishedAt!: number | null;

  /** 1 when the latest claim was the run's first (see the 1764600000000 migration); null before any claim. */
  @Column('smallint', { name: 'first_claim', nullable: true })
  firstClaim!: number | null;
}
