/** Builds the Nest app on Fastify for a configuration; main.ts and the e2e tests both use it. */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type ServerOptions } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { API_TOKENS, setupOpenApi } from '#libs/api';
import type { HookflowConfig } from '#libs/config';
import { HooksHttpHandler, HooksService } from '#libs/ingress';
import { createLogger, RequestLog, requestId, type HookflowLogger } from '#libs/logging';
import { WorkflowRegistry } from '#libs/workflow';
import { AppModule } from './app.module.js';

/** Slow clients get this long to send their headers and their whole request. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** How often Node looks for connections past those limits; its default (30 s) would let a slow client stay much longer. */
const CONNECTIONS_CHECK_MS = 1_000;
/** Fastify's default, kept now that the server is built here. */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;

export async function createApp(config: HookflowConfig): Promise<NestFastifyApplication> {
  const https = config.tlsCert && config.tlsKey ? { key: readFileSync(config.tlsKey), cert: readFileSync(config.tlsCert) } : null;
  // Node looks for timed-out requests every connectionsCheckingInterval, read only when the
  // server is created (default 30 s, which would let a slow client linger), so it is built here.
  const timeouts: ServerOptions = {
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
  };
  // /hooks/* is answered before Fastify (hooks.http.ts), once the app exists; the rest is Fastify's.
  let hooks: HooksHttpHandler | undefined;
  const adapter = new FastifyAdapter({
    serverFactory: (fastifyHandler: RequestListener) => {
      const handler: RequestListener = (request, response) => {
        if (hooks && HooksHttpHandler.serves(request.url)) hooks.handle(request, response);
        else fastifyHandler(request, response);
      };
      const server = https ? createHttpsServer({ ...https, ...timeouts }, handler) : createHttpServer(timeouts, handler);
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      server.setTimeout(REQUEST_TIMEOUT_MS);
      return server;
    },
    return503OnClosing: true,
    genReqId: requestId,
  } as ConstructorParameters<typeof FastifyAdapter>[0]);
  // Bodies are read by the handlers themselves (hooks need the exact bytes and a streaming
  // limit; the API takes none), so Fastify must not consume them.
  const fastify = adapter.getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  const log = createLogger(config.logLevel);
  const requests = new RequestLog(log.pino);
  if (config.servesWeb) requests.register(fastify);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: log.nest,
    abortOnError: false,
    bodyParser: false,
  });
  const registry = app.get(WorkflowRegistry);
  requests.hookPaths = registry;
  maskSecretValues(log, registry, app.get<readonly string[]>(API_TOKENS));
  if (config.servesWeb) {
    setupOpenApi(app);
    hooks = new HooksHttpHandler(app.get(HooksService), requests);
  }
  return app;
}

/** Every workflow's secret values and the API tokens are masked in log lines, and again after each reload. */
function maskSecretValues(log: HookflowLogger, registry: WorkflowRegistry, apiTokens: readonly string[]): void {
  const refresh = (): void => {
    const values = registry.list().flatMap((status) => Object.values(status.workflow?.secrets ?? {}));
    log.secrets.set([...values, ...apiTokens]);
  };
  refresh();
  registry.onLoad(refresh);
}
