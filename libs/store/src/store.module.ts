/**
 * Storage for the Nest app: opens the database (running migrations) once and provides the
 * repositories. The repositories are plain classes; this module only wires them.
 */
import { Inject, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { openStorage, type Storage, type StorageOptions } from './data-source.js';
import { CronRepository } from './cron.repository.js';
import { DeliveryRepository } from './delivery.repository.js';
import { RetentionRepository } from './retention.repository.js';
import { InspectionRepository } from './inspection.repository.js';
import type { PostgresListener } from './postgres-listener.js';
import { RunQueueRepository } from './run-queue.repository.js';
import { QueueStatsRepository } from './queue-stats.repository.js';
import { RunControlRepository } from './run-control.repository.js';
import { RunRepository } from './run.repository.js';
import { RunSignal } from './run-signal.js';
import { WorkflowVersionRepository } from './workflow-version.repository.js';

export const STORAGE = Symbol('STORAGE');

@Module({})
export class StoreModule implements OnModuleInit, OnApplicationShutdown {
  /** On PostgreSQL, runs queued by any process wake this one's workers through LISTEN/NOTIFY. */
  private listener: PostgresListener | undefined;

  constructor(
    @Inject(STORAGE) private readonly storage: Storage,
    private readonly signal: RunSignal,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.storage.location.kind !== 'postgres') return;
    const { PostgresListener } = await import('./postgres-listener.js');
    this.listener = new PostgresListener(this.storage.location.url, () => this.signal.notify());
    this.listener.start();
  }

  static forRoot(databaseUrl: string, options: StorageOptions = {}): DynamicModule {
    const repository = <T>(provide: new (...args: never[]) => T, make: (storage: Storage) => T) => ({
      provide,
      useFactory: make,
      inject: [STORAGE],
    });
    const providers = [
      { provide: STORAGE, useFactory: () => openStorage(databaseUrl, options) },
      repository(DeliveryRepository, (storage) => new DeliveryRepository(storage.db)),
      repository(CronRepository, (storage) => new CronRepository(storage.db)),
      repository(RetentionRepository, (storage) => new RetentionRepository(storage.db)),
      repository(RunQueueRepository, (storage) => new RunQueueRepository(storage.db)),
      repository(QueueStatsRepository, (storage) => new QueueStatsRepository(storage.db)),
      repository(RunRepository, (storage) => new RunRepository(storage.db)),
      repository(RunControlRepository, (storage) => new RunControlRepository(storage.db)),
      repository(WorkflowVersionRepository, (storage) => new WorkflowVersionRepository(storage.db)),
      repository(InspectionRepository, (storage) => new InspectionRepository(storage.dataSource, storage.db)),
      { provide: RunSignal, useFactory: () => new RunSignal(), inject: [] },
    ];
    return { module: StoreModule, global: true, providers, exports: providers.map((provider) => provider.provide) };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.listener?.stop();
    await this.storage.close();
  }
}
