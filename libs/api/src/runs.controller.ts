import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { InspectionRepository, type RunStatus } from '#libs/store';
import { ApiError } from './api.errors.js';
import { ApiTokenGuard } from './api-token.guard.js';
import { presentRun, presentRunDetail } from './presenters.js';
import { parseEnum, parseLimit } from './query.js';

const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'];

@Controller('api/runs')
@UseGuards(ApiTokenGuard)
export class RunsController {
  constructor(private readonly inspection: InspectionRepository) {}

  @Get()
  async list(
    @Query('workflowId') workflowId?: string,
    @Query('status') status?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ): Promise<Record<string, unknown>> {
    const page = await this.inspection.listRuns(
      { ...(workflowId ? { workflowId } : {}), ...(status ? { status: parseEnum('status', status, RUN_STATUSES)! } : {}) },
      { limit: parseLimit(limit), ...(cursor ? { cursor } : {}) },
    );
    return { items: page.items.map(presentRun), nextCursor: page.nextCursor };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<Record<string, unknown>> {
    const detail = await this.inspection.getRun(id);
    if (!detail) throw new ApiError('RUN_NOT_FOUND', `no run ${id}`);
    return presentRunDetail(detail);
  }
}
