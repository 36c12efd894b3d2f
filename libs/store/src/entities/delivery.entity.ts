import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { jsonTransformer, msTransformer } from './ms.transformer.js';

export type DeliveryOutcome = 'accepted' | 'duplicate' | 'filtered' | 'rejected';

/** One request received on a known hook path, whatever was answered. */
@Entity('deliveries')
@Index('deliveries_workflow', ['workflowId', 'id'])
// Partial on SQLite; on PostgreSQL still the full index until a later release (see the 1764500000000 migration).
@Index('deliveries_idempotency', ['workflowId', 'idempotencyKey'], { unique: true, where: 'idempotency_key IS NOT NULL' })
export class DeliveryEntity {
  /** Time-ordered (UUIDv7), so ordering by id is ordering by arrival. */
  @PrimaryColumn('varchar', { length: 36 })
  id!: string;

  @Column('varchar', { name: 'workflow_id', length: 100 })
  workflowId!: string;

  @Column('bigint', { name: 'received_at', transformer: msTransformer })
  receivedAt!: number;

  @Column('varchar', { length: 10 })
  method!: string;

  @Column('varchar', { length: 2000 })
  path!: string;

  @Column('text', { transformer: jsonTransformer })
  query!: Record<string, unknown>;

  /** Lower-case names; authorization, cookie and signature values masked. */
  @Column('text', { transformer: jsonTransformer })
  headers!: Record<string, string>;

  @Column('text', { nullable: true })
  body!: string | null;

  @Column('smallint', { name: 'body_truncated', default: 0 })
  bodyTruncated!: number;

  @Column('varchar', { length: 64 })
  ip!: string;

  @Column('integer')
  status!: number;

  @Column('varchar', { length: 16 })
  outcome!: DeliveryOutcome;

  @Column('varchar', { length: 64, nullable: true })
  reason!: string | null;

  @Column('text', { nullable: true })
  message!: string | null;

  @Column('varchar', { name: 'run_id', length: 36, nullable: true })
  runId!: string | null;

  /** Set only on the accepted delivery, so the unique index finds duplicates. */
  @Column('varchar', { name: 'idempotency_key', length: 500, nullable: true })
  idempotencyKey!: string | null;
}
