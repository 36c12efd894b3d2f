export { RunnerModule } from './runner.module.js';

export { RunnerService, type RunnerOptions } from './runner.service.js';
export { RunExecutor } from './run.executor.js';
export { RunnerHost } from './runner.host.js';
export { WorkflowVersions } from './workflow-versions.service.js';
export type { RunMetrics, RunnerLog } from './runner-log.js';
export { WorkflowWatcher, loadWorkflows } from './workflow-watcher.service.js';
export { CronScheduler } from './cron.scheduler.js';
export { RetentionJob } from './retention.job.js';
