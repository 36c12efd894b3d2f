import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { InspectionRepository, RunControlRepository, RunSignal, type ControlResult, type RunStatus } from '#libs/store';
import { Metrics } from '#libs/metrics';
import { WorkflowRegistry } from '#libs/workflow';
import { ApiError } from './api.errors.js';
import { ApiTokenGuard } from './api-token.guard.js';
import { ERROR_SCHEMA, pageOf, RUN_DETAIL_SCHEMA, RUN_SCHEMA } from './openapi.schemas.js';
import { presentRun, presentRunDetail } from './presenters.js';
import { parseEnum, parseLimit } from './query.js';

const RUN_STATUSES: RunStatus[] = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'];

const ERRORS = { schema: ERROR_SCHEMA };

@ApiTags('runs')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'missing or wrong bearer token', ...ERRORS })
@Controller('api/runs')
@UseGuards(ApiTokenGuard)
export class RunsController {
  constructor(
    private readonly inspection: InspectionRepository,
    private readonly control: RunControlRepository,
    private readonly signal: RunSignal,
    private readonly registry: WorkflowRegistry,
    private readonly metrics: Metrics,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List runs, newest first' })
  @ApiQuery({ name: 'workflowId', required: false, type: String })
  @ApiQuery({ name: 'status', required: false, enum: RUN_STATUSES })
  @ApiQuery({ name: 'limit', required: false, type: 'integer', description: 'page size, 1 to 500 (default 50)' })
  @ApiQuery({ name: 'cursor', required: false, type: String, description: 'nextCursor of the previous page' })
  @ApiOkResponse({ schema: pageOf(RUN_SCHEMA) })
  @ApiResponse({ status: 400, description: 'bad status, limit or cursor', ...ERRORS })
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
  @ApiOperation({ summary: 'A run with its trigger, every step and every attempt' })
  @ApiParam({ name: 'id', description: 'run id' })
  @ApiOkResponse({ schema: RUN_DETAIL_SCHEMA })
  @ApiResponse({ status: 404, description: 'no such run', ...ERRORS })
  async get(@Param('id') id: string): Promise<Record<string, unknown>> {
    const detail = await this.inspection.getRun(id);
    if (!detail) throw new ApiError('RUN_NOT_FOUND', `no run ${id}`);
    return presentRunDetail(detail);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Resume a failed run from its failed step',
    description: 'Finished steps keep their outputs and are not executed again.',
  })
  @ApiParam({ name: 'id', description: 'run id' })
  @ApiAcceptedResponse({
    schema: {
      type: 'object',
      properties: { runId: { type: 'string' }, status: { type: 'string', enum: ['queued'] }, attempt: { type: 'integer' } },
    },
  })
  @ApiResponse({ status: 404, description: 'no such run', ...ERRORS })
  @ApiResponse({ status: 409, description: 'the run is not failed', ...ERRORS })
  async retry(@Param('id') id: string): Promise<Record<string, unknown>> {
    const result = settle(id, 'retry', await this.control.retry(id, Date.now()), 'only a failed run can be retried');
    this.signal.notify();
    return { runId: id, status: 'queued', attempt: result.attempt };
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Start a new run of the same trigger',
    description: 'Runs the version serving now, or the original one when the workflow is no longer served.',
  })
  @ApiParam({ name: 'id', description: 'run id' })
  @ApiAcceptedResponse({
    schema: {
      type: 'object',
      properties: { runId: { type: 'string' }, replayOf: { type: 'string' }, status: { type: 'string', enum: ['queued'] } },
    },
  })
  @ApiResponse({ status: 404, description: 'no such run', ...ERRORS })
  @ApiResponse({
    status: 409,
    description:
      "the run's trigger cannot be read (`TRIGGER_UNREADABLE`): its stored text is not valid JSON, or the delivery it is read from is gone",
    ...ERRORS,
  })
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
  @ApiOperation({
    summary: 'Cancel a queued or waiting run',
    description:
      'A running run is asked to stop: it stops the next time it records a step, and before its next `http` step at the latest. ' +
      'The step in flight finishes: if it fails with a retryable error, the run is cancelled instead of retried; ' +
      'if it fails otherwise, the run fails; if it was the last step and succeeds, the run succeeds. ' +
      'A step left waiting for a retry is closed as failed.',
  })
  @ApiParam({ name: 'id', description: 'run id' })
  @ApiAcceptedResponse({
    schema: {
      type: 'object',
      properties: {
        runId: { type: 'string' },
        status: { type: 'string', enum: ['cancelled', 'running'] },
        cancelRequested: { type: 'boolean' },
        message: { type: 'string' },
      },
    },
  })
  @ApiResponse({ status: 404, description: 'no such run', ...ERRORS })
  @ApiResponse({ status: 409, description: 'the run is already finished', ...ERRORS })
  async cancel(@Param('id') id: string): Promise<Record<string, unknown>> {
    const result = settle(
      id,
      'cancel',
      await this.control.cancel(id, Date.now()),
      'only a queued, waiting or running run can be cancelled',
    );
    if (result.status === 'running') {
      return {
        runId: id,
        status: 'running',
        cancelRequested: true,
        message:
          'the run stops the next time it records a step, and before its next http step at the latest; the step in flight finishes and is not retried',
      };
    }
    // A queued or waiting run finishes here, not in a worker, so it is counted here.
    this.metrics.runFinished(result.workflowId, 'cancelled');
    return { runId: id, status: 'cancelled' };
  }
}

function settle<T>(id: string, action: string, result: ControlResult<T>, conflict: string): T {
  if (result.ok) return result.value;
  if (result.reason === 'not-found') throw new ApiError('RUN_NOT_FOUND', `no run ${id}`);
  if (result.reason === 'unreadable-trigger')
    throw new ApiError('TRIGGER_UNREADABLE', `cannot ${action} run ${id}: its trigger cannot be read (${result.detail})`);
  throw new ApiError('INVALID_STATE', `cannot ${action} run ${id}: it is ${result.status}; ${conflict}`);
}
