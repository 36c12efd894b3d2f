/**
 * The worker loop: claims due runs up to the concurrency limit, executes them, keeps their
 * leases alive, and sleeps until the next run is due or a new one is signalled. At shutdown
 * it stops claiming, lets running steps finish within a bound, and hands the rest back.
 *
 * A plain class, without Nest: it runs in the runner thread (runner.thread.ts), or on the main
 * thread when the database is `sqlite::memory:` (runner.host.ts).
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { ExecutionRun, RunQueueRepository } from '#libs/store/sql';
import type { RunnerLog } from './runner-log.js';
import type { RunExecutor } from './run.executor.js';

/** Longest sleep between looks at the queue when nothing signals (other processes' work, clock drift). */
const MAX_IDLE_MS = 5000;
/** Shortest pause between claims when runs are due but could not be claimed, to never spin. */
const MIN_PAUSE_MS = 25;
const SHUTDOWN_GRACE_MS = 10_000;
/** A run cut short by storage trouble is handed back, due again after this pause. */
const RESUME_AFTER_MS = 1000;
/** The pause before claiming again after a claim failed. */
const CLAIM_RETRY_MS = 1000;
/** While claims keep failing, how often that is logged again after the first failure. */
const CLAIM_FAILURE_LOG_EVERY_MS = 60_000;

export interface RunnerOptions {
  /** Runs executed at once (HOOKFLOW_WORKER_CONCURRENCY). */
  concurrency: number;
  /** How long a claimed run stays leased without a heartbeat. */
  leaseMs: number;
  /**
   * No other worker can hold a lease (one process per SQLite file): at start every `running` run
   * is an orphan of the previous process (or of a runner thread that died) and is due at once.
   */
  soleWorker: boolean;
  /** With `soleWorker`: a worker of this same process whose leases are not orphans (the main thread's helper). */
  spareOwner?: string;
  /**
   * How long to wait before claiming more runs; 0: claim now. The main thread's helper runner
   * claims only while intake is quiet.
   */
  holdOff?: () => number;
}

export class RunnerService {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private pumping = false;
  private again = false;
  private stopping = false;
  private started = false;
  /** Claims failed in a row, and when that was last logged. */
  private claimFailures = 0;
  private claimFailureLoggedAt = 0;

  constructor(
    private readonly queue: RunQueueRepository,
    private readonly executor: RunExecutor,
    private readonly options: RunnerOptions,
    private readonly logger: RunnerLog,
  ) {}

  async start(): Promise<void> {
    if (this.options.soleWorker) {
      const orphans = await this.queue.expireAllLeases(Date.now(), this.options.spareOwner);
      if (orphans > 0) this.logger.log({ msg: 'resuming runs left running by the previous process', count: orphans });
    }
    this.started = true;
    this.heartbeat = setInterval(() => void this.beat(), Math.max(1000, Math.floor(this.options.leaseMs / 3)));
    this.heartbeat.unref();
    void this.pump();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.stopping = true;
    clearTimeout(this.timer);
    const drained = Promise.allSettled([...this.inFlight.values()]);
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), SHUTDOWN_GRACE_MS).unref());
    if ((await Promise.race([drained, timeout])) === 'timeout') {
      const released = await this.queue.release(this.owner, Date.now(), [...this.inFlight.keys()]).catch(() => 0);
      this.logger.warn({ msg: 'released runs still in flight at shutdown', count: released });
    }
    clearInterval(this.heartbeat);
  }

  /** Claims as many due runs as there is room for; re-entrant calls fold into one more pass. */
  async pump(): Promise<void> {
    if (this.stopping) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    let pause: number | undefined;
    try {
      do {
        this.again = false;
        const free = this.options.concurrency - this.inFlight.size;
        if (free <= 0) break;
        const holdOff = this.options.holdOff?.() ?? 0;
        if (holdOff > 0) {
          pause = holdOff;
          break;
        }
        const claimed = await this.queue.claim(this.owner, free, Date.now(), this.options.leaseMs);
        this.claimSucceeded();
        // A run still executing here comes back when its lease ran out unrenewed (heartbeats
        // failing): the claim renewed it, and the execution in flight goes on; a second one would
        // pass the same lease checks.
        for (const run of claimed) if (!this.inFlight.has(run.id)) this.execute(run);
        if (claimed.length === free) this.again = true;
      } while (this.again && !this.stopping);
    } catch (error) {
      this.claimFailed(error as Error);
      pause = CLAIM_RETRY_MS;
    } finally {
      this.pumping = false;
    }
    await this.sleep(pause);
  }

  /**
   * A claim that fails (storage away or locked) is tried again every second; the first failure is
   * logged, then one line a minute while they go on, and one when claims work again, rather than
   * a line per try.
   */
  private claimFailed(error: Error): void {
    this.claimFailures++;
    const now = Date.now();
    if (this.claimFailures > 1 && now - this.claimFailureLoggedAt < CLAIM_FAILURE_LOG_EVERY_MS) return;
    this.claimFailureLoggedAt = now;
    this.logger.error({ msg: 'could not claim runs; retrying every second', failures: this.claimFailures, error: error.message });
  }

  private claimSucceeded(): void {
    if (this.claimFailures === 0) return;
    this.logger.log({ msg: 'claiming runs again', failures: this.claimFailures });
    this.claimFailures = 0;
  }

  private execute(run: ExecutionRun): void {
    const execution = this.executor
      .execute(run, this.owner)
      .then((result) => (result === 'interrupted' ? this.handBack(run.id) : undefined))
      .finally(() => {
        this.inFlight.delete(run.id);
        void this.pump();
      });
    this.inFlight.set(run.id, execution);
  }

  /**
   * A run that storage trouble cut short goes back to the queue, due shortly, instead of waiting
   * out its lease (HOOKFLOW_LEASE_MS) once storage is back. While storage stays away this fails
   * too, and the lease's end brings the run back.
   */
  private async handBack(runId: string): Promise<void> {
    const now = Date.now();
    try {
      const released = await this.queue.release(this.owner, now, [runId], now + RESUME_AFTER_MS);
      if (released > 0) this.logger.log({ msg: 'run handed back; it resumes from its last recorded step', runId, inMs: RESUME_AFTER_MS });
    } catch (error) {
      this.logger.warn({ msg: 'could not hand the run back; it resumes when its lease ends', runId, error: (error as Error).message });
    }
  }

  /** Sleeps until the next run is due (a retry, an expiring lease), or at most MAX_IDLE_MS. */
  private async sleep(pause: number | undefined): Promise<void> {
    if (this.stopping || this.inFlight.size >= this.options.concurrency) return;
    let delay = pause ?? MAX_IDLE_MS;
    if (pause === undefined) {
      const due = await this.queue.nextDueAt().catch(() => undefined);
      if (due !== undefined) delay = Math.min(MAX_IDLE_MS, Math.max(MIN_PAUSE_MS, due - Date.now()));
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.pump(), delay);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    if (this.inFlight.size === 0) return;
    await this.queue.heartbeat(this.owner, Date.now(), this.options.leaseMs, [...this.inFlight.keys()]).catch((error: Error) => {
      this.logger.error({ msg: 'lease heartbeat failed', error: error.message });
    });
  }
}
