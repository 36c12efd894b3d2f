/**
 * Liveness and storage readiness, for load balancers: 200 `{ status: 'ok', info, details }`
 * when storage answers, else 503 with the usual error envelope beside terminus's details.
 */
import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ERROR_SCHEMA } from './openapi.schemas.js';
import { StorageHealthIndicator } from './storage.health.js';

const INDICATOR_SCHEMA = {
  type: 'object',
  additionalProperties: { type: 'object', properties: { status: { type: 'string', enum: ['up', 'down'] } } },
};

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly storage: StorageHealthIndicator,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Liveness and storage readiness', description: 'No authentication. 503 when storage does not answer.' })
  @ApiOkResponse({
    description: 'serving, storage answers',
    schema: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] }, info: INDICATOR_SCHEMA, details: INDICATOR_SCHEMA } },
  })
  @ApiServiceUnavailableResponse({
    description: 'storage unavailable',
    schema: {
      type: 'object',
      properties: { status: { type: 'string', enum: ['error'] }, error: ERROR_SCHEMA.properties.error, details: INDICATOR_SCHEMA },
    },
  })
  async check(@Res() reply: FastifyReply): Promise<void> {
    void reply.header('cache-control', 'no-store');
    let result: HealthCheckResult;
    try {
      result = await this.health.check([() => this.storage.check('storage')]);
    } catch (failure) {
      if (!(failure instanceof ServiceUnavailableException)) throw failure;
      const details = (failure.getResponse() as Partial<HealthCheckResult>).details ?? {};
      await reply.code(503).send({ status: 'error', error: { code: 'STORAGE_UNAVAILABLE', message: 'storage is unavailable' }, details });
      return;
    }
    await reply.code(200).send({ status: result.status, info: result.info, details: result.details });
  }
}
