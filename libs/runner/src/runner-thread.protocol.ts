/**
 * What the main thread and the runner thread say to each other (runner.host.ts, runner.thread.ts).
 * Plain data: messages cross threads by structured clone.
 */
import type { RunMetricStatus, StepMetricStatus } from '#libs/metrics';
import type { SharedStorage } from '#libs/store/sql';
import type { WorkflowPlan } from '#libs/workflow';
import type { RunnerOptions } from './runner.service.js';

export interface RunnerThreadData {
  storage: SharedStorage;
  runner: RunnerOptions;
}

/**
 * To the runner thread: a run was queued (wake up and claim); the plan of a workflow version it
 * asked for (null: that version cannot be compiled any more); stop (finish or hand back what
 * runs, then close).
 */
export type ToRunnerThread = { type: 'wake' } | { type: 'plan'; request: number; plan: WorkflowPlan | null } | { type: 'stop' };

export type LogLevel = 'log' | 'warn' | 'error';

/** Counts since the last metrics message: runs finished, and step attempts with their durations. */
export interface MetricsBatch {
  runs: Array<[workflowId: string, status: RunMetricStatus, count: number]>;
  steps: Array<[workflowId: string, stepId: string, type: string, status: StepMetricStatus, seconds: number]>;
}

export type FromRunnerThread =
  | { type: 'ready' }
  | { type: 'plan'; request: number; workflowId: string; version: string }
  | { type: 'failed'; error: string }
  | { type: 'log'; level: LogLevel; context: string; message: object }
  | ({ type: 'metrics' } & MetricsBatch)
  | { type: 'stopped' };
