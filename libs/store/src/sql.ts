/**
 * The store without TypeORM or Nest (`#libs/store/sql`): the Database port and what the runner
 * needs of it, for the runner thread, which opens the storage the main thread has migrated and
 * must stay small (docs/performance-notes.md). Everything here is exported by `#libs/store` too.
 */
export { DatabaseUnavailableError, isUnavailable, type Database, type Sql } from './database.js';
export {
  RunRepository,
  LeaseLostError,
  cancelledByOperator,
  type Execution,
  type ExecutionRun,
  type ExecutionStep,
  type ExecutionAttempt,
  type RunTransition,
  type StepRecord,
  type ErrorInfo,
} from './run.repository.js';
export { RunQueueRepository } from './run-queue.repository.js';
export { WorkflowVersionRepository, type StoredVersion } from './workflow-version.repository.js';
export { openSharedDatabase, type OpenedDatabase, type SharedStorage } from './shared-storage.js';
