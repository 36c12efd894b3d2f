/**
 * Finds the workflow version a run was created with: in memory when this process loaded it,
 * else compiled from the source kept in storage (the file may have changed since).
 */
import type { WorkflowVersionRepository } from '#libs/store/sql';
import type { RunnableWorkflow, Workflow, WorkflowRegistry } from '#libs/workflow';

/** Where the runner gets the workflow version of a run; undefined when that version can no longer be compiled. */
export interface WorkflowSource {
  resolve(workflowId: string, version: string): Promise<RunnableWorkflow | undefined>;
}

export class WorkflowVersions implements WorkflowSource {
  constructor(
    private readonly registry: WorkflowRegistry,
    private readonly versions: WorkflowVersionRepository,
  ) {}

  async resolve(workflowId: string, version: string): Promise<Workflow | undefined> {
    const loaded = this.registry.version(workflowId, version);
    if (loaded) return loaded;
    const stored = await this.versions.find(workflowId, version);
    return stored && this.registry.compileStored(workflowId, stored.file, stored.source);
  }
}
