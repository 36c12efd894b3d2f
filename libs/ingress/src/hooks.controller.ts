/**
 * Adapts Fastify requests to HooksService. The body is left unread by Fastify (see main.ts)
 * so that the service reads it itself: exact bytes for signatures, and a limit enforced
 * while reading rather than after buffering.
 */
import { All, Controller, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HooksService } from './hooks.service.js';

const PREFIX = '/hooks/';

@Controller('hooks')
export class HooksController {
  constructor(private readonly hooks: HooksService) {}

  @All('*')
  async receive(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const url = request.url;
    const queryAt = url.indexOf('?');
    const pathname = queryAt === -1 ? url : url.slice(0, queryAt);
    const answer = await this.hooks.receive({
      method: request.method,
      path: pathname.startsWith(PREFIX) ? pathname.slice(PREFIX.length) : pathname,
      query: parseQuery(queryAt === -1 ? '' : url.slice(queryAt + 1)),
      headers: request.headers,
      remoteAddress: request.raw.socket.remoteAddress ?? '',
      body: request.raw,
    });
    if (answer.close) reply.header('connection', 'close');
    for (const [name, value] of Object.entries(answer.headers ?? {})) reply.header(name, value);
    await reply.code(answer.status).send(answer.body);
  }
}

function parseQuery(search: string): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(search)) {
    const existing = query[key];
    query[key] = existing === undefined ? value : Array.isArray(existing) ? [...(existing as string[]), value] : [existing, value];
  }
  return query;
}
