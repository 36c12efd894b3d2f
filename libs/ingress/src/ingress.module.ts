import { Module } from '@nestjs/common';
import { STORAGE, type Storage } from '#libs/store';
import { HooksService } from './hooks.service.js';
import { HookRateLimiter, hookRateLimiterFor } from './rate-limiter.js';

/** Intake for `/hooks/*` (served by HooksHttpHandler, ahead of Fastify). Needs WorkflowRegistry, HookflowConfig and the store from the app. */
@Module({
  providers: [HooksService, { provide: HookRateLimiter, useFactory: (storage: Storage) => hookRateLimiterFor(storage), inject: [STORAGE] }],
})
export class IngressModule {}
