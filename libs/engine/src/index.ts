export * from './engine.types.js';
export { executeStep } from './execute-step.js';
export { retryDelayMs, parseRetryAfter, isRetryableStatus } from './retry-delay.js';
export { maskSecrets, secretForms, MASK } from './mask-secrets.js';
export { isTruthy } from './truthy.js';
export { NodeHttpClient } from './node.http-client.js';
