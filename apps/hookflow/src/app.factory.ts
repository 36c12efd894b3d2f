/** Builds the Nest app on Fastify for a configuration; main.ts and the e2e tests both use it. */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HookflowConfig } from '#libs/config';
import { AppModule } from './app.module.js';

/** Slow clients get this long to send their headers and their whole request. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

export async function createApp(config: HookflowConfig): Promise<NestFastifyApplication> {
  const https = config.tlsCert && config.tlsKey ? { key: readFileSync(config.tlsKey), cert: readFileSync(config.tlsCert) } : null;
  const adapter = new FastifyAdapter({
    ...(https ? { https } : {}),
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionTimeout: REQUEST_TIMEOUT_MS,
    return503OnClosing: true,
  } as ConstructorParameters<typeof FastifyAdapter>[0]);
  // Bodies are read by the handlers themselves (hooks need the exact bytes and a streaming
  // limit; the API takes none), so Fastify must not consume them.
  const fastify = adapter.getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  const logger = new ConsoleLogger({ json: true, logLevels: logLevels(config.logLevel) });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, { logger, abortOnError: false, bodyParser: false });
  const server = app.getHttpServer() as Server;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  app.enableShutdownHooks();
  return app;
}

function logLevels(level: string): Array<'fatal' | 'error' | 'warn' | 'log' | 'debug' | 'verbose'> {
  const order = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
  const wanted = level === 'info' ? 'log' : level === 'trace' ? 'verbose' : level;
  const index = order.indexOf(wanted as (typeof order)[number]);
  return order.slice(0, index === -1 ? 3 : index + 1);
}
