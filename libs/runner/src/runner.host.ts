/**
 * Where runs execute. In a process that runs workers, the runner runs in a thread of its own
 * (runner.thread.ts), so that executing runs and taking deliveries use both cores and neither
 * waits behind the other on one event loop. The main thread wakes it when runs are queued, and
 * writes the log lines and counts the metrics it reports. A runner thread that dies is started
 * again; its runs resume from their last recorded step. While intake is quiet the main thread
 * helps (a helper runner, up to half as many runs again), so a backlog left by a burst drains on
 * both cores.
 *
 * `sqlite::memory:` cannot be opened by a second connection: there the runner runs on the main
 * thread, on the main connection.
 */
import { Worker } from 'node:worker_threads';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { HookflowConfig } from '#libs/config';
import { Metrics } from '#libs/metrics';
import {
  HELPER_RUNNER_WRITER,
  openSharedDatabase,
  RunQueueRepository,
  RunRepository,
  RunSignal,
  RUNNER_THREAD_WRITER,
  STORAGE,
  WorkflowVersionRepository,
  type Database,
  type SharedStorage,
  type Storage,
} from '#libs/store';
import { planOf, WorkflowRegistry, type WorkflowPlan } from '#libs/workflow';
import { RunExecutor } from './run.executor.js';
import type { FromRunnerThread, RunnerThreadData, ToRunnerThread } from './runner-thread.protocol.js';
import { RunnerService, type RunnerOptions } from './runner.service.js';
import { WorkflowVersions } from './workflow-versions.service.js';

/**
 * While no run has been queued for this long, the main thread executes runs too (its helper
 * runner), so that a backlog left by a burst drains on both cores; it stops claiming as soon as
 * deliveries arrive again.
 */
const HELP_WHEN_QUIET_MS = 100;
/** Before a runner thread that died is started again. */
const RESTART_DELAY_MS = 1000;
/** The thread's own bound for finishing its runs (RunnerService), and some time to close. */
const STOP_LIMIT_MS = 15_000;
const WAKE: ToRunnerThread = { type: 'wake' };
const STOP: ToRunnerThread = { type: 'stop' };

