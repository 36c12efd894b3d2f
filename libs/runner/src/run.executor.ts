/**
 * Executes one claimed run: its steps in order through the engine, each outcome recorded
 * before the next step starts. A step recorded as succeeded or skipped is never executed
 * again; its recorded output is used instead. Retries are stored waits, not sleeps.
 */
import { Injectable, Logger } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { executeStep, maskSecrets, NodeHttpClient, retryDelayMs, type RunContext, type StepOutcome, type StepPorts } from '#libs/engine';
import { Metrics } from '#libs/metrics';
import { LeaseLostError, RunRepository, type ErrorInfo, type Execution } from '#libs/store';
import type { Step, Workflow } from '#libs/workflow';
import { WorkflowVersions } from './workflow-versions.service.js';

@Injectable()
export class RunExecutor {
  private readonly logger = new Logger(RunExecutor.name);
  private readonly ports: StepPorts = { http: new NodeHttpClient(), now: () => Date.now() };

  constructor(
    private readonly runs: RunRepository,
    private readonly versions: WorkflowVersions,
    private readonly metrics: Metrics,
  ) {}

  async execute(runId: string, owner: string): Promise<void> {
    try {
      await this.executeLeased(runId, owner);
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.logger.warn({ msg: 'run lease lost; another worker has it or it was cancelled', runId });
        return;
      }
      // Storage trouble: the lease will expire and the run resumes from its last recorded step.
      this.logger.error({ msg: 'run interrupted', runId, error: (error as Error).message });
    }
  }

  private async executeLeased(runId: string, owner: string): Promise<void> {
    const execution = await this.runs.loadExecution(runId);
    if (!execution) return;
    const { run } = execution;
    const workflow = await this.versions.resolve(run.workflowId, run.workflowVersion);
    if (!workflow) {
      const message = `workflow "${run.workflowId}" version ${run.workflowVersion} is not available (its file changed and it no longer compiles)`;
      await this.runs.finishRun(owner, runId, { status: 'failed', error: { code: 'VERSION_UNAVAILABLE', message } }, Date.now());
      this.metrics.runFinished(run.workflowId, 'failed');
      return;
    }
    const secrets = Object.values(workflow.secrets);
    const context: RunContext = {
      trigger: run.trigger as RunContext['trigger'],
      steps: {},
      run: { id: run.id, workflowId: run.workflowId, attempt: run.attempt },
      secrets: workflow.secrets,
    };
    const recorded = new Map(execution.steps.map((step) => [step.stepId, step]));
    // Read with the run, then with each step's record: an operator's cancel stops the run before its next step.
    let cancelRequested = run.cancelRequested;
    for (const [position, step] of workflow.steps.entries()) {
      const prior = recorded.get(step.id);
      if (prior?.status === 'succeeded') {
        context.steps[step.id] = prior.output;
        continue;
      }
      if (prior?.status === 'skipped') continue;
      if (cancelRequested) {
        const error = { code: 'CANCELLED', message: 'cancelled by an operator', stepId: step.id };
        await this.runs.finishRun(owner, runId, { status: 'cancelled', error }, Date.now());
        this.metrics.runFinished(run.workflowId, 'cancelled');
        return;
      }
      const next = await this.executeStep(owner, execution, workflow, step, position, context, secrets);
      if (next === 'stop') return;
      if (next === 'done') {
        this.metrics.runFinished(run.workflowId, 'succeeded');
        return;
      }
      cancelRequested = next.cancelRequested;
    }
    await this.runs.finishRun(owner, runId, { status: 'succeeded' }, Date.now());
    this.metrics.runFinished(run.workflowId, 'succeeded');
  }

  private async executeStep(
    owner: string,
    execution: Execution,
    workflow: Workflow,
    step: Step,
    position: number,
    context: RunContext,
    secrets: string[],
  ): Promise<{ cancelRequested: boolean } | 'done' | 'stop'> {
    const { run } = execution;
    // The last step's record also ends the run, in the same transaction.
    const last = position === workflow.steps.length - 1;
    const ended = last ? ({ status: 'succeeded' } as const) : undefined;
    const earlier = execution.attempts.filter((attempt) => attempt.stepId === step.id);
    const number = earlier.reduce((max, attempt) => Math.max(max, attempt.number), 0) + 1;
    const failures = earlier.filter((attempt) => attempt.runAttempt === run.attempt && attempt.status === 'failed').length;
    const attemptId = uuidv7();
    const startedAt = Date.now();
    // An http step's attempt is recorded before it is sent, so a crash mid-request shows as an
    // interrupted attempt; a transform has no effect outside the run and is recorded once, after.
    const unrecorded = step.type === 'transform' ? { number, runAttempt: run.attempt } : undefined;
    if (!unrecorded) {
      // An attempt still recorded as running was cut short by a crash; this one's start ends it.
      const interruptsEarlier = earlier.some((attempt) => attempt.status === 'running');
      await this.runs.beginAttempt(
        owner,
        run.id,
        { stepId: step.id, position },
        { id: attemptId, number, runAttempt: run.attempt, interruptsEarlier },
        startedAt,
      );
    }

    const outcome = await this.safely(step, context, workflow);
    const now = Date.now();
    this.metrics.stepFinished(workflow.id, step.id, step.type, outcome.status, (now - startedAt) / 1000);
    const ref = { stepId: step.id, position };
    if (outcome.status === 'succeeded') {
      context.steps[step.id] = outcome.output;
      const attempt = {
        attemptId,
        status: 'succeeded' as const,
        startedAt,
        ...(outcome.httpStatus ? { httpStatus: outcome.httpStatus } : {}),
        ...(unrecorded ? { unrecorded } : {}),
      };
      const recorded = await this.runs.finishStep(
        owner,
        run.id,
        { ...ref, status: 'succeeded', output: maskSecrets(outcome.output, secrets) },
        attempt,
        ended,
        now,
      );
      return last ? 'done' : recorded;
    }
    if (outcome.status === 'skipped') {
      const recorded = await this.runs.finishStep(
        owner,
        run.id,
        { ...ref, status: 'skipped', output: { reason: outcome.reason } },
        { attemptId, status: 'succeeded', startedAt, ...(unrecorded ? { unrecorded } : {}) },
        ended,
        now,
      );
      return last ? 'done' : recorded;
    }
    const error: ErrorInfo = maskSecrets({ ...outcome.error, stepId: step.id }, secrets);
    const attempt = {
      attemptId,
      status: 'failed' as const,
      startedAt,
      error,
      ...(outcome.httpStatus ? { httpStatus: outcome.httpStatus } : {}),
      ...(unrecorded ? { unrecorded } : {}),
    };
    const output = outcome.output === undefined ? undefined : maskSecrets(outcome.output, secrets);
    const delay =
      outcome.retryable && step.type === 'http' ? retryDelayMs(step.retry, failures + 1, Math.random, outcome.retryAfterMs) : undefined;
    if (delay !== undefined) {
      await this.runs.finishStep(
        owner,
        run.id,
        { ...ref, status: 'waiting', output, error },
        attempt,
        { status: 'waiting', runAt: now + delay, error },
        now,
      );
      this.logger.log({ msg: 'step will be retried', runId: run.id, stepId: step.id, delayMs: delay });
    } else {
      await this.runs.finishStep(owner, run.id, { ...ref, status: 'failed', output, error }, attempt, { status: 'failed', error }, now);
      this.metrics.runFinished(run.workflowId, 'failed');
      this.logger.warn({ msg: 'run failed', runId: run.id, stepId: step.id, code: error.code });
    }
    return 'stop';
  }

  /** The engine returns failures as values; anything it throws is a bug, recorded as a failure. */
  private async safely(step: Step, context: RunContext, workflow: Workflow): Promise<StepOutcome> {
    try {
      return await executeStep(step, context, this.ports);
    } catch (error) {
      this.logger.error({
        msg: 'step threw',
        runId: context.run.id,
        workflowId: workflow.id,
        stepId: step.id,
        error: (error as Error).stack,
      });
      return {
        status: 'failed',
        error: {
          code: 'EXPRESSION_FAILED',
          message: `step "${step.id}" of workflow "${workflow.id}": internal error: ${(error as Error).message}`,
        },
        retryable: false,
      };
    }
  }
}
