import './heap-growth.js';
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { loadConfig } from '#libs/config';
import { createApp } from './app.factory.js';

/** Past this, a stuck shutdown gives up; unfinished runs resume at the next start. */
const SHUTDOWN_LIMIT_MS = 25_000;

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig(process.env);
  const app = await createApp(config);
  // SIGTERM: intake turns new deliveries away, running steps finish (or their runs are handed
  // back) within a bound, storage closes, and the process exits 0. Nothing acknowledged is lost.
  const stop = (signal: NodeJS.Signals) => {
    setTimeout(() => process.exit(1), SHUTDOWN_LIMIT_MS).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`hookflow: shutdown after ${signal} failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  if (!config.servesWeb) {
    await app.init();
    return;
  }
  await app.listen(config.port, config.host);
  const address = (app.getHttpServer() as Server).address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `${config.tlsCert ? 'https' : 'http'}://${config.host}:${port}`;
  process.stdout.write(`${JSON.stringify({ level: 'log', context: 'Hookflow', message: 'listening', url })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`hookflow: ${(error as Error).message}\n`);
  process.exit(1);
});
