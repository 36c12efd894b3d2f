/**
 * Storage for the Nest app: opens the database (running migrations) once and provides the
 * repositories. The repositories are plain classes; this module only wires them.
 */
import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { openStorage, type Storage } from './data-source.js';
import { DeliveryRepository } from './delivery.repository.js';
import { InspectionRepository } from './inspection.repository.js';
import { RunQueueRepository } from './run-queue.repository.js';
import { RunControlRepository } from './run-control.repository.js';
import { RunRepository } from './run.repository.js';
import { RunSignal } from './run-signal.js';
import { WorkflowVersionRepository } from './workflow-version.repository.js';

export const STORAGE = Symbol('STORAGE');

@Module({})
export class StoreModule implements OnApplicationShutdown {
  constructor(@Inject(STORAGE) private readonly storage: Storage) {}

  static forRoot(databaseUrl: string): DynamicModule {
    const repository = <T>(provide: new (...args: never[]) => T, make: (storage: Storage) => T) => ({
      provide,
      useFactory: make,
      inject: [STORAGE],
    });
    const providers = [
      { provide: STORAGE, useFactory: () => openStorage(databaseUrl) },
      repository(DeliveryRepository, (storage) => new DeliveryRepository(storage.db)),
      repository(RunQueueRepository, (storage) => new RunQueueRepository(storage.db)),
      repository(RunRepository, (storage) => new RunRepository(storage.db)),
      repository(RunControlRepository, (storage) => new RunControlRepository(storage.db)),
      repository(WorkflowVersionRepository, (storage) => new WorkflowVersionRepository(storage.db)),
      repository(InspectionRepository, (storage) => new InspectionRepository(storage.dataSource)),
      { provide: RunSignal, useFactory: () => new RunSignal(), inject: [] },
    ];
    return { module: StoreModule, global: true, providers, exports: providers.map((provider) => provider.provide) };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.storage.close();
  }
}
