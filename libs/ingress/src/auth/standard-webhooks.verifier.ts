// Standard Webhooks (Svix and others) signs the message id and timestamp with the body, and its
// secret is base64 key material behind a `whsec_` label: the key is the decoded bytes, not the text.
import { createHash } from 'node:crypto';
import { authFailure } from './auth-failure.js';
import type { AuthRequest, AuthResult, HmacAuthSpec, SignRequest } from './auth.types.js';
import { decodeDigest, hmac, matchesAnySecret } from './hmac.js';
import { readHeader } from './read-header.js';
import { checkTolerance, parseUnixSeconds } from './timestamp.js';

const ID_HEADER = 'webhook-id';
const TIMESTAMP_HEADER = 'webhook-timestamp';
const SIGNATURE_HEADER = 'webhook-signature';
const SECRET_PREFIX = 'whsec_';

export function verifyStandardWebhooks(spec: HmacAuthSpec, request: AuthRequest): AuthResult {
  const signature = readHeader(request.headers, SIGNATURE_HEADER);
  if (!signature.ok) return signature;
  const id = readHeader(request.headers, ID_HEADER);
  if (!id.ok) return id;
  const timestamp = readHeader(request.headers, TIMESTAMP_HEADER);
  if (!timestamp.ok) return timestamp;
  const seconds = parseUnixSeconds(timestamp.value);
  if (seconds === undefined) return authFailure('INVALID_SIGNATURE', `${TIMESTAMP_HEADER} is not a unix timestamp`);
  const provided: Buffer[] = [];
  for (const entry of signature.value.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const digest = decodeDigest(entry.slice(comma + 1), 'base64');
    if (digest !== undefined) provided.push(digest);
  }
  if (provided.length === 0) return authFailure('INVALID_SIGNATURE', `${SIGNATURE_HEADER} header has no v1,<base64> signature`);
  const matched = matchesAnySecret(spec.secrets, provided, (secret) => {
    const key = signingKey(secret);
    return key.length === 0 ? undefined : hmac('sha256', key, `${id.value}.${timestamp.value}.`, request.rawBody);
  });
  if (!matched) return authFailure('INVALID_SIGNATURE', `${SIGNATURE_HEADER} does not match any configured secret`);
  return checkTolerance(seconds, request.now, spec.toleranceMs, TIMESTAMP_HEADER);
}

export function signStandardWebhooks(_spec: HmacAuthSpec, secret: string, request: SignRequest): Record<string, string> {
  const key = signingKey(secret);
  if (key.length === 0) throw new Error('standard-webhooks secret must be base64 key material, optionally after "whsec_"');
  const timestamp = String(Math.floor(request.now / 1000));
  const id = request.webhookId ?? defaultWebhookId(request);
  const signature = hmac('sha256', key, `${id}.${timestamp}.`, request.rawBody).toString('base64');
  return { [ID_HEADER]: id, [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `v1,${signature}` };
}

function signingKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
}

/** Deterministic, so a test send is reproducible; a resend at another instant gets another id. */
function defaultWebhookId(request: SignRequest): string {
  return `msg_${createHash('sha256').update(`${request.now}.`).update(request.rawBody).digest('hex').slice(0, 24)}`;
}
