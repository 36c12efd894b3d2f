/**
 * Prometheus metrics of this process. Intake and the runner report what happened through
 * one-line calls; the queue gauges are read from storage when scraped, so they show the
 * shared queue (every process's runs), while counters and histograms count this process's
 * work. Each instance has its own registry, so two apps (or tests) in one process don't clash.
 */
import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { QueueStatsRepository } from '#libs/store';

export type DeliveryMetricOutcome = 'accepted' | 'duplicate' | 'filtered' | 'rejected' | 'unavailable';
export type RunMetricStatus = 'succeeded' | 'failed' | 'cancelled';
export type StepMetricStatus = 'succeeded' | 'failed' | 'skipped';

/** From a 5 ms transform to an `http` step that waits out a long timeout. */
const STEP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private readonly deliveries = new Counter({
    name: 'hookflow_deliveries_total',
    help: 'Webhook deliveries received on a known path, by outcome (unavailable: storage failed, 503).',
    labelNames: ['workflow', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly runs = new Counter({
    name: 'hookflow_runs_total',
    help: 'Runs finished by this process, by final status.',
    labelNames: ['workflow', 'status'] as const,
    registers: [this.registry],
  });
  private readonly steps = new Histogram({
    name: 'hookflow_step_duration_seconds',
    help: 'Duration of step attempts, by outcome of the attempt.',
    labelNames: ['workflow', 'step', 'type', 'status'] as const,
    buckets: STEP_BUCKETS,
    registers: [this.registry],
  });
  private readonly queueDepth = new Gauge({
    name: 'hookflow_queue_depth',
    help: 'Runs queued or waiting for a retry (all processes sharing the database).',
    registers: [this.registry],
  });
  private readonly queueOldestAge = new Gauge({
    name: 'hookflow_queue_oldest_age_seconds',
    help: 'How long the oldest due queued or waiting run has been due; 0 when none is.',
    registers: [this.registry],
  });

  constructor(private readonly queue: QueueStatsRepository) {
    collectDefaultMetrics({ register: this.registry });
  }

  delivery(workflowId: string, outcome: DeliveryMetricOutcome): void {
    this.deliveries.inc({ workflow: workflowId, outcome });
  }

  runFinished(workflowId: string, status: RunMetricStatus, count = 1): void {
    this.runs.inc({ workflow: workflowId, status }, count);
  }

  stepFinished(workflowId: string, stepId: string, type: string, status: StepMetricStatus, seconds: number): void {
    this.steps.observe({ workflow: workflowId, step: stepId, type, status }, seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The exposition text. When storage does not answer, the queue gauges are NaN (unknown,
   * rather than a stale value) and the rest is still served.
   */
  async render(now = Date.now()): Promise<string> {
    try {
      const stats = await this.queue.stats(now);
      this.queueDepth.set(stats.depth);
      this.queueOldestAge.set(stats.oldestDueAt === undefined ? 0 : Math.max(0, now - stats.oldestDueAt) / 1000);
    } catch {
      this.queueDepth.set(Number.NaN);
      this.queueOldestAge.set(Number.NaN);
    }
    return this.registry.metrics();
  }
}
