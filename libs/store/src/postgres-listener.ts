/**
 * LISTENs for `hookflow_runs` on a connection of its own (a pooled one would be handed to
 * other work) and wakes this process's workers when any process queues a run. A lost
 * connection is reopened with capped exponential backoff; on every (re)connect the workers
 * are woken once, since notifications sent while nobody listened are gone.
 */
import { Logger } from '@nestjs/common';
import pg from 'pg';
import { RUNS_CHANNEL } from './run-notify.js';

export interface PostgresListenerOptions {
  /** First reconnect delay; doubles per failure up to `maxDelayMs`. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

export class PostgresListener {
  private readonly logger = new Logger(PostgresListener.name);
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  private connected = false;

  constructor(
    private readonly url: string,
    private readonly onNotify: () => void,
    options: PostgresListenerOptions = {},
  ) {
    this.minDelayMs = options.minDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
  }

  /** Whether the LISTEN is in place right now. */
  get listening(): boolean {
    return this.connected;
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    if (client) await client.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: 5000,
      keepAlive: true,
      application_name: 'hookflow-listener',
    });
    this.client = client;
    let lost = false;
    const onLost = (error?: Error): void => {
      if (lost) return;
      lost = true;
      this.connected = false;
      if (this.client === client) this.client = undefined;
      void client.end().catch(() => undefined);
      if (this.stopped) return;
      if (this.failures === 0)
        this.logger.warn({ msg: 'lost the run notification connection; reconnecting', error: error?.message ?? 'connection ended' });
      this.retry();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => {
      if (message.channel === RUNS_CHANNEL) this.onNotify();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${RUNS_CHANNEL}`);
    } catch (error) {
      onLost(error as Error);
      return;
    }
    if (lost) return;
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    if (this.failures > 0) this.logger.log({ msg: 'run notifications connected again', after: this.failures });
    this.failures = 0;
    this.connected = true;
    this.onNotify();
  }

  private retry(): void {
    const delay = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** this.failures);
    this.failures += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), delay * (0.75 + Math.random() / 2));
  }
}
