/**
 * Executes one claimed run: its steps in order through the engine, each outcome recorded
 * before the next step starts. A step recorded as succeeded or skipped is never executed
 * again; its recorded output is used instead. Retries are stored waits, not sleeps.
 */
import { v7 as uuidv7 } from 'uuid';
import { executeStep, maskSecrets, NodeHttpClient, retryDelayMs, type RunContext, type StepOutcome, type StepPorts } from '#libs/engine';
import {
  cancelledByOperator,
  isUnavailable,
  LeaseLostError,
  type ErrorInfo,
  type Execution,
  type ExecutionRun,
  type RunRepository,
  type StepRecord,
} from '#libs/store/sql';
import type { RunnableWorkflow, Step } from '#libs/workflow';
import type { RunMetrics, RunnerLog } from './runner-log.js';
import type { WorkflowSource } from './workflow-versions.service.js';

/**
 * Between steps: whether an operator asked to cancel (read with the run, then with each write),
 * and the records of steps held back until the run's next write. Transforms running back to back
 * write nothing between them, so a cancel is seen at the next write: before the next http attempt
 * starts at the latest (that write checks it and starts nothing), or when the run ends.
 */
interface Progress {
  cancelRequested: boolean;
  heldBack: StepRecord[];
}

export class RunExecutor {
  private readonly ports: StepPorts = { http: new NodeHttpClient(), now: () => Date.now() };

  constructor(
    private readonly runs: RunRepository,
    private readonly versions: WorkflowSource,
    private readonly metrics: RunMetrics,
    private readonly logger: RunnerLog,
  ) {}

  /**
   * Executes a run this worker has just claimed (it holds the lease). `interrupted`: storage
   * failed under it (the database unreachable, or its file locked by another process); the run
   * is still leased to this worker and resumes from its last recorded step once handed back, or
   * once its lease ends.
   */
  async execute(claimed: ExecutionRun, owner: string): Promise<'ended' | 'interrupted'> {
    try {
      await this.executeLeased(claimed, owner);
      return 'ended';
    } catch (error) {
      const runId = claimed.id;
      if (error instanceof LeaseLostError) {
        this.logger.warn({ msg: 'run lease lost; another worker has it or it was cancelled', runId });
        return 'ended';
      }
      this.logger.error({ msg: 'run interrupted', runId, error: (error as Error).message });
      // Anything else is a bug, which would only fail the same way again: the lease's end paces it.
      return isUnavailable(error) ? 'interrupted' : 'ended';
    }
  }

  private async executeLeased(claimed: ExecutionRun, owner: string): Promise<void> {
    const execution = await this.runs.loadRecorded(claimed);
    const { run } = execution;
    const runId = run.id;
    const damaged = unreadable(execution);
    if (damaged) {
      await this.runs.finishRun(owner, runId, { status: 'failed', error: damaged }, Date.now());
      this.metrics.runFinished(run.workflowId, 'failed');
      this.logger.warn({ msg: 'run failed', runId, code: damaged.code });
      return;
    }
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
    const progress: Progress = { cancelRequested: run.cancelRequested, heldBack: [] };
    for (const [position, step] of workflow.steps.entries()) {
      const prior = recorded.get(step.id);
      if (prior?.status === 'succeeded') {
        context.steps[step.id] = prior.output;
        continue;
      }
      if (prior?.status === 'skipped') continue;
      const next = progress.cancelRequested
        ? 'cancel'
        : await this.executeStep(owner, execution, workflow, step, position, context, secrets, progress);
      if (next === 'stop') return;
      if (next === 'done') {
        this.metrics.runFinished(run.workflowId, 'succeeded');
        return;
      }
      if (next === 'cancel') {
        await this.runs.finishRun(
          owner,
          runId,
          { status: 'cancelled', error: cancelledByOperator(step.id) },
          Date.now(),
          progress.heldBack,
        );
        this.metrics.runFinished(run.workflowId, 'cancelled');
        return;
      }
    }
    await this.runs.finishRun(owner, runId, { status: 'succeeded' }, Date.now(), progress.heldBack);
    this.metrics.runFinished(run.workflowId, 'succeeded');
  }

