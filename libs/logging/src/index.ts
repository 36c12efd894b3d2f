export { createLogger, logLevel, PinoLoggerService, type HookflowLogger, type Logger } from './pino.logger.js';
export { REDACT_PATHS, SecretValueMask } from './log-redaction.js';
export { loggedPath, type HookPaths } from './logged-path.js';
export { RequestLog, requestId } from './request-log.js';