@Injectable()
export class RunnerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RunnerHost.name);
  private readonly contexts = new Map<string, Logger>();
  private unsubscribe: (() => void) | undefined;
  private worker: Worker | undefined;
  /** Settles when the current thread has exited. */
  private exited: Promise<void> | undefined;
  private inProcess: RunnerService | undefined;
  /** The main thread's helper runner, and its connection on SQLite. */
  private helper: { runner: RunnerService; close(): Promise<void> } | undefined;
  private lastQueuedAt = 0;
  private helpTimer: NodeJS.Timeout | undefined;
  private wakeScheduled = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly versions: WorkflowVersions;

  constructor(
    @Inject(HookflowConfig) private readonly config: HookflowConfig,
    @Inject(STORAGE) private readonly storage: Storage,
    private readonly signal: RunSignal,
    private readonly metrics: Metrics,
    registry: WorkflowRegistry,
  ) {
    this.versions = new WorkflowVersions(registry, new WorkflowVersionRepository(storage.db));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.runsWorkers) return;
    const options: RunnerOptions = {
      concurrency: this.config.workerConcurrency,
      leaseMs: this.config.leaseMs,
      soleWorker: this.storage.location.kind === 'sqlite',
    };
    if (this.storage.shared) {
      const helper = await this.helperRunner(this.storage.shared, options);
      this.helper = helper;
      await this.startThread({ storage: this.storage.shared, runner: { ...options, spareOwner: helper.runner.owner } });
      this.unsubscribe = this.signal.subscribe(() => {
        this.wake();
        this.queued();
      });
      await helper.runner.start();
    } else {
      const runner = this.runnerOn(this.storage.db, options, RunnerService.name);
      this.inProcess = runner;
      this.unsubscribe = this.signal.subscribe(() => void runner.pump());
      await runner.start();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    clearTimeout(this.restartTimer);
    clearTimeout(this.helpTimer);
    await Promise.all([this.inProcess?.stop(), this.stopHelper(), this.stopThread()]);
  }

  private async stopHelper(): Promise<void> {
    if (!this.helper) return;
    await this.helper.runner.stop();
    await this.helper.close().catch(() => undefined);
  }

  private async stopThread(): Promise<void> {
    const worker = this.worker;
    if (!worker || !this.exited) return;
    worker.postMessage(STOP);
    const limit = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), STOP_LIMIT_MS).unref());
    if ((await Promise.race([this.exited, limit])) === 'timeout') {
      this.logger.warn({ msg: 'the runner thread did not stop in time; ending it' });
      await worker.terminate();
    }
  }

  /** Starts the thread and waits until it runs (or failed to start, which fails the boot). */
  private startThread(data: RunnerThreadData): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let started = false;
      const worker = new Worker(new URL('./runner.thread.js', import.meta.url), { workerData: data, name: 'hookflow-runner' });
      this.worker = worker;
      worker.on('message', (message: FromRunnerThread) => {
        if (message.type === 'plan') {
          void this.plan(worker, message);
        } else if (message.type === 'ready') {
          started = true;
          resolve();
        } else if (message.type === 'failed') {
          reject(new Error(`the runner thread could not start: ${message.error}`));
        } else if (message.type === 'stopped') {
          // Its runs are finished or handed back and its storage closed; idle keep-alive sockets need not linger.
          void worker.terminate();
        } else {
          this.receive(message);
        }
      });
      worker.on('error', (error) => {
        this.logger.error({ msg: 'the runner thread failed', error: error.stack ?? error.message });
      });
      this.exited = new Promise<void>((exited) => {
        worker.once('exit', (code) => {
          // A thread that died mid-transaction left the write lock taken; its connection is gone.
          this.releaseThreadLock();
          exited();
          if (this.worker === worker) this.worker = undefined;
          if (!started) {
            reject(new Error(`the runner thread exited with code ${code} before it started`));
            return;
          }
          if (this.stopping) return;
          this.logger.error({ msg: 'the runner thread stopped unexpectedly; starting it again', code, inMs: RESTART_DELAY_MS });
          this.restartTimer = setTimeout(() => {
            this.startThread(data).catch((error: Error) =>
              this.logger.error({ msg: 'restarting the runner thread failed', error: error.message }),
            );
          }, RESTART_DELAY_MS);
        });
      });
    });
  }

  /** The thread's runs need a workflow version: it is planned from this process's registry, or its stored source. */
  private async plan(
    worker: Worker,
    { request, workflowId, version }: { request: number; workflowId: string; version: string },
  ): Promise<void> {
    let plan: WorkflowPlan | null = null;
    try {
      const workflow = await this.versions.resolve(workflowId, version);
      plan = workflow ? planOf(workflow) : null;
    } catch (error) {
      this.logger.error({
        msg: 'could not read a workflow version for the runner thread',
        workflowId,
        version,
        error: (error as Error).message,
      });
    }
    worker.postMessage({ type: 'plan', request, plan } satisfies ToRunnerThread);
  }

  private receive(message: Exclude<FromRunnerThread, { type: 'ready' | 'failed' | 'plan' | 'stopped' }>): void {
    if (message.type === 'log') {
      this.contextLogger(message.context)[message.level](message.message);
    } else if (message.type === 'metrics') {
      for (const [workflowId, status, count] of message.runs) this.metrics.runFinished(workflowId, status, count);
      for (const [workflowId, stepId, type, status, seconds] of message.steps) {
        this.metrics.stepFinished(workflowId, stepId, type, status, seconds);
      }
    }
  }

  /** Runs queued in a burst wake the thread once. */
  private wake(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.worker?.postMessage(WAKE);
    });
  }

  /** A run was queued (a delivery, mostly): the helper holds off, and looks again once intake has been quiet. */
  private queued(): void {
    this.lastQueuedAt = Date.now();
    const helper = this.helper;
    if (!helper || this.helpTimer) return;
    this.helpTimer = setTimeout(() => {
      this.helpTimer = undefined;
      void helper.runner.pump();
    }, HELP_WHEN_QUIET_MS);
    this.helpTimer.unref();
  }

  /**
   * The main thread's helper runner: up to half as many runs again as the runner thread, claimed
   * only while no run has been queued for HELP_WHEN_QUIET_MS (in a process that takes
   * deliveries). On SQLite it writes through a connection of its own, which yields to intake as
   * the runner thread's does.
   */
  private async helperRunner(shared: SharedStorage, options: RunnerOptions): Promise<{ runner: RunnerService; close(): Promise<void> }> {
    const opened = shared.kind === 'sqlite' ? await openSharedDatabase(shared, HELPER_RUNNER_WRITER) : undefined;
    const runner = this.runnerOn(
      opened?.db ?? this.storage.db,
      {
        concurrency: Math.max(1, Math.floor(options.concurrency / 2)),
        leaseMs: options.leaseMs,
        soleWorker: false,
        // A process without intake (HOOKFLOW_ROLE=worker) has nothing else for its main thread to do.
        ...(this.config.servesWeb ? { holdOff: () => Math.max(0, this.lastQueuedAt + HELP_WHEN_QUIET_MS - Date.now()) } : {}),
      },
      'RunnerService (main thread)',
    );
    return { runner, close: async () => opened?.close() };
  }

  private releaseThreadLock(): void {
    if (this.storage.writeLock?.releaseHeldBy(RUNNER_THREAD_WRITER)) {
      this.logger.warn({ msg: 'the runner thread died holding the database write lock; freed it' });
    }
  }

  /** A runner on this thread, over `db`: the helper's connection, or the main one. */
  private runnerOn(db: Database, options: RunnerOptions, context: string): RunnerService {
    const executor = new RunExecutor(new RunRepository(db), this.versions, this.metrics, new Logger(RunExecutor.name));
    return new RunnerService(new RunQueueRepository(db), executor, options, new Logger(context));
  }

  private contextLogger(context: string): Logger {
    let logger = this.contexts.get(context);
    if (!logger) {
      logger = new Logger(context);
      this.contexts.set(context, logger);
    }
    return logger;
  }
}
