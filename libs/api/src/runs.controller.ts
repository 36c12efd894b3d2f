import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { InspectionRepository, RunControlRepository, RunSignal, type ControlResult, type RunStatus } from '#libs/store';
import { WorkflowRegistry } from '#libs/workflow';
import { ApiError } from './api.errors.js';
import { ApiTokenGuard } from './api-token.guard.js';
import { presentRun, presentRunDetail } from './presenters.js';
import { parseEnum, parseLimit } from './query.js';

const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'];

@Controller('api/runs')
@UseGuards(ApiTokenGuard)
export class RunsController {
  constructor(
    private readonly inspection: InspectionRepository,
    private readonly control: RunControlRepository,
    private readonly signal: RunSignal,
    private readonly registry: WorkflowRegistry,
  ) {}

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

  @Post(':id/retry')
  @HttpCode(202)
  async retry(@Param('id') id: string): Promise<Record<string, unknown>> {
    const result = settle(id, 'retry', await this.control.retry(id, Date.now()), 'only a failed run can be retried');
    this.signal.notify();
    return { runId: id, status: 'queued', attempt: result.attempt };
  }

  @Post(':id/replay')
  @HttpCode(202)
  async replay(@Param('id') id: string): Promise<Record<string, unknown>> {
    // A replay runs the version serving now (the usual reason to replay is a fixed workflow),
    // or the original version when the workflow is no longer served.
    const version = (workflowId: string, original: string) => this.registry.get(workflowId)?.version ?? original;
    const result = settle(id, 'replay', await this.control.replay(id, version, Date.now()), '');
    this.signal.notify();
    return { runId: result.runId, replayOf: id, status: 'queued' };
  }

  @Post(':id/cancel')
  @HttpCode(202)
  async cancel(@Param('id') id: string): Promise<Record<string, unknown>> {
    const result = settle(id, 'cancel', await this.control.cancel(id, Date.now()), 'only a queued, waiting or running run can be cancelled');
    return result.status === 'cancelled'
      ? { runId: id, status: 'cancelled' }
      : { runId: id, status: 'running', cancelRequested: true, message: 'the run stops after its current step' };
  }
}

function settle<T>(id: string, action: string, result: ControlResult<T>, conflict: string): T {
  if (result.ok) return result.value;
  if (result.reason === 'not-found') throw new ApiError('RUN_NOT_FOUND', `no run ${id}`);
  throw new ApiError('INVALID_STATE', `cannot ${action} run ${id}: it is ${result.status}; ${conflict}`);
}
