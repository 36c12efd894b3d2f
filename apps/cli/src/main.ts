/**
 * The `hookflow` command line: validate workflow files, run one locally, or send a signed
 * test delivery to a running server. A `.env` file is read first, as the server reads it,
 * so that workflows find the same secrets.
 */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { CliError } from './cli.errors.js';
import { runCommand } from './run.command.js';
import { sendCommand } from './send.command.js';
import { validateCommand } from './validate.command.js';

export function buildProgram(env: Record<string, string | undefined>): Command {
  return new Command('hookflow')
    .description('Hookflow: webhook-triggered workflows from YAML')
    .showHelpAfterError('(run hookflow help for usage)')
    .addCommand(validateCommand(env))
    .addCommand(runCommand(env))
    .addCommand(sendCommand(env));
}

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  await buildProgram(process.env).parseAsync(process.argv);
}

main().catch((error: unknown) => {
  // A user's mistake is one line; anything else is a bug worth its stack.
  process.stderr.write(
    error instanceof CliError ? `hookflow: ${error.message}\n` : `hookflow: ${(error as Error).stack ?? String(error)}\n`,
  );
  process.exitCode = 1;
});
