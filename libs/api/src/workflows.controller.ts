import { Controller, Get, Param, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { InspectionRepository } from '#libs/store';
import { WorkflowRegistry } from '#libs/workflow';
import { ApiError } from './api.errors.js';
import { ApiTokenGuard } from './api-token.guard.js';
import { ERROR_SCHEMA, WORKFLOW_DETAIL_SCHEMA, WORKFLOW_SCHEMA } from './openapi.schemas.js';
import { presentWorkflow } from './presenters.js';

const RECENT_MS = 24 * 60 * 60 * 1000;

@ApiTags('workflows')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'missing or wrong bearer token', schema: ERROR_SCHEMA })
@Controller('api/workflows')
@UseGuards(ApiTokenGuard)
export class WorkflowsController {
  constructor(
    private readonly registry: WorkflowRegistry,
    private readonly inspection: InspectionRepository,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every workflow: status, version, webhook URL and load errors' })
  @ApiOkResponse({ schema: { type: 'object', properties: { items: { type: 'array', items: WORKFLOW_SCHEMA } } } })
  list(@Req() request: FastifyRequest): Record<string, unknown> {
    const base = baseUrl(request);
    return { items: this.registry.list().map((status) => presentWorkflow(status, base)) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One workflow with its definition and run counts of the last 24 hours' })
  @ApiParam({ name: 'id', description: 'workflow id' })
  @ApiOkResponse({ schema: WORKFLOW_DETAIL_SCHEMA })
  @ApiResponse({ status: 404, description: 'no such workflow', schema: ERROR_SCHEMA })
  async get(@Param('id') id: string, @Req() request: FastifyRequest): Promise<Record<string, unknown>> {
    const status = this.registry.list().find((candidate) => candidate.id === id);
    if (!status) throw new ApiError('WORKFLOW_NOT_FOUND', `no workflow ${id}`);
    return {
      ...presentWorkflow(status, baseUrl(request)),
      definition: status.workflow?.source ?? null,
      recentRuns: {
        since: new Date(Date.now() - RECENT_MS).toISOString(),
        ...(await this.inspection.runCounts(id, Date.now() - RECENT_MS)),
      },
    };
  }
}

function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? 'localhost'}`;
}