  /**
   * Executes one step and records it. `next`: go on to the next step; `cancel`: an operator asked
   * to cancel the run, and this step did not start.
   */
  private async executeStep(
    owner: string,
    execution: Execution,
    workflow: RunnableWorkflow,
    step: Step,
    position: number,
    context: RunContext,
    secrets: string[],
    progress: Progress,
  ): Promise<'next' | 'cancel' | 'done' | 'stop'> {
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
      const begun = await this.runs.beginAttempt(
        owner,
        run.id,
        { stepId: step.id, position },
        { id: attemptId, number, runAttempt: run.attempt, interruptsEarlier },
        startedAt,
        progress.heldBack,
      );
      if (begun.cancelRequested) return 'cancel';
      progress.heldBack = [];
    }

    const outcome = await this.safely(step, context, workflow);
    const now = Date.now();
    this.metrics.stepFinished(workflow.id, step.id, step.type, outcome.status, (now - startedAt) / 1000);
    const ref = { stepId: step.id, position };
    if (outcome.status === 'succeeded' || outcome.status === 'skipped') {
      if (outcome.status === 'succeeded') context.steps[step.id] = outcome.output;
      const record: StepRecord = {
        step:
          outcome.status === 'succeeded'
            ? { ...ref, status: 'succeeded', output: maskSecrets(outcome.output, secrets) }
            : { ...ref, status: 'skipped', output: { reason: outcome.reason } },
        attempt: {
          attemptId,
          status: 'succeeded',
          startedAt,
          ...(outcome.status === 'succeeded' && outcome.httpStatus ? { httpStatus: outcome.httpStatus } : {}),
          ...(unrecorded ? { unrecorded } : {}),
        },
        finishedAt: now,
      };
      // A transform changed nothing outside the run: its record waits for the run's next write,
      // and a crash before that only means it is computed again.
      if (unrecorded && !last) {
        progress.heldBack.push(record);
        return 'next';
      }
      const written = await this.runs.finishSteps(owner, run.id, [...progress.heldBack, record], ended, now);
      progress.heldBack = [];
      progress.cancelRequested = written.cancelRequested;
      return last ? 'done' : 'next';
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
    const records = (status: 'waiting' | 'failed'): StepRecord[] => [
      ...progress.heldBack,
      { step: { ...ref, status, output, error }, attempt, finishedAt: now },
    ];
    if (delay !== undefined) {
      // An operator's cancel that came while the step ran ends the run here instead of after the delay.
      const written = await this.runs.finishSteps(owner, run.id, records('waiting'), { status: 'waiting', runAt: now + delay, error }, now);
      if (written.cancelledInsteadOfWaiting) {
        this.metrics.runFinished(run.workflowId, 'cancelled');
        this.logger.log({ msg: 'run cancelled instead of retried', runId: run.id, stepId: step.id });
      } else {
        this.logger.log({ msg: 'step will be retried', runId: run.id, stepId: step.id, delayMs: delay });
      }
    } else {
      await this.runs.finishSteps(owner, run.id, records('failed'), { status: 'failed', error }, now);
      this.metrics.runFinished(run.workflowId, 'failed');
      this.logger.warn({ msg: 'run failed', runId: run.id, stepId: step.id, code: error.code });
    }
    return 'stop';
  }

  /** The engine returns failures as values; anything it throws is a bug, recorded as a failure. */
  private async safely(step: Step, context: RunContext, workflow: RunnableWorkflow): Promise<StepOutcome> {
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

/** What of a run's stored record cannot be read back, if anything: the run cannot go on from it. */
function unreadable({ run, unreadableOutput }: Execution): ErrorInfo | undefined {
  if (run.unreadableTrigger !== undefined) {
    return { code: 'TRIGGER_UNREADABLE', message: `the stored trigger of this run is not valid JSON (${run.unreadableTrigger})` };
  }
  if (unreadableOutput) {
    const { stepId, reason } = unreadableOutput;
    return { code: 'OUTPUT_UNREADABLE', message: `the stored output of step "${stepId}" is not valid JSON (${reason})`, stepId };
  }
  return undefined;
}
