import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { ApiErrorFilter, ApiModule } from '#libs/api';
import type { HookflowConfig } from '#libs/config';
import { IngressModule } from '#libs/ingress';
import { MetricsModule } from '#libs/metrics';
import { RunnerModule } from '#libs/runner';
import { StoreModule } from '#libs/store';
import { CoreModule } from './core.module.js';

/** Wiring only: the role decides whether this process serves HTTP, runs workers, or both. */
@Module({})
export class AppModule {
  static forRoot(config: HookflowConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ScheduleModule.forRoot(),
        StoreModule.forRoot(config.databaseUrl),
        CoreModule.forRoot(config),
        MetricsModule.forRoot({ servesWeb: config.servesWeb }),
        RunnerModule,
        ...(config.servesWeb ? [IngressModule, ApiModule] : []),
      ],
      providers: [{ provide: APP_FILTER, useClass: ApiErrorFilter }],
    };
  }
}
