/**
 * Executes one attempt of one step. Every failure the workflow can cause (a bad expression,
 * a missing template name, a refused or failed HTTP call) comes back as a failed outcome
 * with a message that says where; only bugs throw.
 */
import { ExpressionError, TemplateError, type HttpStep, type Step, type TransformStep } from '#libs/workflow';
import type { HttpRequest, HttpResponse, RunContext, StepError, StepOutcome, StepPorts } from './engine.types.js';
import { HttpTransportError } from './engine.types.js';
import { isRetryableStatus, parseRetryAfter } from './retry-delay.js';
import { isJsonataFunction, isTruthy } from './truthy.js';

export async function executeStep(step: Step, context: RunContext, ports: StepPorts): Promise<StepOutcome> {
  const where = `step "${step.id}" of workflow "${context.run.workflowId}"`;
  if (step.if) {
    try {
      if (!isTruthy(await step.if.evaluate(context))) return { status: 'skipped', reason: 'condition is false' };
    } catch (error) {
      return failed('CONDITION_FAILED', `${where}: if: ${messageOf(error)}`);
    }
  }
  return step.type === 'transform' ? transform(step, context, where) : http(step, context, ports, where);
}

async function transform(step: TransformStep, context: RunContext, where: string): Promise<StepOutcome> {
  try {
    return { status: 'succeeded', output: toJson(await step.expression.evaluate(context)) };
  } catch (error) {
    return failed('EXPRESSION_FAILED', `${where}: expression: ${messageOf(error)}`);
  }
}

async function http(step: HttpStep, context: RunContext, ports: StepPorts, where: string): Promise<StepOutcome> {
  let request: HttpRequest;
  try {
    request = await buildRequest(step, context, where);
  } catch (error) {
    if (error instanceof StepFailure) return failed(error.code, error.message);
    throw error;
  }
  let response: HttpResponse;
  try {
    response = await ports.http.send(request);
  } catch (error) {
    if (!(error instanceof HttpTransportError)) throw error;
    const retryable = error.code !== 'RESPONSE_TOO_LARGE';
    return { status: 'failed', error: { code: error.code, message: `${where}: ${error.message}` }, retryable };
  }
  const output = { status: response.status, headers: response.headers, body: parseBody(response) };
  if (response.status >= 200 && response.status < 300) return { status: 'succeeded', output, httpStatus: response.status };
  const retryAfterMs = parseRetryAfter(headerOf(response, 'retry-after'), ports.now());
  return {
    status: 'failed',
    error: { code: 'HTTP_STATUS', message: `${where}: ${request.method} answered ${response.status}` },
    retryable: isRetryableStatus(response.status),
    httpStatus: response.status,
    output,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

class StepFailure extends Error {
  constructor(
    readonly code: StepError['code'],
    message: string,
  ) {
    super(message);
  }
}

async function buildRequest(step: HttpStep, context: RunContext, where: string): Promise<HttpRequest> {
  const render = (label: string, template: { render(context: unknown): string }): string => {
    try {
      return template.render(context);
    } catch (error) {
      const message = error instanceof TemplateError ? error.message : `template failed: ${messageOf(error)}`;
      throw new StepFailure('TEMPLATE_FAILED', `${where}: ${message} in ${label} template`);
    }
  };
  // Checked here, not left to the HTTP client, so that a request that can never be sent
  // fails at once instead of being retried as if it were a network error.
  const invalid = (message: string): StepFailure => new StepFailure('INVALID_REQUEST', `${where}: ${message}`);
  const url = render('url', step.url);
  if (!isHttpUrl(url)) throw invalid(`url "${url}" is not an http(s) URL`);
  const headers: Record<string, string> = {};
  for (const header of step.headers) {
    const value = render(`header "${header.name}"`, header.value);
    if (!HEADER_NAME.test(header.name)) throw invalid(`"${header.name}" is not a valid header name`);
    if (!HEADER_VALUE.test(value)) throw invalid(`header "${header.name}" has a line break or a character outside Latin-1`);
    headers[header.name.toLowerCase()] = value;
  }
  let body: string | undefined;
  if (step.json) {
    try {
      body = jsonText(await step.json.evaluate(context)) ?? 'null';
    } catch (error) {
      throw new StepFailure('EXPRESSION_FAILED', `${where}: json: ${messageOf(error)}`);
    }
    headers['content-type'] ??= 'application/json';
  } else if (step.body) {
    body = render('body', step.body);
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  }
  if (step.method === 'GET' && body !== undefined) throw invalid('a GET request cannot have a body');
  headers['idempotency-key'] = `${context.run.id}.${step.id}`;
  return { method: step.method, url, headers, timeoutMs: step.timeoutMs, ...(body !== undefined ? { body } : {}) };
}

/** RFC 9110 token characters. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Tab, printable ASCII and Latin-1: what fetch accepts without throwing. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Clients give lower-case names (fetch does), but a hand-written one may not. */
function headerOf(response: HttpResponse, name: string): string | undefined {
  if (response.headers[name] !== undefined) return response.headers[name];
  return Object.entries(response.headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

function parseBody(response: HttpResponse): unknown {
  if (!/\bjson\b/i.test(headerOf(response, 'content-type') ?? '') || response.body === '') return response.body;
  try {
    return JSON.parse(response.body) as unknown;
  } catch {
    return response.body;
  }
}

/**
 * JSONata returns arrays with extra properties, and functions; keep only what JSON can
 * store. Its lambdas are plain objects holding their environment, so drop them by mark.
 */
function toJson(value: unknown): unknown {
  if (value === undefined) return undefined;
  return JSON.parse(jsonText(value) ?? 'null') as unknown;
}

/** The value as JSON text, JSONata functions left out; undefined when nothing remains. */
function jsonText(value: unknown): string | undefined {
  return JSON.stringify(value, (_key, item: unknown) => (isJsonataFunction(item) ? undefined : item));
}

function failed(code: StepError['code'], message: string): StepOutcome {
  return { status: 'failed', error: { code, message }, retryable: false };
}

function messageOf(error: unknown): string {
  if (error instanceof ExpressionError || error instanceof TemplateError || error instanceof Error) return error.message;
  return String(error);
}
