import { Column, Entity, PrimaryColumn } from 'typeorm';
import { msTransformer } from './ms.transformer.js';

/** Every version of every workflow ever served, so a run can finish on the version it started with. */
@Entity('workflow_versions')
export class WorkflowVersionEntity {
  @PrimaryColumn('varchar', { name: 'workflow_id', length: 100 })
  workflowId!: string;

  @PrimaryColumn('varchar', { length: 64 })
  version!: string;

  @Column('varchar', { length: 500 })
  file!: string;

  @Column('text')
  source!: string;

  @Column('bigint', { name: 'created_at', transformer: msTransformer })
  createdAt!: number;
}
