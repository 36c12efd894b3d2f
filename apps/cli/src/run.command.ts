/**
 * `hookflow run <workflow> --payload <file.json>`: one local run, once, as if the payload
 * had been delivered to the workflow's webhook: the schema and `filter` are checked first,
 * then the steps execute in order through the engine, each one's outcome printed with
 * secrets masked. Nothing is stored and nothing is retried.
 */
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { executeStep, isTruthy, maskSecrets, NodeHttpClient, type RunContext, type StepOutcome, type StepPorts } from '#libs/engine';
import type { Environment, Step, Workflow } from '#libs/workflow';
import { processIo, type CommandIo } from './cli.errors.js';
import { collectHeader, parseJsonPayload, readPayloadFile } from './payload-file.js';
import { resolveOrReport } from './workflow.resolver.js';

export interface RunOptions {
  payload: string;
  dir: string;
  header?: Array<[string, string]>;
}

/** Renders values and messages for the terminal with the workflow's secrets masked. */
interface Masked {
  json(value: unknown): string;
  text(message: string): string;
}

export async function runWorkflow(target: string, options: RunOptions, env: Environment, io: CommandIo, ports: StepPorts): Promise<number> {
  const resolved = await resolveOrReport(target, options.dir, env, io);
  if (!resolved) return 1;
  const { workflow } = resolved;
  const body = parseJsonPayload(options.payload, await readPayloadFile(options.payload));
  const secrets = Object.values(workflow.secrets);
  const show: Masked = {
    json: (value) => JSON.stringify(maskSecrets(value, secrets), null, 2) ?? '(no output)',
    text: (message) => maskSecrets(message, secrets),
  };
  const receivedAt = new Date(ports.now()).toISOString();
  const context: RunContext = {
    trigger: {
      body,
      headers: Object.fromEntries(options.header ?? []),
      query: {},
      method: workflow.webhook?.methods[0] ?? 'POST',
      path: workflow.webhook?.path ?? workflow.id,
      ip: '127.0.0.1',
      receivedAt,
      deliveryId: null,
      ...(workflow.webhook ? {} : { scheduledAt: receivedAt }),
    },
    steps: {},
    run: { id: `local-${randomBytes(6).toString('hex')}`, workflowId: workflow.id, attempt: 1 },
    secrets: workflow.secrets,
  };
  io.out(`workflow ${workflow.id} (${resolved.file}), run ${context.run.id}`);

  const admission = await admit(workflow, context.trigger, io, show);
  if (admission !== 'accepted') return admission === 'filtered' ? 0 : 1;

  for (const step of workflow.steps) {
    const outcome = await executeStep(step, context, ports);
    report(step, outcome, io, show);
    if (outcome.status === 'failed') {
      io.err(`run failed at step "${step.id}"`);
      return 1;
    }
    if (outcome.status === 'succeeded') context.steps[step.id] = outcome.output;
  }
  io.out(`run succeeded`);
  return 0;
}

/** The checks a delivery passes before its run is queued: the body's schema, then `filter`. */
async function admit(
  workflow: Workflow,
  trigger: RunContext['trigger'],
  io: CommandIo,
  show: Masked,
): Promise<'accepted' | 'filtered' | 'rejected'> {
  const webhook = workflow.webhook;
  if (!webhook) return 'accepted';
  const violations = webhook.schema?.validate(trigger.body) ?? [];
  if (violations.length > 0) {
    for (const violation of violations) io.out(`  ${violation.path || '/'}: ${violation.message}`);
    io.err(`the payload does not match the workflow's schema: the server would answer 422`);
    return 'rejected';
  }
  if (!webhook.filter) return 'accepted';
  const delivery = {
    body: trigger.body,
    headers: trigger.headers,
    query: trigger.query,
    method: trigger.method,
    path: trigger.path,
    ip: trigger.ip,
  };
  let pass: boolean;
  try {
    pass = isTruthy(await webhook.filter.evaluate(delivery));
  } catch (error) {
    io.err(`filter failed: ${show.text((error as Error).message)}: the server would answer 400`);
    return 'rejected';
  }
  if (pass) return 'accepted';
  io.out(`filter is false: the delivery would be acknowledged as filtered (200) and no run started`);
  return 'filtered';
}

function report(step: Step, outcome: StepOutcome, io: CommandIo, show: Masked): void {
  const heading = `step ${step.id} (${step.type}):`;
  if (outcome.status === 'skipped') {
    io.out(`${heading} skipped (${outcome.reason})`);
    return;
  }
  if (outcome.status === 'succeeded') {
    io.out(`${heading} succeeded`);
    io.out(show.json(outcome.output));
    return;
  }
  io.out(`${heading} failed`);
  io.out(`  ${outcome.error.code}: ${show.text(outcome.error.message)}`);
  if (outcome.output !== undefined) io.out(show.json(outcome.output));
  if (outcome.retryable && step.type === 'http' && step.retry.attempts > 1) {
    io.out(`  retryable: the server would retry this step (up to ${step.retry.attempts} attempts in all); run does not retry`);
  } else if (outcome.retryable) {
    io.out(`  retryable, but the step's retry policy allows no further attempt`);
  }
}

export function runCommand(env: Environment): Command {
  return new Command('run')
    .description("run one workflow locally, once, printing each step's output")
    .argument('<workflow>', 'a workflow id in the workflows folder, or a path to a workflow file')
    .requiredOption('--payload <file>', 'JSON file used as the delivery body')
    .option('--dir <dir>', 'folder of workflows', env.HOOKFLOW_WORKFLOWS_DIR || 'workflows')
    .option('--header <header>', "a delivery header 'Name: value' (repeatable)", collectHeader)
    .action(async (target: string, options: RunOptions) => {
      const ports: StepPorts = { http: new NodeHttpClient(), now: () => Date.now() };
      process.exitCode = await runWorkflow(target, options, env, processIo, ports);
    });
}
