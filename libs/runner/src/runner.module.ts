import { Module } from '@nestjs/common';
import { RunExecutor } from './run.executor.js';
import { RunnerService } from './runner.service.js';
import { WorkflowVersions } from './workflow-versions.service.js';

/** Executes runs. Needs WorkflowRegistry, HookflowConfig and the store from the app. */
@Module({
  providers: [RunExecutor, RunnerService, WorkflowVersions],
  exports: [WorkflowVersions, RunnerService],
})
export class RunnerModule {}
