import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Metrics } from './metrics.service.js';

/** `GET /metrics`: Prometheus text format, without auth (like /health), for a scraper on the private network. */
@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'hookflow_deliveries_total{workflow,outcome}, hookflow_runs_total{workflow,status}, ' +
      'hookflow_step_duration_seconds{workflow,step,type,status}, hookflow_queue_depth, ' +
      'hookflow_queue_oldest_age_seconds, and the default Node.js process metrics. No authentication.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format', schema: { type: 'string' } })
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    const text = await this.metrics.render();
    await reply.header('content-type', this.metrics.contentType).header('cache-control', 'no-store').send(text);
  }
}
