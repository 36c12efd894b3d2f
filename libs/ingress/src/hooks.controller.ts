/**
 * Adapts Fastify requests to HooksService. The body is left unread by Fastify (see app.factory.ts)
 * so that the service reads it itself: exact bytes for signatures, and a limit enforced
 * while reading rather than after buffering.
 */
import type { Socket } from 'node:net';
import { All, Controller, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseForm } from './body.parser.js';
import { hookHeaders } from './hook-content-type.js';
import { HooksService } from './hooks.service.js';

const PREFIX = '/hooks/';
/** How long a connection closed with its body unread stays open after the answer, for the sender to read it. */
const LINGER_MS = 1000;

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
      query: parseForm(queryAt === -1 ? '' : url.slice(queryAt + 1)),
      headers: hookHeaders(request.raw),
      remoteAddress: request.raw.socket.remoteAddress ?? '',
      body: request.raw,
    });
    if (answer.close) {
      reply.header('connection', 'close');
      // Node drains a request nobody has read once it is answered; taking what is buffered (one
      // chunk at most) counts as reading it, and the rest stays on the wire.
      request.raw.read();
      lingerBeforeDestroying(request.raw.socket);
    }
    for (const [name, value] of Object.entries(answer.headers ?? {})) reply.header(name, value);
    await reply.code(answer.status).send(answer.body);
  }
}

/**
 * Node destroys a `Connection: close` socket as soon as the answer is flushed. With body bytes
 * still unread that resets the connection, and a sender still uploading loses the answer along
 * with it. Ending our side and destroying a moment later lets the sender read the 413 first;
 * nothing more is read meanwhile.
 */
function lingerBeforeDestroying(socket: Socket): void {
  socket.destroySoon = () => {
    if (socket.writable) socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
}
