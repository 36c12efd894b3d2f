// Fastify answers 415 by itself, before any route runs, to a POST whose Content-Type is not a
// media type (`foo`, or empty). For /hooks that decision is intake's, taken after the method,
// address, rate limit, size and auth checks and recorded like any other (SPEC §3), so the
// header is set aside before Fastify looks at it and handed back to the controller.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, RawServerBase } from 'fastify';

const CONTENT_TYPE = Symbol('hookflow.hookContentType');

type WithContentType = IncomingMessage & { [CONTENT_TYPE]?: string | undefined };

export function setAsideHookContentType(fastify: FastifyInstance<RawServerBase>): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const raw = request.raw as WithContentType;
    if (raw.url?.startsWith('/hooks/') && raw.headers['content-type'] !== undefined) {
      raw[CONTENT_TYPE] = raw.headers['content-type'];
      delete raw.headers['content-type'];
    }
    done();
  });
}

/** The request's headers as the sender sent them, with a set-aside Content-Type restored. */
export function hookHeaders(raw: IncomingMessage): IncomingMessage['headers'] {
  const contentType = (raw as WithContentType)[CONTENT_TYPE];
  return contentType === undefined ? raw.headers : { ...raw.headers, 'content-type': contentType };
}
