import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ApiTokenGuard } from './api-token.guard.js';
import { DeliveriesController } from './deliveries.controller.js';
import { HealthController } from './health.controller.js';
import { RunsController } from './runs.controller.js';
import { StorageHealthIndicator } from './storage.health.js';
import { WorkflowsController } from './workflows.controller.js';

/** `/api/*` and `/health`. Needs API_TOKENS, WorkflowRegistry, Metrics and the store from the app. */
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
  controllers: [RunsController, DeliveriesController, WorkflowsController, HealthController],
  providers: [ApiTokenGuard, StorageHealthIndicator],
})
export class ApiModule {}
