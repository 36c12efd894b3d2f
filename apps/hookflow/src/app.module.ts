import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { ApiErrorFilter, ApiModule } from '#libs/api';
import type { HookflowConfig } from '#libs/config';
import { IngressModule } from '#libs/ingress';
import { MetricsModule } from '#libs/metrics';
import { RunnerModule } from '#libs/runner';
import { POSTGRES_CONNECTIONS, RUNNER_THREAD_CONNECTIONS, StoreModule } from '#libs/store';
import { CoreModule } from './core.module.js';

/** Wiring only: the role decides whether this process serves HTTP, runs workers, or both. */
@Module({})
export class AppModule {
  static forRoot(config: HookflowConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ScheduleModule.forRoot(),
        // On PostgreSQL the runner thread has a pool of its own, taken from the process's connections.
        StoreModule.forRoot(config.databaseUrl, {
          poolSize: config.runsWorkers ? POSTGRES_CONNECTIONS - RUNNER_THREAD_CONNECTIONS : POSTGRES_CONNECTIONS,
        }),
        CoreModule.forRoot(config),
        MetricsModule.forRoot({ servesWeb: config.servesWeb }),
        RunnerModule,
        ...(config.servesWeb ? [IngressModule, ApiModule] : []),
      ],
      providers: [{ provide: APP_FILTER, useClass: ApiErrorFilter }],
    };
  }
}
