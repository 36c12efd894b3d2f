export { RunnerModule } from './runner.module.js';

export { RunnerService } from './runner.service.js';
export { RunExecutor } from './run.executor.js';
export { WorkflowVersions } from './workflow-versions.service.js';
