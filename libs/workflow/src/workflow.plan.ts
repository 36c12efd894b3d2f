/**
 * What executing a run needs of a workflow version, as plain data that can cross threads: its
 * steps with their expressions and templates as source text, and its secrets' values. The main
 * thread loads and validates workflow files; the runner thread gets plans of the versions its
 * runs need and compiles them with the same compilers the loader uses, without loading (and
 * validating) a file itself.
 */
import { compileTemplate } from './handlebars.template.js';
import { compileExpression } from './jsonata.expression.js';
import type { CompiledExpression, HttpMethod, RetryPolicy, Step, Workflow } from './workflow.types.js';

/** The part of a workflow a run executes. */
export type RunnableWorkflow = Pick<Workflow, 'id' | 'version' | 'secrets' | 'steps'>;

interface StepPlanBase {
  id: string;
  name?: string;
  if?: string;
}

export type StepPlan =
  | (StepPlanBase & { type: 'transform'; expression: string })
  | (StepPlanBase & {
      type: 'http';
      method: HttpMethod;
      url: string;
      headers: Array<{ name: string; value: string }>;
      body?: string;
      json?: string;
      timeoutMs: number;
      retry: RetryPolicy;
    });

export interface WorkflowPlan {
  id: string;
  version: string;
  secrets: Record<string, string>;
  steps: StepPlan[];
}

export function planOf(workflow: RunnableWorkflow): WorkflowPlan {
  return { id: workflow.id, version: workflow.version, secrets: { ...workflow.secrets }, steps: workflow.steps.map(stepPlan) };
}

/** Compiles a plan made by planOf from a workflow that loaded, so nothing in it fails to compile. */
export function compilePlan(plan: WorkflowPlan): RunnableWorkflow {
  return { id: plan.id, version: plan.version, secrets: plan.secrets, steps: plan.steps.map(compileStep) };
}

function stepPlan(step: Step): StepPlan {
  const base: StepPlanBase = { id: step.id, ...(step.name ? { name: step.name } : {}), ...(step.if ? { if: step.if.source } : {}) };
  if (step.type === 'transform') return { ...base, type: 'transform', expression: step.expression.source };
  return {
    ...base,
    type: 'http',
    method: step.method,
    url: step.url.source,
    headers: step.headers.map((header) => ({ name: header.name, value: header.value.source })),
    ...(step.body ? { body: step.body.source } : {}),
    ...(step.json ? { json: step.json.source } : {}),
    timeoutMs: step.timeoutMs,
    retry: { ...step.retry },
  };
}

function compileStep(plan: StepPlan): Step {
  const condition: { if?: CompiledExpression } = plan.if !== undefined ? { if: compileExpression(plan.if) } : {};
  const base = { id: plan.id, ...(plan.name ? { name: plan.name } : {}), ...condition };
  if (plan.type === 'transform') return { ...base, type: 'transform', expression: compileExpression(plan.expression) };
  return {
    ...base,
    type: 'http',
    method: plan.method,
    url: compileTemplate(plan.url),
    headers: plan.headers.map((header) => ({ name: header.name, value: compileTemplate(header.value) })),
    ...(plan.body !== undefined ? { body: compileTemplate(plan.body) } : {}),
    ...(plan.json !== undefined ? { json: compileExpression(plan.json) } : {}),
    timeoutMs: plan.timeoutMs,
    retry: plan.retry,
  };
}
