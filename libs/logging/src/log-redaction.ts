/**
 * Two layers keep secrets out of log lines. Pino's `redact` censors fields by name wherever a
 * logged object puts them (credentials, signature headers, `secret`/`token`/`password`
 * keys); `SecretValueMask` then replaces the known secret values — every workflow's declared
 * secrets and the API tokens — wherever they still appear in a written line, e.g. inside an
 * error message that quoted a URL. The second layer is what makes "never logged" hold for
 * values nobody thought to name.
 */
import { MASK, secretForms } from '#libs/engine';

const SECRET_KEYS = ['secret', 'secrets', 'token', 'password', 'authorization', 'cookie', 'apiKey', 'api_key'];
const SECRET_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-hub-signature',
  'x-hub-signature-256',
  'stripe-signature',
  'webhook-signature',
  'x-shopify-hmac-sha256',
  'x-slack-signature',
  'x-signature',
];

/** Objects a log line may carry whose secret-named fields are censored too. */
const CONTAINERS = ['headers', 'req.headers', 'query', 'body', 'auth', 'config', 'error'];

/**
 * Pino redact paths: secret-named keys at the top level and in the usual containers, and
 * signature headers. Explicit paths only: leading wildcards (`*.secret`) make every line
 * cost tens of microseconds; what a path misses, SecretValueMask still catches.
 */
export const REDACT_PATHS: readonly string[] = [
  ...new Set([
    ...SECRET_KEYS.flatMap((key) => [key, ...CONTAINERS.map((container) => `${container}.${key}`)]),
    ...SECRET_HEADERS.flatMap((header) => [`headers["${header}"]`, `req.headers["${header}"]`]),
  ]),
];

export class SecretValueMask {
  private forms: string[] = [];

  /** Replaces the set of values to mask (called again when the workflows are reloaded). */
  set(values: Iterable<string>): void {
    this.forms = secretForms(values);
  }

  apply(line: string): string {
    let masked = line;
    for (const form of this.forms) if (masked.includes(form)) masked = masked.split(form).join(MASK);
    return masked;
  }
}
