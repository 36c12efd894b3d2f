import { Column, Entity, PrimaryColumn } from 'typeorm';
import { jsonTransformer, msTransformer } from './ms.transformer.js';

export type StepStatus = 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped';

/** The recorded outcome of one step of one run; a succeeded step is never executed again. */
@Entity('run_steps')
export class RunStepEntity {
  @PrimaryColumn('varchar', { name: 'run_id', length: 36 })
  runId!: string;

  @PrimaryColumn('varchar', { name: 'step_id', length: 100 })
  stepId!: string;

  @Column('integer')
  position!: number;

  @Column('varchar', { length: 16 })
  status!: StepStatus;

  @Column('text', { nullable: true, transformer: jsonTransformer })
  output!: unknown;

  @Column('text', { nullable: true, transformer: jsonTransformer })
  error!: { code: string; message: string } | null;

  @Column('integer', { default: 0 })
  attempts!: number;

  @Column('bigint', { name: 'started_at', nullable: true, transformer: msTransformer })
  startedAt!: number | null;

  @Column('bigint', { name: 'finished_at', nullable: true, transformer: msTransformer })
  finishedAt!: number | null;
}
