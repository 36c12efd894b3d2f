import { Module } from '@nestjs/common';
import { CronScheduler } from './cron.scheduler.js';
import { RetentionJob } from './retention.job.js';
import { RunExecutor } from './run.executor.js';
import { RunnerService } from './runner.service.js';
import { WorkflowVersions } from './workflow-versions.service.js';
import { WorkflowWatcher } from './workflow-watcher.service.js';

/** Executes runs. Needs WorkflowRegistry, HookflowConfig and the store from the app. */
@Module({
  providers: [RunExecutor, RunnerService, WorkflowVersions, WorkflowWatcher, CronScheduler, RetentionJob],
  exports: [WorkflowVersions, RunnerService, WorkflowWatcher, RetentionJob],
})
export class RunnerModule {}
