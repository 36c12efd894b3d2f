export { RunnerModule } from './runner.module.js';

export { RunnerService } from './runner.service.js';
export { RunExecutor } from './run.executor.js';
export { WorkflowVersions } from './workflow-versions.service.js';
export { WorkflowWatcher, loadWorkflows } from './workflow-watcher.service.js';
export { CronScheduler } from './cron.scheduler.js';
export { RetentionJob } from './retention.job.js';
