import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QueueStats, QueueStatsRepository } from '#libs/store';
import { Metrics } from './metrics.service.js';

function metrics(stats: (now: number) => Promise<QueueStats>): Metrics {
  return new Metrics({ stats } as unknown as QueueStatsRepository);
}

const emptyQueue = async (): Promise<QueueStats> => ({ depth: 0, oldestDueAt: undefined });

/** The value of one sample line of the exposition text, by its exact name and labels. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('Metrics', () => {
  it('counts deliveries by workflow and outcome', async () => {
    const subject = metrics(emptyQueue);
    subject.delivery('orders', 'accepted');
    subject.delivery('orders', 'accepted');
    subject.delivery('orders', 'rejected');
    subject.delivery('audit', 'accepted');
    const text = await subject.render();
    assert.equal(sample(text, 'hookflow_deliveries_total{workflow="orders",outcome="accepted"}'), 2);
    assert.equal(sample(text, 'hookflow_deliveries_total{workflow="orders",outcome="rejected"}'), 1);
    assert.equal(sample(text, 'hookflow_deliveries_total{workflow="audit",outcome="accepted"}'), 1);
    assert.equal(sample(text, 'hookflow_deliveries_total{workflow="audit",outcome="rejected"}'), undefined);
  });

  it('counts finished runs by workflow and final status', async () => {
    const subject = metrics(emptyQueue);
    subject.runFinished('orders', 'succeeded');
    subject.runFinished('orders', 'failed');
    subject.runFinished('orders', 'failed');
    const text = await subject.render();
    assert.equal(sample(text, 'hookflow_runs_total{workflow="orders",status="succeeded"}'), 1);
    assert.equal(sample(text, 'hookflow_runs_total{workflow="orders",status="failed"}'), 2);
  });

  it('observes step durations in seconds into buckets', async () => {
    const subject = metrics(emptyQueue);
    subject.stepFinished('orders', 'notify', 'http', 'failed', 0.3);
    subject.stepFinished('orders', 'notify', 'http', 'failed', 7);
    const text = await subject.render();
    const labels = 'workflow="orders",step="notify",type="http",status="failed"';
    assert.equal(sample(text, `hookflow_step_duration_seconds_count{${labels}}`), 2);
    assert.equal(sample(text, `hookflow_step_duration_seconds_sum{${labels}}`), 7.3);
    assert.equal(sample(text, `hookflow_step_duration_seconds_bucket{le="0.5",${labels}}`), 1);
    assert.equal(sample(text, `hookflow_step_duration_seconds_bucket{le="10",${labels}}`), 2);
  });

  it('reads queue depth and the age of the oldest due run from storage at scrape time', async () => {
    const now = 1_700_000_000_000;
    const asked: number[] = [];
    const subject = metrics(async (at) => {
      asked.push(at);
      return { depth: 7, oldestDueAt: now - 90_000 };
    });
    const text = await subject.render(now);
    assert.deepEqual(asked, [now]);
    assert.equal(sample(text, 'hookflow_queue_depth'), 7);
    assert.equal(sample(text, 'hookflow_queue_oldest_age_seconds'), 90);
  });

  it('shows an oldest age of 0 when no run is due', async () => {
    const text = await metrics(async () => ({ depth: 3, oldestDueAt: undefined })).render();
    assert.equal(sample(text, 'hookflow_queue_depth'), 3);
    assert.equal(sample(text, 'hookflow_queue_oldest_age_seconds'), 0);
  });

  it('shows the queue gauges as NaN, and serves the rest, when storage does not answer', async () => {
    let up = true;
    const subject = metrics(async () => {
      if (!up) throw new Error('database is closed');
      return { depth: 2, oldestDueAt: undefined };
    });
    subject.delivery('orders', 'accepted');
    assert.equal(sample(await subject.render(), 'hookflow_queue_depth'), 2);
    up = false;
    const text = await subject.render();
    assert.ok(Number.isNaN(sample(text, 'hookflow_queue_depth')));
    assert.ok(Number.isNaN(sample(text, 'hookflow_queue_oldest_age_seconds')));
    assert.equal(sample(text, 'hookflow_deliveries_total{workflow="orders",outcome="accepted"}'), 1);
  });

  it('keeps each instance apart and includes the default process metrics', async () => {
    const first = metrics(emptyQueue);
    const second = metrics(emptyQueue);
    first.delivery('orders', 'accepted');
    const text = await second.render();
    assert.equal(sample(text, 'hookflow_deliveries_total{workflow="orders",outcome="accepted"}'), undefined);
    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.match(second.contentType, /^text\/plain/);
  });
});
