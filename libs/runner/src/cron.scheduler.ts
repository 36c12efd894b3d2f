/**
 * Cron triggers through @nestjs/schedule: one job per workflow with a `cron:`, rescheduled
 * after every reload. Each tick becomes a run whose trigger says when it was due; every
 * process fires the tick, and the store lets exactly one of them start the run.
 */
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { v7 as uuidv7 } from 'uuid';
import { HookflowConfig } from '#libs/config';
import { CronRepository, RunSignal } from '#libs/store';
import { WorkflowRegistry, type Workflow } from '#libs/workflow';
import { dueTick, nextTickOf } from './cron-due.js';

const PREFIX = 'hookflow:';

@Injectable()
export class CronScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(CronScheduler.name);
  private unsubscribe: (() => void) | undefined;
  /** The schedule each job was made for, so a reload only touches what changed. */
  private readonly scheduled = new Map<string, string>();

  constructor(
    private readonly registry: WorkflowRegistry,
    private readonly scheduler: SchedulerRegistry,
    private readonly crons: CronRepository,
    private readonly signal: RunSignal,
    private readonly config: HookflowConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.runsWorkers) return;
    this.sync();
    this.unsubscribe = this.registry.onLoad(() => this.sync());
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    for (const name of this.scheduled.keys()) this.remove(name);
  }

  private sync(): void {
    const wanted = new Map<string, Workflow>();
    for (const status of this.registry.list()) {
      if (status.workflow?.cron) wanted.set(`${PREFIX}${status.workflow.id}`, status.workflow);
    }
    for (const name of [...this.scheduled.keys()]) if (!wanted.has(name)) this.remove(name);
    for (const [name, workflow] of wanted) {
      const key = `${workflow.cron!.schedule}@${workflow.cron!.timezone ?? ''}`;
      if (this.scheduled.get(name) === key) continue;
      this.remove(name);
      this.add(name, workflow, key);
    }
  }

  private add(name: string, workflow: Workflow, key: string): void {
    const workflowId = workflow.id;
    const { schedule, timezone } = workflow.cron!;
    const next = nextTickOf(schedule, timezone);
    let expected = next(Date.now());
    const job = CronJob.from({
      cronTime: schedule,
      ...(timezone ? { timeZone: timezone } : {}),
      start: true,
      onTick: () => {
        const tick = dueTick(next, expected, Date.now());
        expected = tick.next;
        void this.fire(workflowId, tick.due);
      },
    });
    this.scheduler.addCronJob(name, job);
    this.scheduled.set(name, key);
  }

  private remove(name: string): void {
    if (this.scheduler.doesExist('cron', name)) this.scheduler.deleteCronJob(name);
    this.scheduled.delete(name);
  }

  private async fire(workflowId: string, dueAt: number): Promise<void> {
    // The version serving at the tick: a run keeps it even if the file changes later.
    const workflow = this.registry.get(workflowId);
    if (!workflow) return;
    const now = Date.now();
    const runId = uuidv7();
    const scheduledAt = new Date(dueAt).toISOString();
    try {
      const started = await this.crons.fire(
        {
          id: runId,
          workflowId,
          workflowVersion: workflow.version,
          deliveryId: null,
          triggerType: 'cron',
          trigger: {
            body: null,
            headers: {},
            query: {},
            method: 'CRON',
            path: '',
            ip: '',
            receivedAt: new Date(now).toISOString(),
            deliveryId: null,
            scheduledAt,
          },
          createdAt: now,
        },
        dueAt,
      );
      if (started) {
        this.logger.log({ msg: 'cron tick started a run', workflowId, runId, scheduledAt });
        this.signal.notify();
      }
    } catch (error) {
      this.logger.error({ msg: 'cron tick could not start its run', workflowId, scheduledAt, error: (error as Error).message });
    }
  }
}
