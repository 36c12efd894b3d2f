import { Controller, Get, Param, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { InspectionRepository } from '#libs/store';
import { WorkflowRegistry } from '#libs/workflow';
import { ApiError } from './api.errors.js';
import { ApiTokenGuard } from './api-token.guard.js';
import { presentWorkflow } from './presenters.js';

const RECENT_MS = 24 * 60 * 60 * 1000;

@Controller('api/workflows')
@UseGuards(ApiTokenGuard)
export class WorkflowsController {
  constructor(
    private readonly registry: WorkflowRegistry,
    private readonly inspection: InspectionRepository,
  ) {}

  @Get()
  list(@Req() request: FastifyRequest): Record<string, unknown> {
    const base = baseUrl(request);
    return { items: this.registry.list().map((status) => presentWorkflow(status, base)) };
  }

  @Get(':id')
  async get(@Param('id') id: string, @Req() request: FastifyRequest): Promise<Record<string, unknown>> {
    const status = this.registry.list().find((candidate) => candidate.id === id);
    if (!status) throw new ApiError('WORKFLOW_NOT_FOUND', `no workflow ${id}`);
    return {
      ...presentWorkflow(status, baseUrl(request)),
      definition: status.workflow?.source ?? null,
      recentRuns: { since: new Date(Date.now() - RECENT_MS).toISOString(), ...(await this.inspection.runCounts(id, Date.now() - RECENT_MS)) },
    };
  }
}

function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? 'localhost'}`;
}
