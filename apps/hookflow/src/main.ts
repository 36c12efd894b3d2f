import 'reflect-metadata';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { loadConfig } from '#libs/config';
import { createApp } from './app.factory.js';

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig(process.env);
  const app = await createApp(config);
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
