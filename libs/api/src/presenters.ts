/** The API's JSON shapes: times as ISO strings, internal queue fields left out. */
import type { DeliveryEntity, DeliverySummary, RunDetail, RunSummary } from '#libs/store';
import { formatWorkflowError, type WorkflowStatus } from '#libs/workflow';
import { iso } from './query.js';

export function presentRun(run: RunSummary): Record<string, unknown> {
  return {
    id: run.id,
    workflowId: run.workflowId,
    workflowVersion: run.workflowVersion,
    status: run.status,
    attempt: run.attempt,
    triggerType: run.triggerType,
    deliveryId: run.deliveryId,
    error: presentError(run.error),
    cancelRequested: run.cancelRequested === 1,
    nextAttemptAt: run.status === 'waiting' ? iso(run.runAt) : null,
    createdAt: iso(run.createdAt),
    updatedAt: iso(run.updatedAt),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
  };
}

/** Longest part of a damaged record's text shown in its place. */
const UNREADABLE_SHOWN = 500;

/**
 * An error as recorded. A JSON column whose text is not JSON (a row edited by hand, a damaged file)
 * comes back from storage as that text; an error is still shown as an error object then, so that
 * clients reading `error.code` keep working.
 */
function presentError(error: unknown): unknown {
  if (typeof error !== 'string') return error ?? null;
  return { code: 'ERROR_UNREADABLE', message: `the stored error is not valid JSON: ${error.slice(0, UNREADABLE_SHOWN)}` };
}

export function presentRunDetail(detail: RunDetail): Record<string, unknown> {
  return {
    ...presentRun(detail.run),
    trigger: detail.run.trigger,
    steps: detail.steps.map((step) => ({
      id: step.stepId,
      position: step.position,
      status: step.status,
      output: step.output ?? null,
      error: presentError(step.error),
      startedAt: iso(step.startedAt),
      finishedAt: iso(step.finishedAt),
      attempts: step.attemptList.map((attempt) => ({
        number: attempt.number,
        runAttempt: attempt.runAttempt,
        status: attempt.status,
        httpStatus: attempt.httpStatus,
        error: presentError(attempt.error),
        startedAt: iso(attempt.startedAt),
        finishedAt: iso(attempt.finishedAt),
        durationMs: attempt.durationMs,
      })),
    })),
  };
}

export function presentDelivery(delivery: DeliverySummary): Record<string, unknown> {
  return {
    id: delivery.id,
    workflowId: delivery.workflowId,
    receivedAt: iso(delivery.receivedAt),
    method: delivery.method,
    path: delivery.path,
    ip: delivery.ip,
    status: delivery.status,
    outcome: delivery.outcome,
    reason: delivery.reason,
    message: delivery.message,
    runId: delivery.runId,
  };
}

/** A delivery with what it brought: its query, headers and body. */
export function presentDeliveryDetail(delivery: DeliveryEntity): Record<string, unknown> {
  return {
    ...presentDelivery(delivery),
    query: delivery.query,
    headers: delivery.headers,
    body: delivery.body,
    bodyTruncated: delivery.bodyTruncated === 1,
  };
}

export function presentWorkflow(status: WorkflowStatus, baseUrl: string): Record<string, unknown> {
  const workflow = status.workflow;
  return {
    id: status.id,
    name: workflow?.name ?? status.id,
    version: workflow?.version ?? null,
    file: status.file,
    status: status.status,
    webhookUrl: workflow?.webhook ? `${baseUrl}/hooks/${workflow.webhook.path}` : null,
    methods: workflow?.webhook?.methods ?? [],
    cron: workflow?.cron ?? null,
    errors: status.errors.map((error) => ({ ...error, text: formatWorkflowError(error) })),
  };
}
