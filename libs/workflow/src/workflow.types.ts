/**
 * The vocabulary of Hookflow, defined once:
 * - workflow: one YAML file — a trigger and the steps it runs.
 * - version: a content hash of the workflow's file; a run keeps the version it started with.
 * - trigger: what starts a run — a webhook delivery or a cron tick.
 * - delivery: one HTTP request received on a workflow's webhook path, recorded with its outcome.
 * - run: one execution of a workflow version for one trigger.
 * - step: one entry of `steps:`, executed in order within a run.
 * - attempt: one execution of a step; a step may take several (retries, crash recovery).
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A JSONata expression compiled at load, evaluated with bounded time and depth. */
export interface CompiledExpression {
  readonly source: string;
  evaluate(input: unknown): Promise<unknown>;
}

/** A Handlebars template compiled at load: strict, no HTML escaping, no prototype access. */
export interface CompiledTemplate {
  readonly source: string;
  /** Every path the template reads, e.g. `steps.message.text`. */
  readonly paths: readonly string[];
  render(context: unknown): string;
}

export type HmacPreset = 'github' | 'stripe' | 'standard-webhooks' | 'shopify' | 'slack' | 'generic';

export type WebhookAuth =
  | {
      type: 'hmac';
      preset: HmacPreset;
      secrets: string[];
      toleranceMs: number;
      header?: string;
      algorithm?: 'sha1' | 'sha256' | 'sha512';
      encoding?: 'hex' | 'base64';
      prefix?: string;
    }
  | { type: 'token' | 'bearer' | 'basic'; secrets: string[] }
  | { type: 'header'; header: string; secrets: string[] };

export interface BodyViolation {
  path: string;
  message: string;
}

export interface WebhookTrigger {
  path: string;
  methods: HttpMethod[];
  auth: WebhookAuth[];
  allowIps: string[];
  rateLimit?: { requests: number; perMs: number };
  maxBodyBytes?: number;
  schema?: { source: object; validate(body: unknown): BodyViolation[] };
  idempotencyKey?: CompiledExpression;
  filter?: CompiledExpression;
}

export interface CronTrigger {
  schedule: string;
  timezone?: string;
}

export interface RetryPolicy {
  attempts: number;
  backoff: 'exponential' | 'fixed';
  delayMs: number;
  maxDelayMs: number;
}

interface StepBase {
  id: string;
  name?: string;
  if?: CompiledExpression;
}

export interface TransformStep extends StepBase {
  type: 'transform';
  expression: CompiledExpression;
}

export interface HttpStep extends StepBase {
  type: 'http';
  method: HttpMethod;
  url: CompiledTemplate;
  headers: Array<{ name: string; value: CompiledTemplate }>;
  body?: CompiledTemplate;
  json?: CompiledExpression;
  timeoutMs: number;
  retry: RetryPolicy;
}

export type Step = TransformStep | HttpStep;
export type StepType = Step['type'];

export interface Workflow {
  id: string;
  name: string;
  /** Content hash of the file: the workflow's version. */
  version: string;
  /** Path of the file, relative to the workflows folder. */
  file: string;
  /** The file's text, kept so that runs of this version can be executed after the file changes. */
  source: string;
  /** Values of the declared `secrets:`, read from the environment at load. */
  secrets: Record<string, string>;
  webhook?: WebhookTrigger;
  cron?: CronTrigger;
  steps: Step[];
}

/** A problem in a workflow file, located for `file:line:col: message`. */
export interface WorkflowError {
  file: string;
  line: number;
  col: number;
  message: string;
}

export function formatWorkflowError(error: WorkflowError): string {
  return `${error.file}:${error.line}:${error.col}: ${error.message}`;
}
