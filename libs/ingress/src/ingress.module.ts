import { Module } from '@nestjs/common';
import { HooksController } from './hooks.controller.js';
import { HooksService } from './hooks.service.js';

/** `/hooks/*`. Needs WorkflowRegistry, HookflowConfig and the store from the app. */
@Module({ controllers: [HooksController], providers: [HooksService] })
export class IngressModule {}
