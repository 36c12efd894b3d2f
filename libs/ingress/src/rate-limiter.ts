// Per-client-IP rate limiting for webhook paths. One limiter exists per workflow and limit,
// created on first use, so a workflow whose `rateLimit` changes starts a fresh budget. The
// limiter behind it is made by a factory so a shared store (RateLimiterPostgres for several
// web processes) can replace the in-process default without touching callers.
import type { Pool } from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Storage } from '#libs/store';

export type RateLimiterFactory = (points: number, durationSeconds: number, keyPrefix: string) => RateLimiterAbstract;

export interface HookRateLimit {
  requests: number;
  perMs: number;
}

export type RateLimitDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

const memoryLimiter: RateLimiterFactory = (points, duration, keyPrefix) => new RateLimiterMemory({ points, duration, keyPrefix });

/** Created by a store migration, with the columns the library expects. */
export const RATE_LIMIT_TABLE = 'hookflow_rate_limits';

/** Counters in one PostgreSQL table, so every web process on the database spends the same budget. */
export function postgresLimiterFactory(pool: Pool): RateLimiterFactory {
  return (points, duration, keyPrefix) =>
    new RateLimiterPostgres({
      storeClient: pool,
      storeType: 'pool',
      tableName: RATE_LIMIT_TABLE,
      tableCreated: true,
      points,
      duration,
      keyPrefix,
    });
}

/** Shared counters on PostgreSQL, in-process ones on SQLite (where there is one process). */
export function hookRateLimiterFor(storage: Pick<Storage, 'pool'>): HookRateLimiter {
  return storage.pool ? new HookRateLimiter({ factory: postgresLimiterFactory(storage.pool) }) : new HookRateLimiter();
}

export class HookRateLimiter {
  private readonly limiters = new Map<string, RateLimiterAbstract>();
  private readonly factory: RateLimiterFactory;

  constructor(options: { factory?: RateLimiterFactory } = {}) {
    this.factory = options.factory ?? memoryLimiter;
  }

  /** Rejects only when the store fails; the caller decides whether that fails open or closed. */
  async consume(workflowId: string, limit: HookRateLimit, ip: string): Promise<RateLimitDecision> {
    try {
      await this.limiterFor(workflowId, limit).consume(ip, 1);
      return { ok: true };
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
    }
  }

  private limiterFor(workflowId: string, { requests, perMs }: HookRateLimit): RateLimiterAbstract {
    if (!Number.isInteger(requests) || requests < 1 || !(perMs > 0)) {
      throw new Error(`workflow "${workflowId}": invalid rate limit ${requests} per ${perMs} ms`);
    }
    // Unambiguous whatever the workflow id holds: the numeric suffix is read from the right.
    const key = `hook:${workflowId}:${requests}/${perMs}ms`;
    let limiter = this.limiters.get(key);
    if (!limiter) {
      limiter = this.factory(requests, Math.ceil(perMs / 1000), key);
      this.limiters.set(key, limiter);
    }
    return limiter;
  }
}
