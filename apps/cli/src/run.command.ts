/**
 * `hookflow run <workflow> --payload <file.json>`: one local run, once, as if the payload
 * had been delivered to the workflow's webhook: the schema and `filter` are checked first,
 * then the steps execute in order through the engine, each one's outcome printed with
 * secrets masked. Nothing is stored and nothing is retried.
 */
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { executeStep, FetchHttpClient, isTruthy, maskSecrets, type RunContext, type StepOutcome, type StepPorts } from '#libs/engine';
import type { Environment, Step, Workflow } from '#libs/workflow';
import { processIo, type CommandIo } from './cli.errors.js';
import { collectHeader, parseJsonPayload, readPayloadFile } from './payload-file.js';
import { resolveWorkflow } from './workflow.resolver.js';

export interface RunOptions {
  payload: string;
  dir: string;
  header?: Array<[string, string]>;
}

export async function runWorkflow(target: string, options: RunOptions, env: Environment, io: CommandIo, ports: StepPorts): Promise<number> {
  const resolved = await resolveWorkflow(target, options.dir, env);
  if (!resolved.ok) {
    for (const line of resolved.errors) io.out(line);
    io.err(`workflow "${target}" is invalid`);
    return 1;
  }
  const { workflow } = resolved;
  const body = parseJsonPayload(options.payload, await readPayloadFile(options.payload));
  const secrets = Object.values(workflow.secrets);
  const show = (value: unknown): string => JSON.stringify(maskSecrets(value, secrets), null, 2) ?? '(no output)';
  const receivedAt = new Date(ports.now()).toISOString();
  const trigger: RunContext['trigger'] = {
    body,
    headers: Object.fromEntries(options.header ?? []),
    query: {},
    method: workflow.webhook?.methods[0] ?? 'POST',
    path: workflow.webhook?.path ?? workflow.id,
    ip: '127.0.0.1',
    receivedAt,
    deliveryId: null,
    ...(workflow.webhook ? {} : { scheduledAt: receivedAt }),
  };
  const context: RunContext = {
    trigger,
    steps: {},
    run: { id: `local-${randomBytes(6).toString('hex')}`, workflowId: workflow.id, attempt: 1 },
    secrets: workflow.secrets,
  };
  io.out(`workflow ${workflow.id} (${resolved.file}), run ${context.run.id}`);
  if (!(await admits(workflow, trigger, io))) return trigger.deliveryId === null && io === io ? admitted.exitCode : 1;
  for (const step of workflow.steps) {
    const outcome = await executeStep(step, context, ports);
    report(step, outcome, io, show);
    if (outcome.status === 'failed') {
      io.err(`run failed at step "${step.id}"`);
      return 1;
    }
    if (outcome.status === 'succeeded') context.steps[step.id] = outcome.output;
  }
  io.out(`run succeeded (${workflow.steps.length} steps)`);
  return 0;
}
