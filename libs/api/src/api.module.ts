import { Module } from '@nestjs/common';
import { ApiTokenGuard } from './api-token.guard.js';
import { DeliveriesController } from './deliveries.controller.js';
import { HealthController } from './health.controller.js';
import { RunsController } from './runs.controller.js';
import { WorkflowsController } from './workflows.controller.js';

/** `/api/*` and `/health`. Needs API_TOKENS, WorkflowRegistry and the store from the app. */
@Module({
  controllers: [RunsController, DeliveriesController, WorkflowsController, HealthController],
  providers: [ApiTokenGuard],
})
export class ApiModule {}
