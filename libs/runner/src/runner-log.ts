import type { RunMetricStatus, StepMetricStatus } from '#libs/metrics';

/**
 * What the runner logs through: Nest's `Logger` on the main thread, a forwarder to the main
 * thread's logger in the runner thread (runner.thread.ts). Messages are objects with a `msg`,
 * as everywhere in Hookflow.
 */
export interface RunnerLog {
  log(message: object): void;
  warn(message: object): void;
  error(message: object): void;
}

/** What the runner counts: the Metrics service on the main thread, a forwarder in the runner thread. */
export interface RunMetrics {
  runFinished(workflowId: string, status: RunMetricStatus): void;
  stepFinished(workflowId: string, stepId: string, type: string, status: StepMetricStatus, seconds: number): void;
}
