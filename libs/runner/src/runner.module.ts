import { Module } from '@nestjs/common';
import { CronScheduler } from './cron.scheduler.js';
import { RetentionJob } from './retention.job.js';
import { RunnerHost } from './runner.host.js';
import { WorkflowWatcher } from './workflow-watcher.service.js';

/** Executes runs (in the runner thread), fires cron triggers, purges old records. Needs WorkflowRegistry, HookflowConfig and the store from the app. */
@Module({
  providers: [RunnerHost, WorkflowWatcher, CronScheduler, RetentionJob],
  exports: [RunnerHost, WorkflowWatcher, RetentionJob],
})
export class RunnerModule {}
