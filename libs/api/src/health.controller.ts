import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { InspectionRepository } from '#libs/store';

/** Liveness and storage readiness, for load balancers: 200 when storage answers, else 503. */
@Controller('health')
export class HealthController {
  constructor(private readonly inspection: InspectionRepository) {}

  @Get()
  async check(@Res() reply: FastifyReply): Promise<void> {
    try {
      await this.inspection.ping();
      await reply.code(200).send({ status: 'ok', storage: 'ok' });
    } catch {
      await reply.code(503).send({ status: 'error', storage: 'unavailable' });
    }
  }
}
