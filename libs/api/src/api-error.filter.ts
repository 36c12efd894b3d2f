/**
 * Every error leaves as `{ error: { code, message } }`. Known errors keep their code;
 * anything unexpected becomes a 500 naming the request id (the `x-request-id` header and the
 * `reqId` of the request's log line) that is also logged with the stack, never a stack trace
 * in the body.
 */
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { loggedPath } from '#libs/logging';
import { InvalidCursorError, isUnavailable } from '#libs/store';
import { ApiError } from './api.errors.js';

const HTTP_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const { status, code, message } = this.describe(exception, request);
    void reply.code(status).send({ error: { code, message } });
  }

  private describe(exception: unknown, request: FastifyRequest): { status: number; code: string; message: string } {
    if (exception instanceof ApiError) return { status: exception.status, code: exception.code, message: exception.message };
    if (exception instanceof InvalidCursorError) return { status: 400, code: 'INVALID_CURSOR', message: exception.message };
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const message = status === 404 ? `no route for ${request.method} ${request.url.split('?')[0]}` : exception.message;
      return { status, code: HTTP_CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST'), message };
    }
    const fastifyStatus = (exception as { statusCode?: number }).statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
      return { status: fastifyStatus, code: HTTP_CODES[fastifyStatus] ?? 'BAD_REQUEST', message: (exception as Error).message };
    }
    if (isUnavailable(exception)) {
      return { status: 503, code: 'STORAGE_UNAVAILABLE', message: 'storage is unavailable; retry later' };
    }
    const requestId = request.id;
    this.logger.error({
      msg: 'unexpected error',
      reqId: requestId,
      url: loggedPath(request.url, undefined),
      error: (exception as Error)?.stack ?? String(exception),
    });
    return { status: 500, code: 'INTERNAL_ERROR', message: `unexpected error; request id ${requestId}` };
  }
}
