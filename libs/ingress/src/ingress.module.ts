import { Module } from '@nestjs/common';
import { STORAGE, type Storage } from '#libs/store';
import { HooksController } from './hooks.controller.js';
import { HooksService } from './hooks.service.js';
import { HookRateLimiter, hookRateLimiterFor } from './rate-limiter.js';

/** `/hooks/*`. Needs WorkflowRegistry, HookflowConfig and the store from the app. */
@Module({
  controllers: [HooksController],
  providers: [HooksService, { provide: HookRateLimiter, useFactory: (storage: Storage) => hookRateLimiterFor(storage), inject: [STORAGE] }],
})
export class IngressModule {}
