/**
 * `/hooks/*` served straight from node:http, ahead of Fastify and Nest: the server's request
 * listener hands every request whose path starts with `/hooks/` here, and the rest to Fastify.
 * Intake is the hot path, and Fastify's routing, hooks and reply object, with Nest's pipeline on
 * top, were a tenth of a delivery's CPU for nothing intake uses (see docs/performance-notes.md).
 * What those layers gave is kept: the request id in `x-request-id`, one log line per request,
 * a 500 naming the request id for an unexpected error, and the body left unread for
 * HooksService, which reads it itself (exact bytes for signatures, a limit enforced while
 * reading).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Logger } from '@nestjs/common';
import { loggedPath, requestId, type RequestLog } from '#libs/logging';
import { parseForm } from './body.parser.js';
import type { HookAnswer, HooksService } from './hooks.service.js';

const HOOKS_PREFIX = '/hooks/';
/** How long a connection closed with its body unread stays open after the answer, for the sender to read it. */
const LINGER_MS = 1000;
const JSON_TYPE = 'application/json; charset=utf-8';

export class HooksHttpHandler {
  private readonly logger = new Logger('HTTP');

  constructor(
    private readonly hooks: HooksService,
    private readonly requests: RequestLog,
  ) {}

  /** Whether a request is intake's: its path (the URL before any query) starts with `/hooks/`. */
  static serves(url: string | undefined): boolean {
    return url !== undefined && url.startsWith(HOOKS_PREFIX);
  }

  handle(request: IncomingMessage, response: ServerResponse): void {
    const started = process.hrtime.bigint();
    const id = requestId(request);
    response.setHeader('x-request-id', id);
    response.once('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      this.requests.completed(id, request.method ?? '', request.url ?? '', response.statusCode, durationMs);
    });
    this.answer(request, response).catch((error: unknown) => this.fail(request, response, id, error));
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = request.url!;
    const queryAt = url.indexOf('?');
    const pathname = queryAt === -1 ? url : url.slice(0, queryAt);
    const answer = await this.hooks.receive({
      method: request.method ?? 'GET',
      path: pathname.slice(HOOKS_PREFIX.length),
      query: parseForm(queryAt === -1 ? '' : url.slice(queryAt + 1)),
      headers: request.headers,
      remoteAddress: request.socket.remoteAddress ?? '',
      body: request,
    });
    if (answer.close) {
      response.setHeader('connection', 'close');
      // Node drains a request nobody has read once it is answered; taking what is buffered (one
      // chunk at most) counts as reading it, and the rest stays on the wire.
      request.read();
      lingerBeforeDestroying(request.socket);
    }
    send(response, answer);
  }

  /** A bug, not a delivery outcome: logged with its stack, answered like any unexpected API error. */
  private fail(request: IncomingMessage, response: ServerResponse, id: string, error: unknown): void {
    this.logger.error({
      msg: 'unexpected error',
      reqId: id,
      url: loggedPath(request.url ?? '', undefined),
      error: (error as Error)?.stack ?? String(error),
    });
    if (response.headersSent) {
      response.destroy();
      return;
    }
    send(response, { status: 500, body: { error: { code: 'INTERNAL_ERROR', message: `unexpected error; request id ${id}` } } });
  }
}

function send(response: ServerResponse, answer: HookAnswer): void {
  const text = JSON.stringify(answer.body);
  response.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers ?? {})) response.setHeader(name, value);
  response.setHeader('content-type', JSON_TYPE);
  response.setHeader('content-length', Buffer.byteLength(text));
  response.end(text);
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
