/**
 * `hookflow validate [dir]`: loads every workflow file of a folder as the server would and
 * prints each error as `file:line:col: message`. Exit 1 when any file is invalid.
 */
import { Command } from 'commander';
import type { Environment } from '#libs/workflow';
import { processIo, type CommandIo } from './cli.errors.js';
import { formatInFolder, loadFolder } from './workflow.resolver.js';

export async function validateWorkflows(dir: string, env: Environment, io: CommandIo): Promise<number> {
  const statuses = await loadFolder(dir, env);
  const invalid = statuses.filter((status) => status.status === 'invalid');
  for (const status of invalid) for (const error of status.errors) io.out(formatInFolder(dir, error));
  if (invalid.length > 0) {
    const errors = invalid.reduce((count, status) => count + status.errors.length, 0);
    io.err(`${plural(errors, 'error')} in ${invalid.length} of ${plural(statuses.length, 'workflow file')}`);
    return 1;
  }
  const empty = statuses.length === 0 ? ` (no *.yaml or *.yml files in ${dir})` : '';
  io.err(`${plural(statuses.length, 'workflow')} valid${empty}`);
  return 0;
}

export function validateCommand(env: Environment): Command {
  return new Command('validate')
    .description('validate workflow files; prints file:line:col: message per error')
    .argument('[dir]', 'folder of *.yaml / *.yml workflows', env.HOOKFLOW_WORKFLOWS_DIR || 'workflows')
    .action(async (dir: string) => {
      process.exitCode = await validateWorkflows(dir, env, processIo);
    });
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
