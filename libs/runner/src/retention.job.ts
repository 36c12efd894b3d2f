/**
 * Daily purge of finished runs and deliveries older than HOOKFLOW_RETENTION_DAYS, one small
 * batch at a time with a pause between batches, so intake and workers never wait on it.
 */
import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { HookflowConfig } from '#libs/config';
import { RetentionRepository } from '#libs/store';

const DAY_MS = 24 * 60 * 60 * 1000;

@Injectable()
export class RetentionJob {
  private readonly logger = new Logger(RetentionJob.name);
  private running = false;

  constructor(
    private readonly retention: RetentionRepository,
    private readonly config: HookflowConfig,
  ) {}

  @Cron(CronExpression.EVERY_DAY_AT_3AM, { name: 'hookflow:retention' })
  async scheduled(): Promise<void> {
    if (this.config.runsWorkers) await this.purge(Date.now());
  }

  /** Purges everything older than the retention period before `now`; answers the counts. */
  async purge(now: number): Promise<{ runs: number; deliveries: number }> {
    if (this.running) return { runs: 0, deliveries: 0 };
    this.running = true;
    const cutoff = now - this.config.retentionDays * DAY_MS;
    const totals = { runs: 0, deliveries: 0 };
    try {
      totals.runs = await inBatches(() => this.retention.purgeRuns(cutoff));
      totals.deliveries = await inBatches(() => this.retention.purgeDeliveries(cutoff));
      await this.retention.purgeCronTicks(cutoff);
      this.logger.log({ msg: 'retention purge done', olderThan: new Date(cutoff).toISOString(), ...totals });
    } catch (error) {
      this.logger.error({ msg: 'retention purge failed; it runs again tomorrow', error: (error as Error).message });
    } finally {
      this.running = false;
    }
    return totals;
  }
}

/** Repeats a batch until one deletes nothing, letting other work (intake, workers) in between. */
async function inBatches(batch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const purged = await batch();
    if (purged === 0) return total;
    total += purged;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
