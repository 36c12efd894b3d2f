/**
 * One pino logger per process, and a Nest `LoggerService` over it so that Nest's own lines
 * and every `new Logger(Context)` in the code come out as the same JSON. (nestjs-pino 4 does
 * not accept Nest 12, and Fastify's per-request child loggers are not needed: the request
 * line is written by request-log.ts.)
 *
 * Lines look like `{"level":"info","time":"…","pid":1,"context":"HooksService","msg":"…",…}`.
 * A Nest message that is an object is merged into the line, so `logger.log({ msg, runId })`
 * gives a `runId` field.
 */
import type { LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import { MASK } from '#libs/engine';
import { REDACT_PATHS, SecretValueMask } from './log-redaction.js';

export type { Logger } from 'pino';

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** Nest's names for levels, accepted in LOG_LEVEL too. */
const NEST_NAMES: Record<string, Level> = { log: 'info', verbose: 'trace' };

/** LOG_LEVEL as a pino level; anything unknown is `info`. */
export function logLevel(value: string | undefined): Level | 'silent' {
  const name = (value ?? '').trim().toLowerCase();
  if (LEVELS.includes(name)) return name as Level | 'silent';
  return NEST_NAMES[name] ?? 'info';
}

export interface HookflowLogger {
  pino: Logger;
  /** For `NestFactory.create(…, { logger })`. */
  nest: PinoLoggerService;
  /** Secret values to mask in every line written from now on. */
  secrets: SecretValueMask;
}

/** `destination` defaults to stdout, written asynchronously (flushed at exit). */
export function createLogger(level: string | undefined, destination?: DestinationStream): HookflowLogger {
  const secrets = new SecretValueMask();
  const logger = pino(
    {
      level: logLevel(level),
      redact: { paths: [...REDACT_PATHS], censor: MASK },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: (line) => secrets.apply(line) },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
  return { pino: logger, nest: new PinoLoggerService(logger), secrets };
}

/** Nest's logger interface over pino. The last string argument is the context, as Nest passes it. */
export class PinoLoggerService implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    // Nest passes (message, stack, context), (message, context) or (message, stack).
    const strings = params.filter((param): param is string => typeof param === 'string');
    const stack = params.length >= 2 ? params[0] : strings.length === 1 && isStack(strings[0]!) ? strings[0] : undefined;
    const context = params.length >= 2 ? params[params.length - 1] : stack === undefined ? params[0] : undefined;
    this.emit('error', message, typeof context === 'string' ? context : undefined, typeof stack === 'string' ? { stack } : {});
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** The level is LOG_LEVEL's; Nest's own setting is not used. */
  setLogLevels(_levels: NestLogLevel[]): void {}

  private write(level: Level, message: unknown, params: unknown[]): void {
    const last = params[params.length - 1];
    this.emit(level, message, typeof last === 'string' ? last : undefined, {});
  }

  private emit(level: Level, message: unknown, context: string | undefined, extra: Record<string, unknown>): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = context === undefined ? { ...extra } : { context, ...extra };
    if (message instanceof Error) {
      this.logger[level]({ ...fields, err: message }, message.message);
    } else if (message !== null && typeof message === 'object') {
      this.logger[level]({ ...fields, ...(message as Record<string, unknown>) });
    } else {
      this.logger[level](fields, String(message));
    }
  }
}

function isStack(text: string): boolean {
  return /\n\s+at\s/.test(text);
}
