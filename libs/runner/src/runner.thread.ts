/**
 * The runner thread: a worker_threads entry that executes runs on a core of its own while the
 * main thread serves HTTP. It opens the storage the main thread migrated, on a connection of its
 * own (on SQLite the two share a write lock), compiles the workflow versions its runs need from
 * plans the main thread sends (workflow.plan.ts), and reports logs and metrics to the main
 * thread, which writes and serves them. It loads neither Nest nor TypeORM, nor does it load or
 * validate workflow files, so that it costs little memory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSharedDatabase, RunQueueRepository, RunRepository, type OpenedDatabase } from '#libs/store/sql';
import { compilePlan, type RunnableWorkflow, type WorkflowPlan } from '#libs/workflow';
import { RunExecutor } from './run.executor.js';
import type { RunMetrics, RunnerLog } from './runner-log.js';
import type { FromRunnerThread, LogLevel, MetricsBatch, RunnerThreadData, ToRunnerThread } from './runner-thread.protocol.js';
import { RunnerService } from './runner.service.js';
import type { WorkflowSource } from './workflow-versions.service.js';

if (!parentPort) throw new Error('runner.thread.js is the entry of a worker thread');
const port = parentPort;
const send = (message: FromRunnerThread): void => port.postMessage(message);

/** Log lines go to the main thread's logger, which masks secrets and writes them. */
function logTo(context: string): RunnerLog {
  const line = (level: LogLevel) => (message: object) => send({ type: 'log', level, context, message });
  return { log: line('log'), warn: line('warn'), error: line('error') };
}

/** Counts gathered over one turn of the event loop and sent as one message. */
class MetricsForwarder implements RunMetrics {
  private runs = new Map<string, MetricsBatch['runs'][number]>();
  private steps: MetricsBatch['steps'] = [];
  private scheduled = false;

  runFinished(workflowId: string, status: MetricsBatch['runs'][number][1]): void {
    const key = `${workflowId}\u0000${status}`;
    const counted = this.runs.get(key);
    if (counted) counted[2] += 1;
    else this.runs.set(key, [workflowId, status, 1]);
    this.schedule();
  }

  stepFinished(workflowId: string, stepId: string, type: string, status: MetricsBatch['steps'][number][3], seconds: number): void {
    this.steps.push([workflowId, stepId, type, status, seconds]);
    this.schedule();
  }

  flush(): void {
    this.scheduled = false;
    if (this.runs.size === 0 && this.steps.length === 0) return;
    send({ type: 'metrics', runs: [...this.runs.values()], steps: this.steps });
    this.runs = new Map();
    this.steps = [];
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }
}

/** Workflow versions as the main thread plans them, asked for once and compiled here. */
class PlannedWorkflows implements WorkflowSource {
  private readonly compiled = new Map<string, Promise<RunnableWorkflow | undefined>>();
  private readonly asked = new Map<number, (plan: WorkflowPlan | null) => void>();
  private requests = 0;

  resolve(workflowId: string, version: string): Promise<RunnableWorkflow | undefined> {
    const key = `${workflowId}@${version}`;
    let workflow = this.compiled.get(key);
    if (!workflow) {
      workflow = this.ask(workflowId, version).then((plan) => (plan ? compilePlan(plan) : undefined));
      // A version that cannot be compiled is asked for again next time (its file may be back).
      workflow.then(
        (found) => found ?? this.compiled.delete(key),
        () => this.compiled.delete(key),
      );
      this.compiled.set(key, workflow);
    }
    return workflow;
  }

  answered(request: number, plan: WorkflowPlan | null): void {
    this.asked.get(request)?.(plan);
    this.asked.delete(request);
  }

  private ask(workflowId: string, version: string): Promise<WorkflowPlan | null> {
    const request = ++this.requests;
    return new Promise((resolve) => {
      this.asked.set(request, resolve);
      send({ type: 'plan', request, workflowId, version });
    });
  }
}

async function main(data: RunnerThreadData): Promise<void> {
  let opened: OpenedDatabase | undefined;
  let runner: RunnerService | undefined;
  const metrics = new MetricsForwarder();
  const workflows = new PlannedWorkflows();
  port.on('message', (message: ToRunnerThread) => {
    if (message.type === 'plan') workflows.answered(message.request, message.plan);
  });
  try {
    opened = await openSharedDatabase(data.storage);
    const { db } = opened;
    const executor = new RunExecutor(new RunRepository(db), workflows, metrics, logTo('RunExecutor'));
    runner = new RunnerService(new RunQueueRepository(db), executor, data.runner, logTo('RunnerService'));
    await runner.start();
  } catch (error) {
    await opened?.close().catch(() => undefined);
    send({ type: 'failed', error: (error as Error).message });
    port.close();
    return;
  }
  const started = runner;
  const storage = opened;
  port.on('message', (message: ToRunnerThread) => {
    if (message.type === 'wake') void started.pump();
    else if (message.type === 'stop') void stop();
  });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await started.stop();
    metrics.flush();
    await storage.close().catch(() => undefined);
    send({ type: 'stopped' });
    port.close();
  };
  send({ type: 'ready' });
}

void main(workerData as RunnerThreadData);
