/**
 * Boots the real Hookflow server (the built `dist/apps/hookflow/src/main.js`) as a child
 * process on its own temp folder, SQLite file, workflows folder and port, and gives the
 * tests typed helpers for its API. Every process started here is SIGKILLed when the test
 * process exits, whatever happened, so a failed test never leaves a server behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../apps/hookflow/src/main.js', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
/** How much of a server's output is kept for a failure report. */
const LOG_CAP = 200_000;

// ---- API shapes (SPEC §5), as the tests read them ----

export interface ApiErrorBody {
  error: { code: string; message: string };
}

export interface ErrorInfo {
  code: string;
  message: string;
  stepId?: string;
}

export type RunStatus = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';

export interface RunView {
  id: string;
  workflowId: string;
  workflowVersion: string;
  status: RunStatus;
  attempt: number;
  triggerType: string;
  deliveryId: string | null;
  error: ErrorInfo | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  nextAttemptAt: string | null;
}

export interface AttemptView {
  number: number;
  runAttempt: number;
  status: 'running' | 'succeeded' | 'failed' | 'interrupted';
  httpStatus: number | null;
  error: ErrorInfo | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface StepView {
  id: string;
  position: number;
  status: 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped';
  output: unknown;
  error: ErrorInfo | null;
  startedAt: string;
  finishedAt: string | null;
  attempts: AttemptView[];
}

export interface RunDetailView extends RunView {
  trigger: {
    body: unknown;
    headers: Record<string, string>;
    query: Record<string, unknown>;
    method: string;
    path: string;
    deliveryId: string;
  };
  steps: StepView[];
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface DeliveryView {
  id: string;
  workflowId: string;
  receivedAt: string;
  method: string;
  path: string;
  status: number;
  outcome: 'accepted' | 'duplicate' | 'filtered' | 'rejected';
  reason: string | null;
  message: string | null;
  runId: string | null;
  headers?: Record<string, string>;
  body?: string | null;
}

export interface WorkflowView {
  id: string;
  name: string;
  version: string | null;
  file: string;
  status: 'active' | 'invalid';
  webhookUrl: string | null;
  errors: Array<{ file: string; line: number; col: number; message: string; text: string }>;
}

export interface HookAccepted {
  deliveryId: string;
  runId: string;
}

export interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

// ---- starting and stopping ----

export interface HookflowOptions {
  /** File name → YAML text, written into the workflows folder before the start. */
  workflows: Record<string, string>;
  /** Extra environment for the server. */
  env?: Record<string, string>;
  /** Use this folder instead of a fresh temp folder (it is not removed at stop). */
  dir?: string;
}

export interface Hookflow {
  /** `http://127.0.0.1:<port>` of the current process (a restart picks a new port). */
  readonly url: string;
  readonly token: string;
  readonly dir: string;
  readonly workflowsDir: string;
  readonly process: ChildProcess;
  /** Everything the server processes wrote so far, across restarts. */
  logs(): string;
  /** SIGTERM, then SIGKILL if it lingers; removes the temp folder. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL, waiting for the process to be gone; keeps the folder and database. */
  kill9(): Promise<void>;
  /** Starts a new process on the same folder, database and workflows (stopping a live one first). */
  restart(): Promise<void>;
  /** A request to the server with the bearer token; the body parsed as JSON when it is JSON. */
  api<T = unknown>(path: string, init?: RequestInit & { token?: string | null }): Promise<Answer<T>>;
  /** POSTs `body` as JSON (a string is sent as-is) to `/hooks/<path>`. */
  hook<T = HookAccepted>(path: string, body: unknown, init?: RequestInit): Promise<Answer<T>>;
  /** Polls `GET /api/runs/:id` until its status is one of `statuses` (default: a finished one). */
  waitForRun(runId: string, statuses?: readonly RunStatus[], timeoutMs?: number): Promise<RunDetailView>;
  waitFor<T>(predicate: () => Promise<T> | T, timeoutMs?: number, what?: string): Promise<NonNullable<T>>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export const FINISHED: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];

export async function startHookflow(options: HookflowOptions): Promise<Hookflow> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'hookflow-e2e-'));
  const workflowsDir = join(dir, 'workflows');
  mkdirSync(workflowsDir, { recursive: true });
  for (const [file, text] of Object.entries(options.workflows)) {
    mkdirSync(dirname(join(workflowsDir, file)), { recursive: true });
    writeFileSync(join(workflowsDir, file), text);
  }
  const token = options.env?.HOOKFLOW_API_TOKEN ?? randomBytes(16).toString('hex');
  let output = '';
  const append = (text: string): void => {
    output += text;
    if (output.length > LOG_CAP) output = output.slice(output.length - LOG_CAP);
  };

  let child: ChildProcess;
  let url = '';
  let stopped = false;

  const launch = async (): Promise<void> => {
    // A free port can be taken by another process between our check and the server's listen; try again then.
    for (let tries = 1; ; tries += 1) {
      const port = await freePort();
      try {
        const started = await spawnServer(port);
        child = started;
        url = `http://127.0.0.1:${port}`;
        return;
      } catch (error) {
        if (tries >= 3 || !/EADDRINUSE/.test(output)) throw error;
      }
    }
  };

  const spawnServer = (port: number): Promise<ChildProcess> => {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (value !== undefined && !/^(HOOKFLOW_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$)/.test(name)) env[name] = value;
    }
    Object.assign(env, {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${join(dir, 'hookflow.db')}`,
      HOOKFLOW_WORKFLOWS_DIR: workflowsDir,
      HOOKFLOW_API_TOKEN: token,
      LOG_LEVEL: 'info',
      ...options.env,
    });
    append(`\n----- starting hookflow on port ${port} -----\n`);
    // cwd is the temp folder, so no stray .env of the developer's is read.
    const started = spawn(process.execPath, ['--enable-source-maps', MAIN], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(started);
    started.once('exit', () => live.delete(started));
    started.stderr!.setEncoding('utf8').on('data', append);
    return new Promise<ChildProcess>((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => {
        started.kill('SIGKILL');
        reject(new Error(`hookflow did not report "listening" within ${START_TIMEOUT_MS} ms\n${tail(output)}`));
      }, START_TIMEOUT_MS);
      started.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        append(chunk);
        buffered += chunk;
        if (buffered.includes('"message":"listening"')) {
          clearTimeout(timer);
          buffered = '';
          resolve(started);
        } else if (buffered.length > 100_000) {
          buffered = buffered.slice(-1000);
        }
      });
      started.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`hookflow exited (code ${code}, signal ${signal}) before listening\n${tail(output)}`));
      });
    });
  };

  const kill = async (signal: NodeJS.Signals, graceMs: number): Promise<void> => {
    const current = child;
    if (current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    current.kill(signal);
    const timer = setTimeout(() => current.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  try {
    await launch();
  } catch (error) {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const api = async <T>(path: string, init: RequestInit & { token?: string | null } = {}): Promise<Answer<T>> => {
    const { token: override, ...rest } = init;
    const headers = new Headers(rest.headers);
    const bearer = override === undefined ? token : override;
    if (bearer !== null) headers.set('authorization', `Bearer ${bearer}`);
    const response = await fetch(`${url}${path}`, { ...rest, headers });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: parseJson(text) as T, text };
  };

  const handle: Hookflow = {
    get url() {
      return url;
    },
    token,
    dir,
    workflowsDir,
    get process() {
      return child;
    },
    logs: () => output,
    async stop() {
      if (stopped) return;
      stopped = true;
      await kill('SIGTERM', STOP_GRACE_MS);
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
    async kill9() {
      await kill('SIGKILL', 0);
    },
    async restart() {
      await kill('SIGTERM', STOP_GRACE_MS);
      try {
        await launch();
      } catch (error) {
        if (ownDir) rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    },
    api,
    async hook<T>(path: string, body: unknown, init: RequestInit = {}): Promise<Answer<T>> {
      const headers = new Headers(init.headers);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      const response = await fetch(`${url}/hooks/${path}`, {
        method: 'POST',
        ...init,
        headers,
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: parseJson(text) as T, text };
    },
    async waitForRun(runId, statuses = FINISHED, timeoutMs = 20_000) {
      let last: string | undefined;
      try {
        return await waitFor(
          async () => {
            const answer = await api<RunDetailView>(`/api/runs/${runId}`);
            last = answer.status === 200 ? answer.body.status : `HTTP ${answer.status}`;
            return answer.status === 200 && statuses.includes(answer.body.status) ? answer.body : undefined;
          },
          timeoutMs,
          `run ${runId} to be ${statuses.join(' or ')}`,
        );
      } catch (error) {
        throw new Error(`${(error as Error).message} (last seen: ${last})\n${tail(output)}`);
      }
    },
    waitFor: (predicate, timeoutMs, what) =>
      waitFor(predicate, timeoutMs, what).catch((error: Error) => {
        throw new Error(`${error.message}\n${tail(output)}`);
      }),
  };
  return handle;
}

/** Polls `predicate` until it returns a truthy value, which it returns; fails after `timeoutMs`. */
export async function waitFor<T>(predicate: () => Promise<T> | T, timeoutMs = 20_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError ? ` (last error: ${(lastError as Error).message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Asks the OS for a free port on 127.0.0.1 (the server cannot report one chosen with PORT=0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function tail(text: string, lines = 60): string {
  return `----- hookflow output (last ${lines} lines) -----\n${text.split('\n').slice(-lines).join('\n')}`;
}
