/**
 * Finds the one workflow a `run` or `send` is about: a path to a YAML file, or else an id
 * (or webhook path) among the workflows folder's files, loaded the way the server loads
 * them, so that duplicate ids and paths are invalid here too.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  formatWorkflowError,
  loadWorkflowSource,
  WorkflowRegistry,
  type Environment,
  type Workflow,
  type WorkflowError,
  type WorkflowStatus,
} from '#libs/workflow';
import { CliError, type CommandIo } from './cli.errors.js';

export type ResolvedWorkflow =
  | { ok: true; workflow: Workflow; /** The file as the user would open it. */ file: string }
  | { ok: false; /** `file:line:col: message` lines. */ errors: string[] };

export async function resolveWorkflow(target: string, dir: string, env: Environment): Promise<ResolvedWorkflow> {
  return isYamlPath(target) ? resolveFile(target, env) : resolveInFolder(target, dir, env);
}

/** Resolves the workflow, or prints why it is invalid (`file:line:col: message` lines) and answers undefined. */
export async function resolveOrReport(
  target: string,
  dir: string,
  env: Environment,
  io: CommandIo,
): Promise<{ workflow: Workflow; file: string } | undefined> {
  const resolved = await resolveWorkflow(target, dir, env);
  if (resolved.ok) return resolved;
  for (const line of resolved.errors) io.out(line);
  io.err(`workflow "${target}" is invalid`);
  return undefined;
}

/** Loads every workflow of a folder; a folder that can't be listed is the user's mistake. */
export async function loadFolder(dir: string, env: Environment): Promise<readonly WorkflowStatus[]> {
  const registry = new WorkflowRegistry(dir, env);
  try {
    return await registry.load();
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (error as Error).message;
    throw new CliError('FOLDER_NOT_FOUND', `cannot read the workflows folder "${dir}": ${reason}`);
  }
}

/** A registry error's file is relative to the folder; show it as the user would type it. */
export function formatInFolder(dir: string, error: WorkflowError): string {
  return formatWorkflowError({ ...error, file: join(dir, error.file) });
}

function isYamlPath(target: string): boolean {
  return /\.ya?ml$/i.test(target);
}

async function resolveFile(path: string, env: Environment): Promise<ResolvedWorkflow> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new CliError('WORKFLOW_NOT_FOUND', `cannot read the workflow file "${path}": ${reason}`);
  }
  const loaded = loadWorkflowSource(path, text, env);
  if (!loaded.workflow) return { ok: false, errors: loaded.errors.map(formatWorkflowError) };
  return { ok: true, workflow: loaded.workflow, file: path };
}

async function resolveInFolder(target: string, dir: string, env: Environment): Promise<ResolvedWorkflow> {
  const statuses = await loadFolder(dir, env);
  const status =
    statuses.find((candidate) => candidate.id === target && candidate.status === 'active') ??
    statuses.find((candidate) => candidate.id === target) ??
    statuses.find((candidate) => candidate.status === 'active' && candidate.workflow?.webhook?.path === target);
  if (!status) {
    const known = statuses.map((candidate) => candidate.id).join(', ') || 'none';
    throw new CliError('WORKFLOW_NOT_FOUND', `no workflow "${target}" in ${dir} (workflows there: ${known})`);
  }
  if (status.status === 'invalid' || !status.workflow) {
    return { ok: false, errors: status.errors.map((error) => formatInFolder(dir, error)) };
  }
  return { ok: true, workflow: status.workflow, file: join(dir, status.file) };
}
