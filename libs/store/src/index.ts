// What the runner thread needs, without TypeORM or Nest, is in sql.ts; the rest of the store is here.
export * from './sql.js';
export {
  openStorage,
  parseDatabaseUrl,
  type Storage,
  type StorageLocation,
  type StorageOptions,
  ENTITIES,
  MIGRATIONS,
  POSTGRES_CONNECTIONS,
  RUNNER_THREAD_CONNECTIONS,
} from './data-source.js';
export { WriteLock, MAIN_THREAD_WRITER, RUNNER_THREAD_WRITER, HELPER_RUNNER_WRITER } from './write-lock.js';
export { DeliveryRepository, deliveryTrigger, type NewDelivery, type NewRun, type AcceptResult } from './delivery.repository.js';
export { TRIGGER_FROM_DELIVERY } from './run-trigger.js';
export {
  InspectionRepository,
  InvalidCursorError,
  encodeCursor,
  decodeCursor,
  type Page,
  type RunDetail,
  type RunSummary,
  type DeliverySummary,
} from './inspection.repository.js';
export { DeliveryEntity, type DeliveryOutcome } from './entities/delivery.entity.js';
export { RunEntity, FINISHED_RUN_STATUSES, type RunStatus } from './entities/run.entity.js';
export { RunStepEntity, type StepStatus } from './entities/run-step.entity.js';
export { StepAttemptEntity } from './entities/step-attempt.entity.js';
export { StoreModule, STORAGE } from './store.module.js';
export { RunSignal } from './run-signal.js';
export { RunControlRepository, type ControlResult } from './run-control.repository.js';
export { CronRepository } from './cron.repository.js';
export { RetentionRepository, RETENTION_BATCH } from './retention.repository.js';
export { QueueStatsRepository, type QueueStats } from './queue-stats.repository.js';
