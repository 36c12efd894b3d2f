/**
 * Configuration, read from the environment and checked once at boot: a wrong value stops
 * the process with a message naming the variable, instead of surfacing later as odd behaviour.
 */
import { dirname, resolve } from 'node:path';
import { parseSize } from '#libs/workflow';

export type Role = 'all' | 'web' | 'worker';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export class HookflowConfig {
  constructor(
    readonly port: number,
    readonly host: string,
    readonly databaseUrl: string,
    readonly workflowsDir: string,
    /** Bearer tokens accepted by /api; empty when none is configured (one is then generated). */
    readonly apiTokens: string[],
    readonly workerConcurrency: number,
    /** Raw HOOKFLOW_TRUST_PROXY; parsed by ingress. */
    readonly trustProxy: string | undefined,
    readonly maxBodyBytes: number,
    readonly retentionDays: number,
    readonly tlsCert: string | undefined,
    readonly tlsKey: string | undefined,
    readonly logLevel: string,
    readonly role: Role,
    /** Where generated files (the API token) live: the SQLite file's folder, else ./data. */
    readonly dataDir: string,
    /** How long a claimed run stays leased without a heartbeat. */
    readonly leaseMs: number,
  ) {}

  get runsWorkers(): boolean {
    return this.role !== 'web';
  }

  get servesWeb(): boolean {
    return this.role !== 'worker';
  }
}

export function loadConfig(env: Record<string, string | undefined>): HookflowConfig {
  const databaseUrl = env.DATABASE_URL || 'sqlite:data/hookflow.db';
  const role = (env.HOOKFLOW_ROLE || 'all') as Role;
  if (!['all', 'web', 'worker'].includes(role)) throw new ConfigError(`HOOKFLOW_ROLE must be all, web or worker (got "${role}")`);
  const sqlitePath = databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length) : undefined;
  const dataDir = sqlitePath && sqlitePath !== ':memory:' ? dirname(resolve(sqlitePath)) : resolve('data');
  if ((env.HOOKFLOW_TLS_CERT === undefined) !== (env.HOOKFLOW_TLS_KEY === undefined)) {
    throw new ConfigError('HOOKFLOW_TLS_CERT and HOOKFLOW_TLS_KEY must be set together');
  }
  return new HookflowConfig(
    integer(env, 'PORT', 3000, 0, 65535),
    env.HOST || '0.0.0.0',
    databaseUrl,
    resolve(env.HOOKFLOW_WORKFLOWS_DIR || 'workflows'),
    (env.HOOKFLOW_API_TOKEN ?? '')
      .split(',')
      .map((token) => token.trim())
      .filter((token) => token !== ''),
    integer(env, 'HOOKFLOW_WORKER_CONCURRENCY', 32, 1, 10_000),
    env.HOOKFLOW_TRUST_PROXY,
    size(env, 'HOOKFLOW_MAX_BODY', '1mb'),
    integer(env, 'HOOKFLOW_RETENTION_DAYS', 30, 1, 100_000),
    env.HOOKFLOW_TLS_CERT,
    env.HOOKFLOW_TLS_KEY,
    env.LOG_LEVEL || 'info',
    role,
    dataDir,
    integer(env, 'HOOKFLOW_LEASE_MS', 30_000, 1000, 3_600_000),
  );
}

function integer(env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

function size(env: Record<string, string | undefined>, name: string, fallback: string): number {
  const raw = env[name] || fallback;
  try {
    return parseSize(/^\d+$/.test(raw) ? Number(raw) : raw);
  } catch {
    throw new ConfigError(`${name} must be a size such as 512kb or 5mb (got "${raw}")`);
  }
}
