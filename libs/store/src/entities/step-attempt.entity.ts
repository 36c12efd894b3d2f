import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { jsonTransformer, msTransformer } from './ms.transformer.js';

export type AttemptStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';

/** One execution of a step: what it did, how long it took, what the receiver answered. */
@Entity('step_attempts')
@Index('step_attempts_run', ['runId', 'stepId', 'number'], { unique: true })
export class StepAttemptEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id!: string;

  @Column('varchar', { name: 'run_id', length: 36 })
  runId!: string;

  @Column('varchar', { name: 'step_id', length: 100 })
  stepId!: string;

  @Column('integer')
  number!: number;

  @Column('integer', { name: 'run_attempt' })
  runAttempt!: number;

  @Column('varchar', { length: 16 })
  status!: AttemptStatus;

  @Column('integer', { name: 'http_status', nullable: true })
  httpStatus!: number | null;

  @Column('text', { nullable: true, transformer: jsonTransformer })
  error!: { code: string; message: string } | null;

  @Column('bigint', { name: 'started_at', transformer: msTransformer })
  startedAt!: number;

  @Column('bigint', { name: 'finished_at', nullable: true, transformer: msTransformer })
  finishedAt!: number | null;

  @Column('integer', { name: 'duration_ms', nullable: true })
  durationMs!: number | null;
}
