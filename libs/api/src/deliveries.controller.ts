import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { InspectionRepository, type DeliveryOutcome } from '#libs/store';
import { ApiError } from './api.errors.js';
import { ApiTokenGuard } from './api-token.guard.js';
import { DELIVERY_DETAIL_SCHEMA, DELIVERY_SCHEMA, ERROR_SCHEMA, pageOf } from './openapi.schemas.js';
import { presentDelivery, presentDeliveryDetail } from './presenters.js';
import { parseEnum, parseLimit } from './query.js';

const OUTCOMES: DeliveryOutcome[] = ['accepted', 'duplicate', 'filtered', 'rejected'];

const ERRORS = { schema: ERROR_SCHEMA };

@ApiTags('deliveries')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'missing or wrong bearer token', ...ERRORS })
@Controller('api/deliveries')
@UseGuards(ApiTokenGuard)
export class DeliveriesController {
  constructor(private readonly inspection: InspectionRepository) {}

  @Get()
  @ApiOperation({ summary: 'List every request received on a known hook path, newest first' })
  @ApiQuery({ name: 'workflowId', required: false, type: String })
  @ApiQuery({ name: 'outcome', required: false, enum: OUTCOMES })
  @ApiQuery({ name: 'limit', required: false, type: 'integer', description: 'page size, 1 to 500 (default 50)' })
  @ApiQuery({ name: 'cursor', required: false, type: String, description: 'nextCursor of the previous page' })
  @ApiOkResponse({ schema: pageOf(DELIVERY_SCHEMA) })
  @ApiResponse({ status: 400, description: 'bad outcome, limit or cursor', ...ERRORS })
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
    return { items: page.items.map(presentDelivery), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One delivery with its query, headers (secrets masked) and body' })
  @ApiParam({ name: 'id', description: 'delivery id' })
  @ApiOkResponse({ schema: DELIVERY_DETAIL_SCHEMA })
  @ApiResponse({ status: 404, description: 'no such delivery', ...ERRORS })
  async get(@Param('id') id: string): Promise<Record<string, unknown>> {
    const delivery = await this.inspection.getDelivery(id);
    if (!delivery) throw new ApiError('DELIVERY_NOT_FOUND', `no delivery ${id}`);
    return presentDeliveryDetail(delivery);
  }
}
