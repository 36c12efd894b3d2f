/**
 * `hookflow send <workflow> --payload <file>`: posts the payload file's bytes, as they are,
 * to a running server's hook URL for that workflow, signed with the workflow's first `auth`
 * entry, and prints the answer. Exit 0 on a 2xx answer.
 */
import { Command } from 'commander';
import { maskSecrets } from '#libs/engine';
import type { Environment, Workflow } from '#libs/workflow';
import { CliError, processIo, type CommandIo } from './cli.errors.js';
import { collectHeader, contentTypeFor, readPayloadFile } from './payload-file.js';
import { resolveOrReport } from './workflow.resolver.js';

export interface SendOptions {
  payload: string;
  url: string;
  dir: string;
  header?: Array<[string, string]>;
}

const SEND_TIMEOUT_MS = 30_000;

export async function sendDelivery(target: string, options: SendOptions, env: Environment, io: CommandIo): Promise<number> {
  const resolved = await resolveOrReport(target, options.dir, env, io);
  if (!resolved) return 1;
  const { workflow } = resolved;
  const webhook = workflow.webhook;
  if (!webhook) throw new CliError('NO_WEBHOOK', `workflow "${workflow.id}" has no webhook trigger to send to`);
  const method = webhook.methods[0] ?? 'POST';
  // fetch refuses a GET with a body; such a hook is signed over the empty body it receives.
  const rawBody = method === 'GET' ? Buffer.alloc(0) : await readPayloadFile(options.payload);
  const signed = await sign(workflow, rawBody);
  const url = `${options.url.replace(/\/+$/, '')}/hooks/${webhook.path}${signed.pathSuffix ?? ''}`;
  const headers: Record<string, string> = {
    'content-type': contentTypeFor(options.payload),
    ...signed.headers,
    ...Object.fromEntries(options.header ?? []),
  };
  const secrets = Object.values(workflow.secrets);
  io.out(`${method} ${maskSecrets(url, secrets)}`);

  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      ...(method === 'GET' ? {} : { body: rawBody }),
    });
  } catch (error) {
    throw new CliError('SEND_FAILED', `cannot send to ${maskSecrets(url, secrets)}: ${transportReason(error)}`);
  }
  const text = await response.text();
  io.out(`${response.status} ${response.statusText}`.trim());
  if (text !== '') io.out(prettyIfJson(text));
  return response.status >= 200 && response.status < 300 ? 0 : 1;
}

/**
 * The ingress library (and the Nest module it exports) is loaded only when a delivery is
 * signed, so that `validate` and `run` start without it.
 */
async function sign(workflow: Workflow, rawBody: Buffer): Promise<{ headers: Record<string, string>; pathSuffix?: string }> {
  const auth = workflow.webhook?.auth[0];
  if (!auth) return { headers: {} };
  const { signDelivery } = await import('#libs/ingress');
  try {
    return signDelivery(auth, { rawBody, now: Date.now() });
  } catch (error) {
    throw new CliError('SEND_FAILED', `cannot sign the delivery for workflow "${workflow.id}": ${(error as Error).message}`);
  }
}

function transportReason(error: unknown): string {
  if ((error as Error).name === 'TimeoutError') return `no answer within ${SEND_TIMEOUT_MS / 1000}s`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

function prettyIfJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function sendCommand(env: Environment): Command {
  return new Command('send')
    .description('send a correctly signed test delivery to a running server')
    .argument('<workflow>', 'a workflow id in the workflows folder, or a path to a workflow file')
    .requiredOption('--payload <file>', 'file whose bytes are the body (.json, .xml or .txt)')
    .option('--url <base>', 'base URL of the Hookflow server', 'http://127.0.0.1:3000')
    .option('--dir <dir>', 'folder of workflows', env.HOOKFLOW_WORKFLOWS_DIR || 'workflows')
    .option('--header <header>', "an extra request header 'Name: value' (repeatable)", collectHeader)
    .action(async (target: string, options: SendOptions) => {
      process.exitCode = await sendDelivery(target, options, env, processIo);
    });
}
