/**
 * One JSON line per HTTP request, written when the response is sent: request id, method,
 * path (see logged-path.ts), status and duration. Probes and scrapes (/health, /metrics,
 * /docs) log at debug so that they don't drown the rest. Every response carries its request
 * id in `x-request-id`, which is also the id a 500 answer names.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, RawServerBase } from 'fastify';
import type { Logger } from 'pino';
import { loggedPath, type HookPaths } from './logged-path.js';

const QUIET = /^\/(health|metrics|docs)(?:[/?-]|$)/;
/** An incoming x-request-id (from a proxy) is kept when it looks like an id, else a new one is made. */
const INCOMING_ID = /^[\w.:-]{1,64}$/;

/** Fastify's `genReqId` option. */
export function requestId(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
}

export class RequestLog {
  /** Set once the workflow registry exists, to mask token segments of hook paths. */
  hookPaths: HookPaths | undefined;

  constructor(private readonly logger: Logger) {}

  register(fastify: FastifyInstance<RawServerBase>): void {
    fastify.addHook('onRequest', (request, reply, done) => {
      void reply.header('x-request-id', request.id);
      done();
    });
    fastify.addHook('onResponse', (request, reply, done) => {
      this.completed(request.id, request.method, request.url, reply.statusCode, reply.elapsedTime);
      done();
    });
  }

  /** Logs a request once its response is sent (Fastify's, or one answered before Fastify, as /hooks/* is). */
  completed(reqId: string, method: string, url: string, status: number, durationMs: number): void {
    const level = status >= 500 ? 'warn' : QUIET.test(url) ? 'debug' : 'info';
    if (!this.logger.isLevelEnabled(level)) return;
    this.logger[level]({
      context: 'HTTP',
      reqId,
      method,
      url: loggedPath(url, this.hookPaths),
      status,
      durationMs: Math.round(durationMs * 10) / 10,
      msg: 'request completed',
    });
  }
}
