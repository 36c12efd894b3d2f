import { Global, Module, type DynamicModule } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { Metrics } from './metrics.service.js';

/**
 * Global, so intake and the runner get `Metrics` without importing this module. `/metrics`
 * is served only by a process that serves HTTP. Needs the store from the app.
 */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(options: { servesWeb: boolean }): DynamicModule {
    return { module: MetricsModule, controllers: options.servesWeb ? [MetricsController] : [], providers: [Metrics], exports: [Metrics] };
  }
}
