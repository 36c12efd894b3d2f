import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { InspectionRepository, type DeliveryOutcome } from '#libs/store';
import { ApiError } from './api.errors.js';
import { ApiTokenGuard } from './api-token.guard.js';
import { presentDelivery } from './presenters.js';
import { parseEnum, parseLimit } from './query.js';

const OUTCOMES: readonly DeliveryOutcome[] = ['accepted', 'duplicate', 'filtered', 'rejected'];

@Controller('api/deliveries')
@UseGuards(ApiTokenGuard)
export class DeliveriesController {
  constructor(private readonly inspection: InspectionRepository) {}

  @Get()
  async list(
    @Query('workflowId') workflowId?: string,
    @Query('outcome') outcome?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ): Promise<Record<string, unknown>> {
    const page = await this.inspection.listDeliveries(
      { ...(workflowId ? { workflowId } : {}), ...(outcome ? { outcome: parseEnum('outcome', outcome, OUTCOMES)! } : {}) },
      { limit: parseLimit(limit), ...(cursor ? { cursor } : {}) },
    );
    return { items: page.items.map((delivery) => presentDelivery(delivery, false)), nextCursor: page.nextCursor };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<Record<string, unknown>> {
    const delivery = await this.inspection.getDelivery(id);
    if (!delivery) throw new ApiError('DELIVERY_NOT_FOUND', `no delivery ${id}`);
    return presentDelivery(delivery, true);
  }
}
